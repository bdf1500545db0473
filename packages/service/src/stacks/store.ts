/** Stack rows, tags and aliases: queries only. */
import type { Queryable, SqlValue } from "../db/db.js";
import { forUpdate } from "../db/db.js";
import type { OrgRow } from "../identity/store.js";
import type { OrgRole } from "@stackyard/protocol";

export interface StackRow {
  id: number;
  org_id: string;
  project: string;
  name: string;
  version: number;
  active_update: string;
  lock_update: string | null;
  resource_count: number;
  last_update: number | null;
  created_by: string | null;
  created_at: number;
  /** The stack's tags as a JSON object, when the query that read the row fetched them along. */
  tags_json?: string | null;
 
}

export interface StackListFilter {
  orgIds: readonly string[];
  project?: string;
  tagName?: string;
  tagValue?: string;
  /** Only stacks this team has a grant on (team tokens). */
  teamId?: string;
  afterId?: number;
  limit: number;
}

export class StackStore {
  constructor(private readonly q: Queryable) {}

  byName(orgId: string, project: string, name: string, q = this.q) {
    return q.one<StackRow>("SELECT * FROM stacks WHERE org_id = ? AND project = ? AND name = ?", [orgId, project, name]);
  }
  byId(id: number, q = this.q) {
    return q.one<StackRow>("SELECT * FROM stacks WHERE id = ?", [id]);
  }
  /** The row, locked for the rest of the transaction (lock and version changes go through here). */
  byIdForUpdate(id: number, q: Queryable) {
    return q.one<StackRow>(`SELECT * FROM stacks WHERE id = ?${forUpdate(q)}`, [id]);
  }
  /** Org, the user's role in it and the stack, in one round trip (the hot read path). */
  async withOrgAndRole(orgName: string, userId: string, project: string, name: string): Promise<{ org?: OrgRow; role: OrgRole | null; stack?: StackRow }> {
    const row = await this.q.one<StackRow & { o_id: string; o_name: string; o_display_name: string; o_created_at: number; o_role: OrgRole | null }>(
      // The tags come along (one query instead of two on every GET stack, the CLI's hottest read).
      `SELECT o.id AS o_id, o.name AS o_name, o.display_name AS o_display_name, o.created_at AS o_created_at, m.role AS o_role, s.*,
              (SELECT ${this.q.dialect === "postgres" ? "json_object_agg(t.name, t.value ORDER BY t.name)::text" : "json_group_object(t.name, t.value)"}
                 FROM stack_tags t WHERE t.stack_id = s.id) AS tags_json
         FROM orgs o LEFT JOIN org_members m ON m.org_id = o.id AND m.user_id = ? LEFT JOIN stacks s ON s.org_id = o.id AND s.project = ? AND s.name = ?
        WHERE o.name = ?`,
      [userId, project, name, orgName],
    );
    if (!row) return { role: null };
    const { o_id, o_name, o_display_name, o_created_at, o_role, ...stack } = row;
    return {
      org: { id: o_id, name: o_name, display_name: o_display_name, created_at: o_created_at },
      role: o_role ?? null,
      stack: stack.id === null || stack.id === undefined ? undefined : (stack as StackRow),
    };
  }
  byAlias(orgId: string, project: string, name: string) {
    return this.q.one<StackRow>(
      "SELECT s.* FROM stack_aliases a JOIN stacks s ON s.id = a.stack_id WHERE a.org_id = ? AND a.project = ? AND a.name = ?",
      [orgId, project, name],
    );
  }
  projectExists(orgId: string, project: string) {
    return this.q.one("SELECT id FROM stacks WHERE org_id = ? AND project = ? LIMIT 1", [orgId, project]);
  }
  async insert(q: Queryable, s: { orgId: string; project: string; name: string; createdBy: string | null; now: number }): Promise<number> {
    const row = await q.one<{ id: number }>(
      "INSERT INTO stacks (org_id, project, name, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
      [s.orgId, s.project, s.name, s.createdBy, s.now],
    );
    return row!.id;
  }
  delete(q: Queryable, id: number) {
    return q.run("DELETE FROM stacks WHERE id = ?", [id]);
  }
  tags(stackId: number, q = this.q) {
    return q.all<{ name: string; value: string }>("SELECT name, value FROM stack_tags WHERE stack_id = ? ORDER BY name", [stackId]);
  }
  async replaceTags(q: Queryable, stackId: number, tags: Record<string, string>): Promise<void> {
    await q.run("DELETE FROM stack_tags WHERE stack_id = ?", [stackId]);
    for (const [name, value] of Object.entries(tags)) {
      await q.run("INSERT INTO stack_tags (stack_id, name, value) VALUES (?, ?, ?)", [stackId, name, value]);
    }
  }
  setTag(q: Queryable, stackId: number, name: string, value: string) {
    return q.run("INSERT INTO stack_tags (stack_id, name, value) VALUES (?, ?, ?) ON CONFLICT (stack_id, name) DO UPDATE SET value = excluded.value", [
      stackId, name, value,
    ]);
  }
  deleteTag(q: Queryable, stackId: number, name: string) {
    return q.run("DELETE FROM stack_tags WHERE stack_id = ? AND name = ?", [stackId, name]);
  }
  rename(q: Queryable, id: number, orgId: string, project: string, name: string) {
    return q.run("UPDATE stacks SET org_id = ?, project = ?, name = ? WHERE id = ?", [orgId, project, name, id]);
  }
  async addAlias(q: Queryable, orgId: string, project: string, name: string, stackId: number): Promise<void> {
    await q.run(
      "INSERT INTO stack_aliases (org_id, project, name, stack_id) VALUES (?, ?, ?, ?) ON CONFLICT (org_id, project, name) DO UPDATE SET stack_id = excluded.stack_id",
      [orgId, project, name, stackId],
    );
  }
  dropAlias(q: Queryable, orgId: string, project: string, name: string) {
    return q.run("DELETE FROM stack_aliases WHERE org_id = ? AND project = ? AND name = ?", [orgId, project, name]);
  }

  /** Keyset-paged listing: stable under concurrent inserts, O(page) per call. */
  list(f: StackListFilter) {
    if (f.orgIds.length === 0) return Promise.resolve([]);
    const where = [`s.org_id IN (${f.orgIds.map(() => "?").join(", ")})`];
    const params: SqlValue[] = [...f.orgIds];
    if (f.project !== undefined) {
      where.push("s.project = ?");
      params.push(f.project);
    }
    if (f.tagName !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM stack_tags t WHERE t.stack_id = s.id AND t.name = ?${f.tagValue !== undefined ? " AND t.value = ?" : ""})`);
      params.push(f.tagName);
      if (f.tagValue !== undefined) params.push(f.tagValue);
    }
    if (f.teamId !== undefined) {
      where.push("EXISTS (SELECT 1 FROM team_stack_permissions p WHERE p.stack_id = s.id AND p.team_id = ?)");
      params.push(f.teamId);
    }
    if (f.afterId !== undefined) {
      where.push("s.id > ?");
      params.push(f.afterId);
    }
    params.push(f.limit);
    return this.q.all<StackRow & { org_name: string }>(
      `SELECT s.*, o.name AS org_name FROM stacks s JOIN orgs o ON o.id = s.org_id WHERE ${where.join(" AND ")} ORDER BY s.id LIMIT ?`,
      params,
    );
  }
}
