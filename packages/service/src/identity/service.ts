import { randomUUID } from "node:crypto";
import type { AccessToken, CreateAccessTokenResponse, DefaultOrganizationResponse, OrgMember, OrgRole, ServiceUser, Team, UserInfo } from "@stackyard/protocol";
import type { Db } from "../db/db.js";
import { ApiError, badRequest, conflict, forbidden, notFound, unauthorized } from "../http/errors.js";
import type { OrgAction, OrgFacts, StackAction, StackFacts } from "./permissions.js";
import { DEFAULT_MEMBER_PERMISSION, canAdministerTeam, canOrg, canStack, isValidPermission } from "./permissions.js";
import type { Principal } from "./principal.js";
import type { OrgRow, TeamRow, TokenRow, UserRow } from "./store.js";
import { IdentityStore } from "./store.js";
import { hashToken, newAccessToken } from "./tokens.js";
import { isValidOrgName } from "../stacks/names.js";

export const now = (): number => Math.floor(Date.now() / 1000);

export function userInfo(u: Pick<UserRow, "name" | "login" | "avatar_url" | "email">): UserInfo {
  return { name: u.name, githubLogin: u.login, avatarUrl: u.avatar_url, email: u.email };
}

function principalInfo(p: Principal): UserInfo {
  return { name: p.displayName, githubLogin: p.login, avatarUrl: "" };
}

export interface OrgAccess {
  org: OrgRow;
  facts: OrgFacts;
}

export class IdentityService {
  readonly store: IdentityStore;
  constructor(private readonly db: Db) {
    this.store = new IdentityStore(db);
  }

  /** First start: an admin user and organization, and a token (the given one, or a fresh one). */
  async bootstrap(opts: { adminToken?: string; adminLogin: string; orgName: string }): Promise<{ createdToken?: string; login: string; org: string }> {
    const existing = await this.store.userCount();
    let createdToken: string | undefined;
    if (!existing || existing.n === 0) {
      const userId = randomUUID();
      const orgId = randomUUID();
      const token = opts.adminToken ?? newAccessToken();
      const created = await this.db.tx(async (q) => {
        // Several processes may start together on one PostgreSQL database: one of them bootstraps.
        if (q.dialect === "postgres") await q.run("SELECT pg_advisory_xact_lock(7414)");
        if ((await q.one<{ n: number }>("SELECT COUNT(*) AS n FROM users"))!.n > 0) return false;
        const t = now();
        await this.store.insertUser(q, { id: userId, login: opts.adminLogin, name: opts.adminLogin, email: "", siteAdmin: true, now: t });
        await this.store.insertOrg(q, { id: orgId, name: opts.orgName, now: t });
        await this.store.upsertMember(q, orgId, userId, "admin", t);
        await this.store.insertToken(q, {
          id: randomUUID(), hash: hashToken(token), kind: "personal", user_id: userId, org_id: null, team_id: null,
          name: "", description: "Initial administrator token", created_at: t, expires: 0,
        });
        return true;
      });
      if (created) {
        if (!opts.adminToken) createdToken = token;
        return { createdToken, login: opts.adminLogin, org: opts.orgName };
      }
    }
    // A token given in the environment must work on every start, even against an existing database.
    const admin = (await this.db.one<UserRow>("SELECT * FROM users WHERE site_admin = 1 ORDER BY created_at LIMIT 1"))!;
    if (opts.adminToken && !(await this.store.tokenByHash(hashToken(opts.adminToken)))) {
      await this.db.tx((q) =>
        this.store.insertToken(q, {
          id: randomUUID(), hash: hashToken(opts.adminToken!), kind: "personal", user_id: admin.id, org_id: null, team_id: null,
          name: "", description: "STACKYARD_ADMIN_TOKEN", created_at: now(), expires: 0,
        }),
      );
    }
    const orgs = await this.store.orgsOfUser(admin.id);
    return { login: admin.login, org: orgs[0]?.name ?? "" };
  }

  /** Resolves an API token; revocation and expiry take effect on the very next request. */
  async authenticate(token: string): Promise<Principal> {
    const row = await this.store.tokenByHash(hashToken(token));
    const t = now();
    if (!row || (row.expires !== 0 && row.expires <= t)) throw unauthorized();
    if (row.last_used < t - 60) await this.store.touchToken(row.id, t);
    const base = { tokenId: row.id, tokenName: row.name };
    switch (row.kind) {
      case "personal":
        return { ...base, kind: "user", userId: row.user_id!, login: row.login!, displayName: row.user_name!, siteAdmin: row.site_admin === 1 };
      case "org":
        return { ...base, kind: "org", orgId: row.org_id!, orgName: row.org_name!, login: row.org_name!, displayName: row.org_name!, siteAdmin: false };
      case "team":
        return {
          ...base, kind: "team", orgId: row.org_id!, orgName: row.org_name!, teamId: row.team_id!, teamName: row.team_name!,
          login: row.team_name!, displayName: row.team_name!, siteAdmin: false,
        };
    }
  }

  async orgFacts(p: Principal, org: OrgRow): Promise<OrgFacts> {
    if (p.kind === "user") {
      const role = await this.store.memberRole(org.id, p.userId!);
      return { kind: "user", orgRole: role?.role ?? null, tokenOrgMatches: false };
    }
    return { kind: p.kind, orgRole: null, tokenOrgMatches: p.orgId === org.id };
  }

  /** Looks the org up and checks the action: 404 for an unknown org, 403 without the right. */
  async requireOrg(p: Principal, orgName: string, action: OrgAction): Promise<OrgAccess> {
    let org: OrgRow | undefined;
    let facts: OrgFacts;
    if (p.kind === "user") {
      const row = await this.store.orgWithRole(orgName, p.userId!);
      if (row) {
        const { role, ...rest } = row;
        org = rest;
        facts = { kind: "user", orgRole: role ?? null, tokenOrgMatches: false };
      }
    } else {
      org = await this.store.orgByName(orgName);
      if (org) facts = await this.orgFacts(p, org);
    }
    return this.checkOrg(orgName, org, facts!, action);
  }

  /** The decision of `requireOrg` for an org (and the principal's facts about it) already read. */
  checkOrg(orgName: string, org: OrgRow | undefined, facts: OrgFacts, action: OrgAction): OrgAccess {
    if (!org) throw notFound(`organization '${orgName}' not found`);
    if (!canOrg(facts, action)) {
      throw forbidden(canOrg(facts, "read") ? `you must be an admin of organization '${orgName}' to do this` : `you are not a member of organization '${orgName}'`);
    }
    return { org, facts };
  }

  async stackFacts(p: Principal, org: OrgRow, stack: { id: number; created_by: string | null }, known?: OrgFacts, withGrants = true): Promise<StackFacts> {
    const facts = known ?? (await this.orgFacts(p, org));
    const grants = p.kind === "org" || !withGrants ? [] : await this.store.stackGrants(stack.id, p.kind === "team" ? { teamId: p.teamId! } : { userId: p.userId! });
    return {
      ...facts,
      isCreator: p.kind === "user" && stack.created_by === p.userId,
      teamPermissions: grants.map((g) => g.permission),
      defaultMemberPermission: DEFAULT_MEMBER_PERMISSION,
    };
  }

  async requireStackAction(p: Principal, org: OrgRow, stack: { id: number; created_by: string | null; project: string; name: string }, action: StackAction, known?: OrgFacts): Promise<void> {
    // Grants only ever add permission, so they are looked up only when the rest does not suffice.
    const without = await this.stackFacts(p, org, stack, known, false);
    if (canStack(without, action)) return;
    const facts = await this.stackFacts(p, org, stack, without, true);
    if (canStack(facts, action)) return;
    if (!canOrg(facts, "read")) throw forbidden(`you are not a member of organization '${org.name}'`);
    throw forbidden(`you do not have ${action} permission on stack '${org.name}/${stack.project}/${stack.name}'`);
  }

  // ---- /api/user ---------------------------------------------------------------------------
  async currentUser(p: Principal): Promise<ServiceUser> {
    if (p.kind !== "user") {
      return {
        id: p.orgId!, githubLogin: p.login, name: p.displayName, email: "", avatarUrl: "",
        organizations: [{ githubLogin: p.orgName!, name: p.orgName!, avatarUrl: "" }], identities: [], siteAdmin: false,
        tokenInfo: { name: p.tokenName, organization: p.orgName!, ...(p.teamName ? { team: p.teamName } : {}) },
      };
    }
    const u = (await this.store.userById(p.userId!))!;
    const orgs = await this.store.orgsOfUser(u.id);
    return {
      id: u.id, githubLogin: u.login, name: u.name, email: u.email, avatarUrl: u.avatar_url,
      organizations: orgs.map((o) => ({ githubLogin: o.name, name: o.display_name, avatarUrl: "" })),
      identities: [], siteAdmin: u.site_admin === 1,
    };
  }

  async defaultOrg(p: Principal): Promise<DefaultOrganizationResponse | undefined> {
    if (p.kind !== "user") return { GitHubLogin: p.orgName! };
    const orgs = await this.store.orgsOfUser(p.userId!);
    return orgs[0] ? { GitHubLogin: orgs[0].name } : undefined;
  }

  /** Org ids whose stacks the principal may list. */
  async visibleOrgs(p: Principal): Promise<OrgRow[]> {
    if (p.kind !== "user") return [(await this.store.orgById(p.orgId!))!];
    return this.store.orgsOfUser(p.userId!);
  }

  // ---- tokens --------------------------------------------------------------------------------
  private async createToken(t: Omit<TokenRow, "id" | "hash" | "created_at" | "last_used" | "deleted">): Promise<CreateAccessTokenResponse> {
    const value = newAccessToken();
    const id = randomUUID();
    if (t.expires !== 0 && (t.expires <= now() || t.expires > now() + 2 * 366 * 24 * 3600)) {
      throw badRequest("expires must be 0 or a future unix timestamp at most two years from now");
    }
    await this.db.tx((q) => this.store.insertToken(q, { ...t, id, hash: hashToken(value), created_at: now() }));
    return { id, tokenValue: value };
  }

  private static tokenView(t: TokenRow, named: boolean): AccessToken {
    return named
      ? { id: t.id, name: t.name, description: t.description, expires: t.expires, lastUsed: t.last_used }
      : { id: t.id, description: t.description, lastUsed: t.last_used, ...(t.expires ? { expires: t.expires } : {}) };
  }

  private static visible(t: TokenRow, showExpired: boolean): boolean {
    return showExpired || t.expires === 0 || t.expires > now();
  }

  requireUser(p: Principal): string {
    if (p.kind !== "user") throw forbidden("this endpoint requires a personal access token");
    return p.userId!;
  }

  async listPersonalTokens(p: Principal, showExpired: boolean): Promise<AccessToken[]> {
    const userId = this.requireUser(p);
    const rows = await this.store.listTokens({ kind: "personal", userId });
    return rows.filter((t) => IdentityService.visible(t, showExpired)).map((t) => IdentityService.tokenView(t, false));
  }
  createPersonalToken(p: Principal, description: string, expires: number): Promise<CreateAccessTokenResponse> {
    const userId = this.requireUser(p);
    return this.createToken({ kind: "personal", user_id: userId, org_id: null, team_id: null, name: "", description, expires });
  }
  async deletePersonalToken(p: Principal, id: string): Promise<void> {
    const userId = this.requireUser(p);
    const r = await this.db.tx((q) => this.store.deleteToken(q, id, { column: "user_id", value: userId, kind: "personal" }));
    if (r.changes === 0) throw notFound(`token '${id}' not found`);
  }

  private static validTokenName(name: unknown): string {
    if (typeof name !== "string" || name.length === 0 || name.length > 40) throw badRequest("token name must be 1 to 40 characters");
    return name;
  }

  async listOrgTokens(org: OrgRow, showExpired: boolean): Promise<AccessToken[]> {
    const rows = await this.store.listTokens({ kind: "org", orgId: org.id });
    return rows.filter((t) => IdentityService.visible(t, showExpired)).map((t) => IdentityService.tokenView(t, true));
  }
  async createOrgToken(org: OrgRow, name: unknown, description: string, expires: number): Promise<CreateAccessTokenResponse> {
    const n = IdentityService.validTokenName(name);
    if (await this.store.tokenNameTaken(org.id, n)) throw conflict(`an access token named '${n}' already exists`);
    return this.createToken({ kind: "org", user_id: null, org_id: org.id, team_id: null, name: n, description, expires });
  }
  async deleteOrgToken(org: OrgRow, id: string): Promise<void> {
    const r = await this.db.tx((q) => this.store.deleteToken(q, id, { column: "org_id", value: org.id, kind: "org" }));
    if (r.changes === 0) throw notFound(`token '${id}' not found`);
  }
  async listTeamTokens(team: TeamRow, showExpired: boolean): Promise<AccessToken[]> {
    const rows = await this.store.listTokens({ kind: "team", teamId: team.id });
    return rows.filter((t) => IdentityService.visible(t, showExpired)).map((t) => IdentityService.tokenView(t, true));
  }
  async createTeamToken(team: TeamRow, name: unknown, description: string, expires: number): Promise<CreateAccessTokenResponse> {
    const n = IdentityService.validTokenName(name);
    if (await this.store.tokenNameTaken(team.org_id, n)) throw conflict(`an access token named '${n}' already exists`);
    return this.createToken({ kind: "team", user_id: null, org_id: team.org_id, team_id: team.id, name: n, description, expires });
  }
  async deleteTeamToken(team: TeamRow, id: string): Promise<void> {
    const r = await this.db.tx((q) => this.store.deleteToken(q, id, { column: "team_id", value: team.id, kind: "team" }));
    if (r.changes === 0) throw notFound(`token '${id}' not found`);
  }

  // ---- members -------------------------------------------------------------------------------
  async listMembers(org: OrgRow): Promise<OrgMember[]> {
    const rows = await this.store.members(org.id);
    return rows.map((u) => ({ role: u.role, user: userInfo(u), knownToPulumi: true, virtualAdmin: false }));
  }

  private static role(role: unknown): OrgRole {
    if (role !== "admin" && role !== "member") throw badRequest(`role must be 'admin' or 'member'`);
    return role;
  }

  async addMember(org: OrgRow, login: string, role: unknown): Promise<void> {
    const r = IdentityService.role(role);
    const user = await this.store.userByLogin(login);
    if (!user) throw notFound(`user '${login}' not found`);
    if (await this.store.memberRole(org.id, user.id)) throw conflict(`user '${login}' is already a member of organization '${org.name}'`);
    await this.db.tx((q) => this.store.upsertMember(q, org.id, user.id, r, now()));
  }

  async setMemberRole(org: OrgRow, login: string, role: unknown): Promise<void> {
    const r = IdentityService.role(role);
    const user = await this.store.userByLogin(login);
    const current = user && (await this.store.memberRole(org.id, user.id));
    if (!user || !current) throw notFound(`user '${login}' is not a member of organization '${org.name}'`);
    await this.db.tx(async (q) => {
      if (current.role === "admin" && r !== "admin" && (await this.store.adminCount(q, org.id))!.n <= 1) {
        throw badRequest(`organization '${org.name}' must keep at least one admin`);
      }
      await this.store.upsertMember(q, org.id, user.id, r, now());
    });
  }

  async removeMember(org: OrgRow, login: string): Promise<void> {
    const user = await this.store.userByLogin(login);
    const current = user && (await this.store.memberRole(org.id, user.id));
    if (!user || !current) throw notFound(`user '${login}' is not a member of organization '${org.name}'`);
    await this.db.tx(async (q) => {
      if (current.role === "admin" && (await this.store.adminCount(q, org.id))!.n <= 1) {
        throw badRequest(`organization '${org.name}' must keep at least one admin`);
      }
      await this.store.removeUserFromOrgTeams(q, org.id, user.id);
      await this.store.removeMember(q, org.id, user.id);
    });
  }

  // ---- teams ---------------------------------------------------------------------------------
  async listTeams(p: Principal, org: OrgRow): Promise<Team[]> {
    const teams = await this.store.teams(org.id);
    const out: Team[] = [];
    for (const t of teams) {
      const role = p.kind === "user" ? (await this.store.teamRole(t.id, p.userId!))?.role ?? "none" : "none";
      out.push({ kind: t.kind, name: t.name, displayName: t.display_name, description: t.description, userRole: role });
    }
    return out;
  }

  async team(org: OrgRow, name: string): Promise<TeamRow> {
    const t = await this.store.team(org.id, name);
    if (!t) throw notFound(`team '${name}' not found`);
    return t;
  }

  async teamView(t: TeamRow): Promise<Team> {
    const members = await this.store.teamMembers(t.id);
    const stacks = await this.store.teamStacks(t.id);
    return {
      kind: t.kind, name: t.name, displayName: t.display_name, description: t.description,
      members: members.map((m) => ({ ...userInfo(m), role: m.team_role }) as UserInfo),
      stacks: stacks.map((s) => ({ projectName: s.project, stackName: s.name, permission: s.permission })),
    };
  }

  async createTeam(p: Principal, org: OrgRow, kind: string, body: { name?: unknown; displayName?: unknown; description?: unknown }): Promise<Team> {
    if (kind !== "pulumi") throw badRequest(`teamType must be 'pulumi' for this organization`);
    const name = body.name;
    if (typeof name !== "string" || !isValidOrgName(name)) throw badRequest("team name must be 3-40 characters of letters, digits, '-' and '_'");
    if (await this.store.team(org.id, name)) throw conflict(`team '${name}' already exists`);
    const id = randomUUID();
    const row: TeamRow & { created_at: number } = {
      id, org_id: org.id, name, kind,
      display_name: typeof body.displayName === "string" && body.displayName !== "" ? body.displayName : name,
      description: typeof body.description === "string" ? body.description : "", created_at: now(),
    };
    await this.db.tx(async (q) => {
      await this.store.insertTeam(q, row);
      // The creator administers the team it created, as in Pulumi Cloud.
      if (p.kind === "user") await this.store.setTeamMember(q, id, p.userId!, "admin");
    });
    return this.teamView(row);
  }

  async deleteTeam(t: TeamRow): Promise<void> {
    await this.db.tx((q) => this.store.deleteTeam(q, t.id));
  }

  async teamFacts(p: Principal, org: OrgRow, team: TeamRow): Promise<boolean> {
    const facts = await this.orgFacts(p, org);
    const role = p.kind === "user" ? (await this.store.teamRole(team.id, p.userId!))?.role ?? null : null;
    return canAdministerTeam(facts, role);
  }

  async changeMembership(org: OrgRow, team: TeamRow, action: unknown, login: unknown): Promise<void> {
    if (typeof login !== "string") throw badRequest("member is required");
    const user = await this.store.userByLogin(login);
    if (!user || !(await this.store.memberRole(org.id, user.id))) throw badRequest(`user '${login}' is not a member of organization '${org.name}'`);
    const current = await this.store.teamRole(team.id, user.id);
    await this.db.tx(async (q) => {
      switch (action) {
        case "add":
          if (!current) await this.store.setTeamMember(q, team.id, user.id, "member");
          return;
        case "remove":
          if (!current) throw notFound(`user '${login}' is not a member of team '${team.name}'`);
          await this.store.removeTeamMember(q, team.id, user.id);
          return;
        case "promote":
        case "demote":
          if (!current) throw notFound(`user '${login}' is not a member of team '${team.name}'`);
          await this.store.setTeamMember(q, team.id, user.id, action === "promote" ? "admin" : "member");
          return;
        default:
          throw badRequest("memberAction must be one of add, remove, promote, demote");
      }
    });
  }

  async setTeamStackPermission(team: TeamRow, stackId: number, permission: unknown): Promise<void> {
    if (!isValidPermission(permission)) throw badRequest("permission must be 101 (read), 102 (edit) or 103 (admin)");
    await this.db.tx((q) => this.store.setTeamStackPermission(q, team.id, stackId, permission));
  }

  async removeTeamStackPermission(team: TeamRow, stackId: number): Promise<void> {
    await this.db.tx((q) => this.store.removeTeamStackPermission(q, team.id, stackId));
  }

  // ---- site administration (Stackyard-specific: there is no sign-up flow) --------------------
  async createUser(p: Principal, body: { login?: unknown; name?: unknown; email?: unknown }): Promise<{ id: string; githubLogin: string; tokenValue: string }> {
    if (!p.siteAdmin) throw forbidden("only a site administrator can create users");
    const login = body.login;
    if (typeof login !== "string" || !isValidOrgName(login)) throw badRequest("login must be 3-40 characters of letters, digits, '-' and '_'");
    if ((await this.store.userByLogin(login)) || (await this.store.orgByName(login))) throw conflict(`user '${login}' already exists`);
    const id = randomUUID();
    const token = newAccessToken();
    await this.db.tx(async (q) => {
      const t = now();
      await this.store.insertUser(q, { id, login, name: typeof body.name === "string" ? body.name : login, email: typeof body.email === "string" ? body.email : "", siteAdmin: false, now: t });
      await this.store.insertToken(q, { id: randomUUID(), hash: hashToken(token), kind: "personal", user_id: id, org_id: null, team_id: null, name: "", description: "Initial token", created_at: t, expires: 0 });
    });
    return { id, githubLogin: login, tokenValue: token };
  }

  async createOrg(p: Principal, name: unknown): Promise<{ githubLogin: string }> {
    if (p.kind !== "user") throw forbidden("organizations are created with a personal access token");
    if (!p.siteAdmin) throw forbidden("only a site administrator can create organizations");
    if (typeof name !== "string" || !isValidOrgName(name)) throw badRequest("organization name must be 3-40 characters of letters, digits, '-' and '_'");
    if (await this.store.orgByName(name)) throw conflict(`organization '${name}' already exists`);
    await this.db.tx(async (q) => {
      const id = randomUUID();
      await this.store.insertOrg(q, { id, name, now: now() });
      await this.store.upsertMember(q, id, p.userId!, "admin", now());
    });
    return { githubLogin: name };
  }

  principalInfo(p: Principal): UserInfo {
    return principalInfo(p);
  }
}

export { ApiError };
