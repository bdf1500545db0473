/**
 * The update lifecycle: create → start (lease) → checkpoints / journal / events → complete or
 * cancel, plus everything that writes a stack version (import, rename, transfer). A stack has at
 * most one running non-preview update, recorded in `stacks.lock_update`.
 */
import { randomUUID } from "node:crypto";
import type {
  DeploymentV3, JournalEntry, ServiceUpdateInfo, StartUpdateResponse, TextEdit, UpdateInfo, UpdateProgramRequest,
} from "@stackyard/protocol";
import { JournalReplayer } from "@stackyard/protocol";
import type { Db, Queryable } from "../db/db.js";
import { ApiError, badRequest, conflict, forbidden, notFound, unauthorized } from "../http/errors.js";
import type { Principal } from "../identity/principal.js";
import { now } from "../identity/service.js";
import { hashToken, newLeaseToken, sameHash } from "../identity/tokens.js";
import type { IdentityService } from "../identity/service.js";
import type { LockGuard, StackRef, StackService } from "../stacks/service.js";
import { fullName } from "../stacks/service.js";
import { tagProblem } from "../stacks/names.js";
import type { StackRow } from "../stacks/store.js";
import { applyDelta, decideDelta, sha256Hex } from "./delta.js";
import { emptyState, resourceCount, stateFromEnvelope, verbatimState } from "./state.js";
import type { UpdateRow, UpdateStatus } from "./store.js";
import { UpdateStore } from "./store.js";
import { ByteLru } from "../util/lru.js";

export const LEASE_SECONDS = 300;
export const UPDATE_KINDS = ["update", "preview", "refresh", "destroy", "import", "resource-import", "rename"] as const;
export const MAX_JOURNAL_VERSION = 1;
const EVENTS_PAGE = 500;

/** The CLI matches this sentence (Automation API: ConcurrentUpdateError); details follow it. */
export const CONCURRENT_UPDATE = "Another update is currently in progress.";

export function concurrentUpdateMessage(holder: { login: string; updateId: string; kind: string; leaseExpires: number }): string {
  const expires = new Date(holder.leaseExpires * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `${CONCURRENT_UPDATE} The stack is locked by ${holder.login || "an unknown user"} (${holder.kind} ${holder.updateId}); the lease expires at ${expires} unless renewed.`;
}

/** Result recorded in history for a finished update status. */
export function resultOf(status: UpdateStatus): UpdateInfo["result"] {
  switch (status) {
    case "not started": return "not-started";
    case "running": return "in-progress";
    case "succeeded": return "succeeded";
    default: return "failed";
  }
}

/** Engine version from `User-Agent: pulumi-cli/1 (3.260.0; linux)`, for journal manifests. */
export function engineVersionFromUserAgent(ua: string | undefined): string {
  const m = /pulumi-cli\/\d+ \(v?(\d+\.\d+\.\d+[^;)]*)/.exec(ua ?? "");
  return m ? `v${m[1]}` : "";
}

interface CachedState {
  key: string;
  data: Buffer;
}

interface CachedCheckpoint {
  writeNo: number;
  sequenceNumber: number;
  hash: string;
  data: Buffer;
}

export class UpdateLifecycle implements LockGuard {
  readonly store: UpdateStore;
  // Bounded: states can be tens of megabytes and stacks many.
  private readonly exportCache = new ByteLru<number, CachedState>(Number(process.env["STACKYARD_STATE_CACHE_MB"] ?? 256) * 1024 * 1024);
  private readonly journals = new Map<string, LiveJournal>();
  private readonly checkpointCache = new ByteLru<string, CachedCheckpoint>(Number(process.env["STACKYARD_CHECKPOINT_CACHE_MB"] ?? 256) * 1024 * 1024);

  constructor(private readonly db: Db, private readonly stacks: StackService, private readonly identity: IdentityService) {
    this.store = new UpdateStore(db);
    stacks.lockGuard = this;
  }

  // ---- locks -------------------------------------------------------------------------------
  /** Throws 409 naming the holder if a live update holds the stack; reaps an expired one. */
  async assertUnlocked(stack: StackRow): Promise<void> {
    const fresh = await this.stacks.store.byId(stack.id);
    if (!fresh?.lock_update) return;
    await this.db.tx((q) => this.checkLock(q, fresh.id));
  }

  /** Inside a transaction: free the lock if its lease expired, else throw the conflict. */
  private async checkLock(q: Queryable, stackId: number): Promise<StackRow> {
    const stack = await this.stacks.store.byIdForUpdate(stackId, q);
    if (!stack) throw notFound("the stack no longer exists");
    if (!stack.lock_update) return stack;
    const holder = await q.one<UpdateRow & { login: string | null }>(
      "SELECT u.*, us.login FROM updates u LEFT JOIN users us ON us.id = u.requested_by WHERE u.id = ?",
      [stack.lock_update],
    );
    if (holder && holder.status === "running" && holder.lease_expires > now()) {
      throw new ApiError(409, concurrentUpdateMessage({ login: holder.login ?? "", updateId: holder.id, kind: holder.kind, leaseExpires: holder.lease_expires }));
    }
    if (holder && holder.status === "running") await this.finalize(q, holder, "failed");
    else await q.run("UPDATE stacks SET lock_update = NULL WHERE id = ?", [stackId]);
    return (await this.stacks.store.byId(stackId, q))!;
  }

  // ---- create / start ------------------------------------------------------------------------
  async create(p: Principal, ref: StackRef, kind: string, body: UpdateProgramRequest): Promise<string> {
    if (!(UPDATE_KINDS as readonly string[]).includes(kind)) throw notFound(`unknown update kind '${kind}'`);
    const dryRun = kind === "preview" || body.options?.dryRun === true;
    if (!dryRun) await this.assertUnlocked(ref.stack);
    const id = randomUUID();
    await this.db.tx((q) =>
      this.store.insert(q, {
        id, stack_id: ref.stack.id, kind: kind === "preview" ? "update" : kind, dry_run: dryRun ? 1 : 0, status: "not started", created_at: now(),
        message: body.metadata?.message ?? "", environment: JSON.stringify(body.metadata?.environment ?? {}),
        config: JSON.stringify(body.config ?? {}), requested_by: p.kind === "user" ? p.userId! : null,
        program: JSON.stringify({ name: body.name, runtime: body.runtime, main: body.main, description: body.description, requester: p.login }),
      }),
    );
    return id;
  }

  async start(ref: StackRef, updateId: string, body: { tags?: Record<string, string> | null; journalVersion?: number }, userAgent: string | undefined): Promise<StartUpdateResponse> {
    const problem = body.tags ? tagProblem(body.tags) : undefined;
    if (problem) throw badRequest(problem);
    const token = newLeaseToken();
    const t = now();
    const expires = t + LEASE_SECONDS;
    return this.db.tx(async (q) => {
      const u = await this.store.byId(updateId, q);
      if (!u || u.stack_id !== ref.stack.id) throw notFound(`update '${updateId}' not found`);
      if (u.status !== "not started") throw conflict(`update '${updateId}' has already been started`);
      const stack = u.dry_run ? (await this.stacks.store.byId(ref.stack.id, q))! : await this.checkLock(q, ref.stack.id);
      const version = u.dry_run ? stack.version : stack.version + 1;
      const journalVersion = u.dry_run ? 0 : Math.min(Math.max(0, Math.floor(body.journalVersion ?? 0)), MAX_JOURNAL_VERSION);
      const program = { ...JSON.parse(u.program) as object, engineVersion: engineVersionFromUserAgent(userAgent) };
      await this.store.start(q, updateId, {
        version, leaseHash: hashToken(token), leaseExpires: expires, journalVersion, baseVersion: stack.version, startTime: t, program: JSON.stringify(program),
      });
      if (!u.dry_run) {
        await q.run("UPDATE stacks SET lock_update = ?, active_update = ? WHERE id = ?", [updateId, updateId, stack.id]);
        if (body.tags) await this.stacks.store.replaceTags(q, stack.id, body.tags);
      }
      return { version, token, tokenExpiration: expires, journalVersion };
    });
  }

  // ---- lease-token routes ----------------------------------------------------------------------
  /**
   * Checks `update-token` auth for an update addressed by path: 401 for a missing or wrong token,
   * 403 once the update is no longer running or its lease ran out.
   */
  async leaseAuth(orgName: string, project: string, stack: string, updateId: string, token: string | undefined, opts: { allowFinished?: boolean } = {}): Promise<UpdateRow> {
    if (!token) throw unauthorized("this endpoint requires an update token");
    const u = await this.store.withPath(updateId);
    if (!u || u.org_name !== orgName || u.project !== project || u.stack_name !== stack) throw notFound(`update '${updateId}' not found`);
    if (!u.lease_hash || !sameHash(u.lease_hash, hashToken(token))) throw unauthorized("invalid update token");
    if (u.status !== "running") {
      if (opts.allowFinished) return u;
      throw forbidden(`the update is no longer in progress (${u.status})`);
    }
    if (u.lease_expires <= now()) throw forbidden("the update's lease has expired");
    return u;
  }

  /** Extends the lease; the token stays the same, so a retried renewal cannot strand the CLI. */
  async renew(u: UpdateRow, duration: number, token: string): Promise<{ token: string; tokenExpiration: number }> {
    const d = Number.isFinite(duration) && duration > 0 ? Math.min(Math.floor(duration), LEASE_SECONDS) : LEASE_SECONDS;
    const expires = now() + d;
    await this.db.tx((q) => this.store.renew(q, u.id, expires));
    return { token, tokenExpiration: expires };
  }

  private requireStateWrites(u: UpdateRow, mode: "checkpoint" | "journal"): void {
    if (u.dry_run) throw badRequest("previews do not write checkpoints");
    if (mode === "checkpoint" && u.journal_version > 0) throw badRequest("this update uses journal entries; checkpoints are not accepted");
    if (mode === "journal" && u.journal_version === 0) throw badRequest("this update was started without journaling; send checkpoints");
  }

  private async storeCheckpoint(updateId: string, data: Buffer, sequenceNumber: number, hash: string): Promise<void> {
    const writeNo = await this.db.tx((q) => this.store.putCheckpoint(q, { updateId, sequenceNumber, hash, data }));
    this.checkpointCache.set(updateId, { writeNo, sequenceNumber, hash, data });
  }

  async checkpointFull(u: UpdateRow, body: Buffer): Promise<void> {
    this.requireStateWrites(u, "checkpoint");
    const state = stateFromEnvelope(body, "checkpoint");
    await this.storeCheckpoint(u.id, state, 0, "");
  }

  async checkpointVerbatim(u: UpdateRow, body: Buffer): Promise<void> {
    this.requireStateWrites(u, "checkpoint");
    const { state, sequenceNumber } = verbatimState(body);
    const current = await this.store.checkpointMeta(u.id);
    // A late retry of an older save must not roll the state back.
    if (current && current.sequence_number > sequenceNumber) return;
    await this.storeCheckpoint(u.id, Buffer.from(state), sequenceNumber, "");
  }

  async checkpointDelta(u: UpdateRow, body: { checkpointHash: string; sequenceNumber: number; deploymentDelta: TextEdit[] }): Promise<void> {
    this.requireStateWrites(u, "checkpoint");
    const current = await this.latestCheckpoint(u.id);
    const stored = current && {
      sequenceNumber: current.sequenceNumber,
      hash: () => current.hash || (current.hash = sha256Hex(current.data)),
    };
    const decision = decideDelta(stored, body.sequenceNumber, body.checkpointHash.toLowerCase());
    if (decision.kind === "already-applied") return;
    if (decision.kind === "reject") throw conflict(decision.reason);
    const next = applyDelta(current!.data, body.deploymentDelta);
    if (!next) throw conflict("delta edits do not fit the stored checkpoint");
    const hash = sha256Hex(next);
    if (hash !== body.checkpointHash.toLowerCase()) throw conflict("checkpoint hash mismatch after applying the delta");
    await this.storeCheckpoint(u.id, next, body.sequenceNumber, hash);
  }

  /** The update's stored state, from memory when this process wrote it last. */
  private async latestCheckpoint(updateId: string): Promise<CachedCheckpoint | undefined> {
    const meta = await this.store.checkpointMeta(updateId);
    if (!meta) return undefined;
    const cached = this.checkpointCache.get(updateId);
    if (cached && cached.writeNo === meta.write_no) return cached;
    const row = (await this.store.checkpoint(updateId))!;
    const fresh = { writeNo: row.write_no, sequenceNumber: row.sequence_number, hash: row.hash, data: Buffer.from(row.data) };
    this.checkpointCache.set(updateId, fresh);
    return fresh;
  }

  /**
   * Stores a batch, then folds it into this process's running replay of the update, so that
   * completion costs one serialisation instead of a replay of the whole journal. The replay is
   * only trusted at completion if it saw exactly the entries the database holds.
   */
  async journalEntries(u: UpdateRow, entries: unknown): Promise<void> {
    this.requireStateWrites(u, "journal");
    const valid = validateJournalEntries(entries);
    const before = await this.db.tx(async (q) => {
      const head = await this.store.journalHead(u.id, q);
      await this.store.putJournalEntries(q, u.id, valid.map((e) => ({ sequenceID: e.sequenceID, text: JSON.stringify(e) })));
      return head?.n ?? 0;
    });
    let live = this.journals.get(u.id);
    if (!live && before === 0) {
      const base = JSON.parse((await this.baseState(this.db, u.stack_id, u.base_version)).toString("utf8")) as { deployment: DeploymentV3 };
      live = new LiveJournal(new JournalReplayer(base.deployment, engineVersionOf(u) || base.deployment.manifest.version));
      this.journals.set(u.id, live);
    }
    if (live && !live.feed(valid)) this.journals.delete(u.id);
  }

  async events(u: UpdateRow, events: unknown): Promise<void> {
    if (!Array.isArray(events)) throw badRequest("events must be an array");
    const rows: { sequence: number; text: string }[] = [];
    let summary: unknown;
    for (const e of events as Record<string, unknown>[]) {
      if (typeof e !== "object" || e === null || !Number.isInteger(e["sequence"])) throw badRequest("every event needs an integer sequence");
      rows.push({ sequence: e["sequence"] as number, text: JSON.stringify(e) });
      const s = e["summaryEvent"] as { resourceChanges?: unknown } | undefined;
      if (s && typeof s === "object") summary = s.resourceChanges ?? {};
    }
    await this.db.tx(async (q) => {
      await this.store.putEvents(q, u.id, rows);
      if (summary !== undefined) await this.store.setResourceChanges(q, u.id, JSON.stringify(summary));
    });
  }

  async complete(u: UpdateRow, status: string): Promise<void> {
    if (status !== "succeeded" && status !== "failed" && status !== "cancelled") throw badRequest("status must be 'succeeded' or 'failed'");
    if (u.status !== "running") {
      if (u.status === status || (status === "failed" && u.status === "cancelled")) return;
      throw conflict(`the update already completed with status '${u.status}'`);
    }
    await this.db.tx(async (q) => {
      const fresh = (await this.store.byId(u.id, q))!;
      if (fresh.status === "running") await this.finalize(q, fresh, status);
    });
  }

  async cancel(ref: StackRef, updateId: string): Promise<void> {
    await this.db.tx(async (q) => {
      const u = await this.store.byId(updateId, q);
      if (!u || u.stack_id !== ref.stack.id) throw notFound(`update '${updateId}' not found`);
      if (u.status !== "running" && u.status !== "not started") throw conflict("The update is not in progress.");
      if (u.status === "not started") {
        await q.run("UPDATE updates SET status = 'cancelled', result = 'failed', end_time = ? WHERE id = ?", [now(), u.id]);
        return;
      }
      await this.finalize(q, u, "cancelled");
    });
  }

  /**
   * Ends a running update. Real runs consume their version even when they fail: the latest state
   * they wrote (checkpoint, or journal replayed over the base) becomes the stack's state.
   */
  private async finalize(q: Queryable, u: UpdateRow, status: UpdateStatus): Promise<void> {
    const t = now();
    await this.store.finish(q, u.id, status, resultOf(status), t);
    if (u.dry_run) return;
    const state = await this.materialize(q, u);
    const count = resourceCount(state);
    await this.store.insertState(q, { stackId: u.stack_id, version: u.version, data: state, resourceCount: count, updateId: u.id, now: t });
    await q.run("UPDATE stacks SET version = ?, resource_count = ?, last_update = ?, lock_update = NULL WHERE id = ? AND lock_update = ?", [
      u.version, count, u.start_time, u.stack_id, u.id,
    ]);
    this.checkpointCache.delete(u.id);
    this.journals.delete(u.id);
  }

  private async baseState(q: Queryable, stackId: number, version: number): Promise<Buffer> {
    const row = await this.store.latestState(stackId, version, q);
    return row ? Buffer.from(row.data) : emptyState();
  }

  /** State an update has produced so far. */
  private async materialize(q: Queryable, u: UpdateRow): Promise<Buffer> {
    if (u.journal_version > 0) {
      const live = this.journals.get(u.id);
      const head = await this.store.journalHead(u.id, q);
      if (live && live.covers(head?.n ?? 0, head?.last ?? null)) return Buffer.from(JSON.stringify(live.replayer.deployment()));
      const entries = await this.store.journalEntries(u.id, q);
      const base = await this.baseState(q, u.stack_id, u.base_version);
      if (entries.length === 0) return base;
      const baseDeployment = (JSON.parse(base.toString("utf8")) as { deployment: DeploymentV3 }).deployment;
      const replayer = new JournalReplayer(baseDeployment, engineVersionOf(u) || baseDeployment.manifest.version);
      for (const e of entries) replayer.add(JSON.parse(e.entry) as JournalEntry);
      return Buffer.from(JSON.stringify(replayer.deployment()));
    }
    const cp = await this.store.checkpoint(u.id, q);
    return cp ? Buffer.from(cp.data) : this.baseState(q, u.stack_id, u.base_version);
  }

  // ---- state reads -------------------------------------------------------------------------
  /** Current state: the running update's latest write, else the latest version. */
  async currentState(stack: StackRow): Promise<Buffer> {
    let key = `v${stack.version}`;
    let running: UpdateRow | undefined;
    if (stack.lock_update) {
      running = await this.store.byId(stack.lock_update);
      if (running?.status === "running") {
        if (running.journal_version > 0) {
          const head = await this.store.journalHead(running.id);
          key += `|j${running.id}:${head?.n ?? 0}:${head?.last ?? 0}`;
        } else {
          const meta = await this.store.checkpointMeta(running.id);
          if (meta) key += `|c${running.id}:${meta.write_no}`;
          else running = undefined;
        }
      } else {
        running = undefined;
      }
    }
    const cached = this.exportCache.get(stack.id);
    if (cached && cached.key === key) return cached.data;
    const data = running ? await this.materialize(this.db, running) : await this.baseState(this.db, stack.id, stack.version);
    this.exportCache.set(stack.id, { key, data });
    return data;
  }

  async stateAtVersion(stack: StackRow, version: number): Promise<Buffer> {
    if (!Number.isInteger(version) || version < 0) throw badRequest(`invalid version '${version}'`);
    const row = await this.store.stateAt(stack.id, version);
    if (row) return Buffer.from(row.data);
    if (version === 0) return emptyState();
    throw notFound(`version ${version} of the stack was not found`);
  }

  async importState(p: Principal, ref: StackRef, body: Buffer): Promise<string> {
    const state = stateFromEnvelope(body, "deployment");
    const count = resourceCount(state);
    const id = randomUUID();
    await this.db.tx(async (q) => {
      const stack = await this.checkLock(q, ref.stack.id);
      const t = now();
      const version = stack.version + 1;
      await this.store.insert(q, {
        id, stack_id: stack.id, kind: "import", dry_run: 0, status: "succeeded", result: "succeeded", version, created_at: t, start_time: t, end_time: t,
        message: "", environment: "{}", config: "{}", requested_by: p.kind === "user" ? p.userId! : null, program: "{}", base_version: stack.version,
      });
      await this.store.insertState(q, { stackId: stack.id, version, data: state, resourceCount: count, updateId: id, now: t });
      await q.run("UPDATE stacks SET version = ?, resource_count = ?, last_update = ?, active_update = ? WHERE id = ?", [version, count, t, id, stack.id]);
    });
    return id;
  }

  /**
   * Rename and transfer: the stack keeps its id (so its secrets key and history), its old name
   * becomes an alias for secrets calls, and a `rename` version records the service secrets
   * provider pointing at the new name.
   */
  async move(p: Principal, ref: StackRef, to: { orgId: string; orgName: string; project: string; name: string }, message: string): Promise<void> {
    await this.db.tx(async (q) => {
      const stack = await this.checkLock(q, ref.stack.id);
      if (await this.stacks.store.byName(to.orgId, to.project, to.name, q)) {
        throw conflict(`stack '${fullName(to.orgName, to)}' already exists`);
      }
      const t = now();
      await this.stacks.store.addAlias(q, stack.org_id, stack.project, stack.name, stack.id);
      await this.stacks.store.dropAlias(q, to.orgId, to.project, to.name);
      await this.stacks.store.rename(q, stack.id, to.orgId, to.project, to.name);
      const current = await this.baseState(q, stack.id, stack.version);
      const rewritten = rewriteServiceSecretsProvider(current, to.orgName, to.project, to.name);
      const version = stack.version + 1;
      const id = randomUUID();
      await this.store.insert(q, {
        id, stack_id: stack.id, kind: "rename", dry_run: 0, status: "succeeded", result: "succeeded", version, created_at: t, start_time: t, end_time: t,
        message, environment: "{}", config: "{}", requested_by: p.kind === "user" ? p.userId! : null, program: "{}", base_version: stack.version,
      });
      await this.store.insertState(q, { stackId: stack.id, version, data: rewritten, resourceCount: resourceCount(rewritten), updateId: id, now: t });
      await q.run("UPDATE stacks SET version = ? WHERE id = ?", [version, stack.id]);
    });
    this.exportCache.delete(ref.stack.id);
  }

  // ---- reads of updates ----------------------------------------------------------------------
  async history(ref: StackRef, page: number | undefined, pageSize: number | undefined): Promise<{ info: UpdateInfo; row: UpdateRow & { requester_login: string | null; requester_name: string | null; resource_count: number | null } }[]> {
    const limit = pageSize && pageSize > 0 ? pageSize : 1_000_000;
    const offset = pageSize && pageSize > 0 ? ((page && page > 0 ? page : 1) - 1) * pageSize : 0;
    const rows = await this.store.history(ref.stack.id, limit, offset);
    return rows.map((row) => ({ info: updateInfo(row, row.resource_count), row }));
  }

  async historyTotal(ref: StackRef): Promise<number> {
    return (await this.store.historyCount(ref.stack.id))?.n ?? 0;
  }

  serviceInfo(ref: StackRef, row: UpdateRow & { requester_login: string | null; requester_name: string | null }, info: UpdateInfo): ServiceUpdateInfo {
    const program = JSON.parse(row.program) as { requester?: string };
    const login = row.requester_login ?? program.requester ?? "";
    return {
      info, updateID: row.id, version: row.version, latestVersion: ref.stack.version,
      requestedBy: { name: row.requester_name ?? login, githubLogin: login, avatarUrl: "" },
    };
  }

  async latestPreviews(ref: StackRef, page: number, pageSize: number, asc: boolean): Promise<ServiceUpdateInfo[]> {
    const last = (await this.store.history(ref.stack.id, 1, 0))[0];
    // Seconds-resolution times cannot order a preview against an update of the same second; the
    // stack version a preview ran against can.
    const since = last ? last.version : 0;
    const rows = await this.store.previewsSince(ref.stack.id, since, pageSize, (page - 1) * pageSize, asc);
    return rows.map((row) => this.serviceInfo(ref, row, { ...updateInfo(row, null), kind: "preview" as UpdateInfo["kind"] }));
  }

  async update(ref: StackRef, updateId: string): Promise<UpdateRow> {
    const u = await this.store.byId(updateId);
    if (!u || u.stack_id !== ref.stack.id) throw notFound(`update '${updateId}' not found`);
    return u;
  }

  async eventsPage(u: UpdateRow, continuationToken: string | undefined): Promise<{ events: unknown[]; continuationToken: string | null }> {
    const after = continuationToken ? Number(continuationToken) : -1;
    if (!Number.isInteger(after)) throw badRequest("invalid continuationToken");
    const rows = await this.store.events(u.id, after, EVENTS_PAGE);
    const events = rows.map((r) => JSON.parse(r.event) as unknown);
    const last = rows.length > 0 ? rows[rows.length - 1]!.sequence : after;
    const finished = u.status !== "running" && u.status !== "not started";
    if (finished && rows.length < EVENTS_PAGE) return { events, continuationToken: null };
    return { events, continuationToken: String(last) };
  }
}

function engineVersionOf(u: UpdateRow): string {
  return (JSON.parse(u.program) as { engineVersion?: string }).engineVersion ?? "";
}

/** A replay fed batch by batch; valid while the sequence ids it saw form one unbroken run. */
export class LiveJournal {
  private first = 0;
  private last = 0;
  private count = 0;

  constructor(readonly replayer: JournalReplayer) {}

  /** Adds a batch; false when it cannot continue (a gap or reordering it did not see). */
  feed(entries: readonly JournalEntry[]): boolean {
    for (const e of [...entries].sort((a, b) => a.sequenceID - b.sequenceID)) {
      if (this.count > 0 && e.sequenceID >= this.first && e.sequenceID <= this.last) continue;
      if (this.count > 0 && e.sequenceID !== this.last + 1) return false;
      if (this.count === 0) this.first = e.sequenceID;
      this.replayer.add(e);
      this.last = e.sequenceID;
      this.count++;
    }
    return true;
  }

  /** Whether it holds exactly the stored entries. */
  covers(storedCount: number, storedLast: number | null): boolean {
    return storedCount === this.count && (storedCount === 0 || storedLast === this.last);
  }
}

export function updateInfo(row: UpdateRow, resourceCountValue: number | null): UpdateInfo & { resourceCount?: number } {
  const info: UpdateInfo & { resourceCount?: number } = {
    kind: row.kind as UpdateInfo["kind"], startTime: row.start_time, message: row.message,
    environment: JSON.parse(row.environment) as Record<string, string>, config: JSON.parse(row.config) as UpdateInfo["config"],
    result: resultOf(row.status), version: row.version,
  };
  if (row.status !== "running" && row.status !== "not started") info.endTime = row.end_time;
  if (row.resource_changes) info.resourceChanges = JSON.parse(row.resource_changes) as UpdateInfo["resourceChanges"];
  if (resourceCountValue !== null) info.resourceCount = resourceCountValue;
  return info;
}

/** Journal kinds this service replays (0-7); later kinds are refused with a clear 400. */
const REPLAYABLE_KINDS = new Set([0, 1, 2, 3, 4, 5, 6, 7]);
const KIND_NAMES: Record<number, string> = { 8: "extension-parameterize", 9: "snippets", 10: "state-migration" };

export function validateJournalEntries(entries: unknown): JournalEntry[] {
  if (!Array.isArray(entries)) throw badRequest("entries must be an array");
  for (const e of entries as Record<string, unknown>[]) {
    if (typeof e !== "object" || e === null) throw badRequest("every journal entry must be an object");
    const { version, kind, sequenceID, operationID } = e;
    if (version !== 1 && version !== 2) throw badRequest(`journal entry version ${String(version)} is not supported (1 and 2 are)`);
    if (!Number.isInteger(kind) || (kind as number) < 0) throw badRequest("journal entry kind must be a non-negative integer");
    if (!Number.isInteger(sequenceID) || !Number.isInteger(operationID)) throw badRequest("journal entries need integer sequenceID and operationID");
    if (!REPLAYABLE_KINDS.has(kind as number)) {
      const name = KIND_NAMES[kind as number];
      throw badRequest(`journal entry kind ${String(kind)}${name ? ` (${name})` : ""} is not supported by this service; disable journaling (PULUMI_DISABLE_JOURNALING=true) to use checkpoints`);
    }
    if (e["newStatePatches"] !== undefined) throw badRequest("journal entries with newStatePatches are not supported by this service");
  }
  return entries as JournalEntry[];
}

/** The state with its `service` secrets provider pointing at the stack's new name. */
export function rewriteServiceSecretsProvider(state: Buffer, owner: string, project: string, stack: string): Buffer {
  const parsed = JSON.parse(state.toString("utf8")) as { deployment: DeploymentV3 };
  const sp = parsed.deployment.secrets_providers;
  if (!sp || sp.type !== "service" || typeof sp.state !== "object" || sp.state === null) return state;
  sp.state = { ...(sp.state as Record<string, unknown>), owner, project, stack };
  return Buffer.from(JSON.stringify(parsed));
}

export { ApiError, type IdentityService };
