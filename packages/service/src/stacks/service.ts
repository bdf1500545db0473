import type { ListStacksResponse, Stack, StackSummary } from "@stackyard/protocol";
import type { Db } from "../db/db.js";
import { isUniqueViolation } from "../db/db.js";
import { badRequest, conflict, notFound } from "../http/errors.js";
import type { StackAction } from "../identity/permissions.js";
import { StackPermission } from "../identity/permissions.js";
import type { Principal } from "../identity/principal.js";
import type { IdentityService, OrgAccess } from "../identity/service.js";
import { now } from "../identity/service.js";
import type { OrgRow } from "../identity/store.js";
import { UpdateStore } from "../updates/store.js";
import { isValidProjectName, isValidStackName, tagProblem } from "./names.js";
import type { StackRow } from "./store.js";
import { StackStore } from "./store.js";

export const LIST_PAGE_SIZE = 1000;

export interface StackRef {
  org: OrgRow;
  stack: StackRow;
}

/** Lets the update lifecycle release dead locks before a stack is deleted or changed. */
export interface LockGuard {
  assertUnlocked(stack: StackRow): Promise<void>;
}

export const fullName = (org: string, s: { project: string; name: string }): string => `${org}/${s.project}/${s.name}`;

export class StackService {
  readonly store: StackStore;
  private readonly updates: UpdateStore;
  lockGuard: LockGuard = { assertUnlocked: async () => undefined };
  pageSize = LIST_PAGE_SIZE;

  constructor(private readonly db: Db, private readonly identity: IdentityService) {
    this.store = new StackStore(db);
    this.updates = new UpdateStore(db);
  }

  /** Finds a stack the principal may act on: 404 unknown org or stack, 403 without permission. */
  async resolve(p: Principal, orgName: string, project: string, name: string, action: StackAction, opts: { aliases?: boolean; orgAccess?: OrgAccess } = {}): Promise<StackRef> {
    let access = opts.orgAccess && opts.orgAccess.org.name === orgName ? opts.orgAccess : undefined;
    let stack: StackRow | undefined;
    if (!access && p.kind === "user") {
      const found = await this.store.withOrgAndRole(orgName, p.userId!, project, name);
      access = this.identity.checkOrg(orgName, found.org, { kind: "user", orgRole: found.role, tokenOrgMatches: false }, "read");
      stack = found.stack;
    } else {
      access ??= await this.identity.requireOrg(p, orgName, "read");
      stack = await this.store.byName(access.org.id, project, name);
    }
    const { org, facts } = access;
    if (!stack && opts.aliases) stack = await this.store.byAlias(org.id, project, name);
    if (!stack) throw notFound(`stack '${orgName}/${project}/${name}' not found`);
    await this.identity.requireStackAction(p, org, stack, action, facts);
    return { org, stack };
  }

  async view(ref: StackRef): Promise<Stack> {
    const { org, stack } = ref;
    let tags: Record<string, string> = {};
    if (stack.tags_json !== undefined) tags = stack.tags_json ? (JSON.parse(stack.tags_json) as Record<string, string>) : {};
    else for (const t of await this.store.tags(stack.id)) tags[t.name] = t.value;
    const out: Stack = {
      id: String(stack.id), orgName: org.name, projectName: stack.project, stackName: stack.name,
      activeUpdate: stack.active_update, tags, version: stack.version,
    };
    if (stack.lock_update) {
      const u = await this.db.one<{ kind: string; start_time: number; login: string | null }>(
        "SELECT u.kind, u.start_time, us.login FROM updates u LEFT JOIN users us ON us.id = u.requested_by WHERE u.id = ? AND u.status = 'running'",
        [stack.lock_update],
      );
      if (u) out.currentOperation = { kind: u.kind, author: u.login ?? "", started: u.start_time };
    }
    return out;
  }

  async create(p: Principal, orgName: string, project: string, body: { stackName: string; tags?: Record<string, string>; teams?: string[] }, initialState?: Buffer, initialCount = 0): Promise<StackRef> {
    const { org } = await this.identity.requireOrg(p, orgName, "create-stack");
    if (!isValidProjectName(project)) throw badRequest(`invalid project name '${project}'`);
    if (!isValidStackName(body.stackName)) throw badRequest(`invalid stack name '${body.stackName}': names may only contain alphanumerics, hyphens, underscores, or periods`);
    const problem = body.tags ? tagProblem(body.tags) : undefined;
    if (problem) throw badRequest(problem);
    const teams: Awaited<ReturnType<IdentityService["team"]>>[] = [];
    for (const t of body.teams ?? []) teams.push(await this.identity.team(org, t));
    const exists = () => conflict(`stack '${fullName(orgName, { project, name: body.stackName })}' already exists`);
    const id = await this.db.tx(async (q) => {
      if (await this.store.byName(org.id, project, body.stackName, q)) {
        throw conflict(`stack '${fullName(orgName, { project, name: body.stackName })}' already exists`);
      }
      const t = now();
      const id = await this.store.insert(q, { orgId: org.id, project, name: body.stackName, createdBy: p.kind === "user" ? p.userId! : null, now: t });
      await this.store.dropAlias(q, org.id, project, body.stackName);
      if (body.tags) await this.store.replaceTags(q, id, body.tags);
      if (initialState) await this.updates.insertState(q, { stackId: id, version: 0, data: initialState, resourceCount: initialCount, updateId: null, now: t });
      // A stack made with a team token belongs to that team, or nobody without org rights could reach it.
      if (p.kind === "team") await this.identity.store.setTeamStackPermission(q, p.teamId!, id, StackPermission.Admin);
      for (const team of teams) await this.identity.store.setTeamStackPermission(q, team.id, id, StackPermission.Admin);
      return id;
    }).catch((err: unknown) => {
      throw isUniqueViolation(err) ? exists() : err;
    });
    return { org, stack: (await this.store.byId(id))! };
  }

  async list(p: Principal, f: { organization?: string; project?: string; tagName?: string; tagValue?: string; continuationToken?: string }): Promise<ListStacksResponse> {
    const orgs = (await this.identity.visibleOrgs(p)).filter((o) => f.organization === undefined || o.name === f.organization);
    let afterId: number | undefined;
    if (f.continuationToken !== undefined && f.continuationToken !== "") {
      afterId = Number(f.continuationToken);
      if (!Number.isInteger(afterId)) throw badRequest("invalid continuationToken");
    }
    const rows = await this.store.list({
      orgIds: orgs.map((o) => o.id), project: f.project, tagName: f.tagName, tagValue: f.tagName !== undefined ? f.tagValue : undefined,
      teamId: p.kind === "team" ? p.teamId : undefined, afterId, limit: this.pageSize + 1,
    });
    const page = rows.slice(0, this.pageSize);
    const stacks: StackSummary[] = page.map((s) => ({
      id: String(s.id), orgName: s.org_name, projectName: s.project, stackName: s.name,
      ...(s.lock_update ? { lastUpdate: 0 } : s.last_update !== null ? { lastUpdate: s.last_update } : {}), resourceCount: s.resource_count,
    }));
    return rows.length > this.pageSize ? { stacks, continuationToken: String(page[page.length - 1]!.id) } : { stacks };
  }

  async remove(ref: StackRef, force: boolean): Promise<void> {
    await this.lockGuard.assertUnlocked(ref.stack);
    const fresh = (await this.store.byId(ref.stack.id))!;
    if (!force && fresh.resource_count > 0) throw badRequest("Stack still contains resources.");
    await this.db.tx(async (q) => {
      const s = await this.store.byId(ref.stack.id, q);
      if (s?.lock_update && !force) throw conflict("Another update is currently in progress.");
      await this.store.delete(q, ref.stack.id);
    });
  }

  async replaceTags(ref: StackRef, tags: Record<string, unknown>): Promise<void> {
    const problem = tagProblem(tags);
    if (problem) throw badRequest(problem);
    await this.db.tx((q) => this.store.replaceTags(q, ref.stack.id, tags as Record<string, string>));
  }

  async setTag(ref: StackRef, name: unknown, value: unknown): Promise<void> {
    if (typeof name !== "string") throw badRequest("tag name is required");
    const problem = tagProblem({ [name]: value });
    if (problem) throw badRequest(problem);
    await this.db.tx((q) => this.store.setTag(q, ref.stack.id, name, value as string));
  }

  async deleteTag(ref: StackRef, name: string): Promise<void> {
    const r = await this.db.tx((q) => this.store.deleteTag(q, ref.stack.id, name));
    if (r.changes === 0) throw notFound(`stack tag '${name}' not found`);
  }

  async projectExists(p: Principal, orgName: string, project: string): Promise<boolean> {
    const { org } = await this.identity.requireOrg(p, orgName, "read");
    return !!(await this.store.projectExists(org.id, project));
  }
}
