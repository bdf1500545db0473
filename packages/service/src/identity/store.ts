/** Users, organizations, memberships, teams and tokens: queries only. */
import type { Queryable } from "../db/db.js";
import { upsertSql } from "../db/db.js";
import type { OrgRole } from "@stackyard/protocol";

export interface UserRow { id: string; login: string; name: string; email: string; avatar_url: string; site_admin: number; created_at: number }
export interface OrgRow { id: string; name: string; display_name: string; created_at: number }
export interface TeamRow { id: string; org_id: string; name: string; display_name: string; description: string; kind: string }
export interface TokenRow {
  id: string; hash: string; kind: "personal" | "org" | "team"; user_id: string | null; org_id: string | null; team_id: string | null;
  name: string; description: string; created_at: number; expires: number; last_used: number; deleted: number;
}
export interface TokenLookupRow extends TokenRow {
  login: string | null; user_name: string | null; site_admin: number | null; org_name: string | null; team_name: string | null;
}

export class IdentityStore {
  constructor(private readonly q: Queryable) {}

  userCount(): Promise<{ n: number } | undefined> {
    return this.q.one<{ n: number }>("SELECT COUNT(*) AS n FROM users");
  }
  userByLogin(login: string, q = this.q) {
    return q.one<UserRow>("SELECT * FROM users WHERE login = ?", [login]);
  }
  userById(id: string) {
    return this.q.one<UserRow>("SELECT * FROM users WHERE id = ?", [id]);
  }
  insertUser(q: Queryable, u: { id: string; login: string; name: string; email: string; siteAdmin: boolean; now: number }) {
    return q.run("INSERT INTO users (id, login, name, email, avatar_url, site_admin, created_at) VALUES (?, ?, ?, ?, '', ?, ?)", [
      u.id, u.login, u.name, u.email, u.siteAdmin ? 1 : 0, u.now,
    ]);
  }
  orgByName(name: string, q = this.q) {
    return q.one<OrgRow>("SELECT * FROM orgs WHERE name = ?", [name]);
  }
  /** The org and, in the same round trip, the user's role in it (null when not a member). */
  orgWithRole(name: string, userId: string) {
    return this.q.one<OrgRow & { role: OrgRole | null }>(
      "SELECT o.*, m.role AS role FROM orgs o LEFT JOIN org_members m ON m.org_id = o.id AND m.user_id = ? WHERE o.name = ?",
      [userId, name],
    );
  }
  orgById(id: string) {
    return this.q.one<OrgRow>("SELECT * FROM orgs WHERE id = ?", [id]);
  }
  insertOrg(q: Queryable, o: { id: string; name: string; now: number }) {
    return q.run("INSERT INTO orgs (id, name, display_name, created_at) VALUES (?, ?, ?, ?)", [o.id, o.name, o.name, o.now]);
  }
  upsertMember(q: Queryable, orgId: string, userId: string, role: OrgRole, now: number) {
    return q.run(upsertSql("org_members", ["org_id", "user_id", "role", "created_at"], ["org_id", "user_id"], ["role"]), [orgId, userId, role, now]);
  }
  removeMember(q: Queryable, orgId: string, userId: string) {
    return q.run("DELETE FROM org_members WHERE org_id = ? AND user_id = ?", [orgId, userId]);
  }
  memberRole(orgId: string, userId: string) {
    return this.q.one<{ role: OrgRole }>("SELECT role FROM org_members WHERE org_id = ? AND user_id = ?", [orgId, userId]);
  }
  orgsOfUser(userId: string) {
    return this.q.all<OrgRow & { role: OrgRole }>(
      "SELECT o.*, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY m.created_at, o.name",
      [userId],
    );
  }
  members(orgId: string) {
    return this.q.all<UserRow & { role: OrgRole }>(
      "SELECT u.*, m.role FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? ORDER BY u.login",
      [orgId],
    );
  }
  adminCount(q: Queryable, orgId: string) {
    return q.one<{ n: number }>("SELECT COUNT(*) AS n FROM org_members WHERE org_id = ? AND role = 'admin'", [orgId]);
  }

  // tokens
  tokenByHash(hash: string) {
    return this.q.one<TokenLookupRow>(
      `SELECT t.*, u.login AS login, u.name AS user_name, u.site_admin AS site_admin, o.name AS org_name, tm.name AS team_name
         FROM tokens t LEFT JOIN users u ON u.id = t.user_id LEFT JOIN orgs o ON o.id = t.org_id LEFT JOIN teams tm ON tm.id = t.team_id
        WHERE t.hash = ? AND t.deleted = 0`,
      [hash],
    );
  }
  insertToken(q: Queryable, t: Omit<TokenRow, "last_used" | "deleted">) {
    return q.run(
      "INSERT INTO tokens (id, hash, kind, user_id, org_id, team_id, name, description, created_at, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [t.id, t.hash, t.kind, t.user_id, t.org_id, t.team_id, t.name, t.description, t.created_at, t.expires],
    );
  }
  touchToken(id: string, now: number) {
    return this.q.run("UPDATE tokens SET last_used = ? WHERE id = ? AND last_used < ?", [now, id, now - 60]);
  }
  tokenNameTaken(orgId: string, name: string) {
    return this.q.one("SELECT id FROM tokens WHERE org_id = ? AND name = ? AND kind <> 'personal'", [orgId, name]);
  }
  listTokens(where: { kind: TokenRow["kind"]; userId?: string; orgId?: string; teamId?: string }) {
    const cond = where.kind === "personal" ? "user_id = ?" : where.kind === "org" ? "org_id = ?" : "team_id = ?";
    const arg = where.kind === "personal" ? where.userId : where.kind === "org" ? where.orgId : where.teamId;
    return this.q.all<TokenRow>(`SELECT * FROM tokens WHERE kind = ? AND ${cond} AND deleted = 0 ORDER BY created_at, id`, [where.kind, arg ?? ""]);
  }
  deleteToken(q: Queryable, id: string, owner: { column: "user_id" | "org_id" | "team_id"; value: string; kind: TokenRow["kind"] }) {
    return q.run(`UPDATE tokens SET deleted = 1 WHERE id = ? AND kind = ? AND ${owner.column} = ? AND deleted = 0`, [id, owner.kind, owner.value]);
  }

  // teams
  teams(orgId: string) {
    return this.q.all<TeamRow>("SELECT * FROM teams WHERE org_id = ? ORDER BY name", [orgId]);
  }
  team(orgId: string, name: string) {
    return this.q.one<TeamRow>("SELECT * FROM teams WHERE org_id = ? AND name = ?", [orgId, name]);
  }
  insertTeam(q: Queryable, t: TeamRow & { created_at: number }) {
    return q.run("INSERT INTO teams (id, org_id, name, display_name, description, kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", [
      t.id, t.org_id, t.name, t.display_name, t.description, t.kind, t.created_at,
    ]);
  }
  deleteTeam(q: Queryable, teamId: string) {
    return q.run("DELETE FROM teams WHERE id = ?", [teamId]);
  }
  teamMembers(teamId: string) {
    return this.q.all<UserRow & { team_role: "admin" | "member" }>(
      "SELECT u.*, tm.role AS team_role FROM team_members tm JOIN users u ON u.id = tm.user_id WHERE tm.team_id = ? ORDER BY u.login",
      [teamId],
    );
  }
  teamRole(teamId: string, userId: string) {
    return this.q.one<{ role: "admin" | "member" }>("SELECT role FROM team_members WHERE team_id = ? AND user_id = ?", [teamId, userId]);
  }
  setTeamMember(q: Queryable, teamId: string, userId: string, role: "admin" | "member") {
    return q.run(upsertSql("team_members", ["team_id", "user_id", "role"], ["team_id", "user_id"], ["role"]), [teamId, userId, role]);
  }
  removeTeamMember(q: Queryable, teamId: string, userId: string) {
    return q.run("DELETE FROM team_members WHERE team_id = ? AND user_id = ?", [teamId, userId]);
  }
  removeUserFromOrgTeams(q: Queryable, orgId: string, userId: string) {
    return q.run("DELETE FROM team_members WHERE user_id = ? AND team_id IN (SELECT id FROM teams WHERE org_id = ?)", [userId, orgId]);
  }
  teamStacks(teamId: string) {
    return this.q.all<{ project: string; name: string; permission: number }>(
      "SELECT s.project, s.name, p.permission FROM team_stack_permissions p JOIN stacks s ON s.id = p.stack_id WHERE p.team_id = ? ORDER BY s.project, s.name",
      [teamId],
    );
  }
  setTeamStackPermission(q: Queryable, teamId: string, stackId: number, permission: number) {
    return q.run(upsertSql("team_stack_permissions", ["team_id", "stack_id", "permission"], ["team_id", "stack_id"], ["permission"]), [
      teamId, stackId, permission,
    ]);
  }
  removeTeamStackPermission(q: Queryable, teamId: string, stackId: number) {
    return q.run("DELETE FROM team_stack_permissions WHERE team_id = ? AND stack_id = ?", [teamId, stackId]);
  }
  /** Grants reaching a stack through the principal's teams (user) or its own team (team token). */
  stackGrants(stackId: number, who: { userId?: string; teamId?: string }) {
    if (who.teamId) {
      return this.q.all<{ permission: number }>("SELECT permission FROM team_stack_permissions WHERE stack_id = ? AND team_id = ?", [stackId, who.teamId]);
    }
    return this.q.all<{ permission: number }>(
      "SELECT p.permission FROM team_stack_permissions p JOIN team_members tm ON tm.team_id = p.team_id WHERE p.stack_id = ? AND tm.user_id = ?",
      [stackId, who.userId ?? ""],
    );
  }
}
