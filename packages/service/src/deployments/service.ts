/**
 * Deployments: a durable queue in the database that runners claim over HTTP. A claim is one
 * conditional UPDATE inside a transaction (serialized per pool on PostgreSQL by an advisory lock,
 * by BEGIN IMMEDIATE on SQLite), so no job is handed out twice and a stack runs one deployment at a
 * time. A claimed job carries a lease the runner renews; a reaper fails jobs whose lease lapsed,
 * cancels the update they left running (unlocking the stack) and revokes their run token.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Queryable } from "../db/db.js";
import { isUniqueViolation } from "../db/db.js";
import type { Services } from "../http/context.js";
import { badRequest, conflict, notFound, unauthorized } from "../http/errors.js";
import type { Principal } from "../identity/principal.js";
import { hashToken, newAccessToken, sameHash } from "../identity/tokens.js";
import type { StackRef } from "../stacks/service.js";
import type { DeploymentSpec, Operation, PlannedStep, Sealed, StoredValue, WireValue } from "./model.js";
import {
  RESERVED_VARIABLES, formatLogToken, isTerminal, mapSecrets, maskSecrets, mergeSpecs, mustSeal, parseLogToken, parseSpec, planLogRead,
  planSteps, reservedVariables, rfc3339, serviceTime,
} from "./model.js";
import type { DeploymentRow, StepRow } from "./store.js";
import { DEFAULT_POOL, DeploymentStore } from "./store.js";

/** Timings, adjustable so tests run in seconds. */
export interface DeploymentTunables {
  /** How long a claimed job lives without a heartbeat. */
  leaseMs: number;
  /** How often the reaper and the scheduler look for work. */
  tickMs: number;
  /** Longest a claim request waits for a job. */
  claimWaitMs: number;
}

/** Defaults, overridable by STACKYARD_DEPLOYMENT_LEASE_MS / STACKYARD_DEPLOYMENT_TICK_MS. */
export function defaultTunables(env: NodeJS.ProcessEnv = process.env): DeploymentTunables {
  const num = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return { leaseMs: num("STACKYARD_DEPLOYMENT_LEASE_MS", 60_000), tickMs: num("STACKYARD_DEPLOYMENT_TICK_MS", 5_000), claimWaitMs: 20_000 };
}

/** Who asked for a deployment (kept with it, so scheduled runs act as their schedule's author). */
export interface Requester {
  kind: Principal["kind"];
  userId?: string;
  orgId?: string;
  teamId?: string;
  login: string;
  name: string;
  email: string;
  avatarUrl: string;
}

export interface AgentInfo {
  id: string;
  hostname: string;
  ip: string;
  pid: string;
  version: string;
}

/** What a runner gets when it claims a job: everything in plaintext, once. */
export interface Job {
  deploymentId: string;
  jobToken: string;
  leaseMs: number;
  org: string;
  project: string;
  stack: string;
  version: number;
  operation: Operation;
  source: NonNullable<DeploymentSpec<string>["sourceContext"]>;
  operationContext: NonNullable<DeploymentSpec<string>["operationContext"]>;
  executorImage?: string;
  steps: PlannedStep[];
  /** Reserved variables except the backend URL, which the runner knows best. */
  environment: Record<string, string>;
  accessToken: string;
  /** Values to mask in logs. */
  secrets: string[];
}

const RUN_TOKEN_SECONDS = 24 * 3600;

export function requesterOf(p: Principal, email = "", avatarUrl = ""): Requester {
  return {
    kind: p.kind, login: p.login, name: p.displayName, email, avatarUrl,
    ...(p.userId ? { userId: p.userId } : {}), ...(p.orgId ? { orgId: p.orgId } : {}), ...(p.teamId ? { teamId: p.teamId } : {}),
  };
}

export class DeploymentService {
  readonly store: DeploymentStore;
  readonly tunables: DeploymentTunables = defaultTunables();
  /** Credential of the service's own (in-process) runners for the default pool. */
  readonly internalRunnerToken = `pul-${randomBytes(20).toString("hex")}`;
  private readonly wake = new EventEmitter();
  /** Decrypted secret values per deployment, for masking logs on ingest. */
  private readonly secretCache = new Map<string, string[]>();
  /** Hooks run when a deployment ends (schedules record results, tests observe). */
  onFinished: ((d: DeploymentRow) => Promise<void>)[] = [];
  private closed = false;

  constructor(private readonly s: Services) {
    this.store = new DeploymentStore(s.db);
    this.wake.setMaxListeners(0);
  }

  // ---- secrets ---------------------------------------------------------------------------------
  async seal(stackId: number, spec: DeploymentSpec<WireValue>): Promise<DeploymentSpec<StoredValue>> {
    return mapSecrets(spec, async (v, path): Promise<StoredValue> => {
      if (typeof v !== "string" && "ciphertext" in v) return { ciphertext: v.ciphertext };
      if (!mustSeal(v, path)) return typeof v === "string" ? v : v.secret;
      const plain = typeof v === "string" ? v : v.secret;
      const [c] = await this.s.secrets.encrypt(stackId, [Buffer.from(plain, "utf8").toString("base64")]);
      return { ciphertext: c! };
    });
  }

  async unseal(stackId: number, spec: DeploymentSpec<StoredValue>): Promise<{ spec: DeploymentSpec<string>; secrets: string[] }> {
    const secrets: string[] = [];
    const out = await mapSecrets(spec, async (v): Promise<string> => {
      if (typeof v === "string") return v;
      const [p] = await this.s.secrets.decrypt(stackId, [v.ciphertext]);
      const text = Buffer.from(p!, "base64").toString("utf8");
      secrets.push(text);
      return text;
    });
    return { spec: out, secrets };
  }

  // ---- create ------------------------------------------------------------------------------------
  async requesterFor(p: Principal): Promise<Requester> {
    const u = p.userId ? await this.s.identity.store.userById(p.userId) : undefined;
    return requesterOf(p, u?.email ?? "", u?.avatar_url ?? "");
  }

  async settingsSpec(stackId: number): Promise<DeploymentSpec<StoredValue>> {
    const row = await this.store.settings(stackId);
    return row ? (JSON.parse(row.settings) as DeploymentSpec<StoredValue>) : {};
  }

  /** Validates and queues a deployment; `body` may already hold sealed values (schedules). */
  async create(ref: StackRef, requester: Requester, body: unknown, opts: { initiator: string; scheduleId?: string } = { initiator: "api" }): Promise<DeploymentRow> {
    const parsed = parseSpec(body);
    const inherit = typeof body === "object" && body !== null && (body as Record<string, unknown>)["inheritSettings"] === true;
    let spec = await this.seal(ref.stack.id, parsed);
    if (inherit) spec = mergeSpecs(await this.settingsSpec(ref.stack.id), spec);
    if (!spec.operation) throw badRequest("operation is required (update, preview, refresh, destroy, detect-drift or remediate-drift)");
    if (!spec.sourceContext?.git?.repoURL) throw badRequest("sourceContext.git.repoURL is required (set it in the request or in the stack's deployment settings)");
    if (!spec.sourceContext.git.branch && !spec.sourceContext.git.commit) spec.sourceContext.git.branch = "HEAD";
    const poolId = spec.agentPoolID ?? null;
    if (poolId) {
      const pool = await this.s.db.one<{ id: string }>("SELECT id FROM agent_pools WHERE id = ? AND org_id = ?", [poolId, ref.org.id]);
      if (!pool) throw badRequest(`agent pool '${poolId}' not found in organization '${ref.org.name}'`);
    }
    const steps = planSteps(spec);
    const id = randomUUID();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.s.db.tx(async (q) => {
          const version = ((await this.store.latestVersion(ref.stack.id, q))?.v ?? 0) + 1;
          const t = Date.now();
          await this.store.insert(q, {
            id, stack_id: ref.stack.id, org_id: ref.org.id, version, operation: spec.operation!, status: "not-started", pool_key: poolId ?? DEFAULT_POOL,
            request: JSON.stringify(spec), requester: JSON.stringify(requester), initiator: opts.initiator, schedule_id: opts.scheduleId ?? null,
            created_at: t, modified_at: t,
          }, steps);
        });
        break;
      } catch (err) {
        // Two creates on one stack raced for the same version: take the next one.
        if (!isUniqueViolation(err) || attempt >= 5) throw err;
      }
    }
    this.wake.emit("job");
    return (await this.store.byId(id))!;
  }

  // ---- read ----------------------------------------------------------------------------------
  async byId(ref: StackRef, id: string): Promise<DeploymentRow> {
    const d = await this.store.byId(id);
    if (!d || d.stack_id !== ref.stack.id) throw notFound(`deployment '${id}' not found`);
    return d;
  }

  async byVersion(ref: StackRef, versionText: string): Promise<DeploymentRow> {
    const v = Number(versionText);
    if (!Number.isInteger(v) || v < 1) throw badRequest(`invalid deployment version '${versionText}'`);
    const d = await this.store.byVersion(ref.stack.id, v);
    if (!d) throw notFound(`deployment version ${v} not found`);
    return d;
  }

  async list(ref: StackRef, pageText: string | undefined, pageSizeText: string | undefined): Promise<unknown[]> {
    const page = pageText === undefined ? 1 : Number(pageText);
    const size = pageSizeText === undefined ? 10 : Number(pageSizeText);
    if (!Number.isInteger(page) || page < 1) throw badRequest("page must be an integer of at least 1");
    if (!Number.isInteger(size) || size < 1 || size > 100) throw badRequest("pageSize must be an integer from 1 to 100");
    const rows = await this.store.list(ref.stack.id, size, (page - 1) * size);
    return rows.map((d) => ({ ...this.summary(d), projectName: ref.stack.project, stackName: ref.stack.name }));
  }

  private summary(d: DeploymentRow) {
    const r = JSON.parse(d.requester) as Requester;
    return {
      id: d.id, created: serviceTime(d.created_at), modified: serviceTime(d.modified_at), status: d.status, version: d.version,
      requestedBy: { name: r.name, githubLogin: r.login, avatarUrl: r.avatarUrl, email: r.email },
      pulumiOperation: d.operation,
    };
  }

  /** The seed's deployment document; `backendUrl` is how the caller reached this service. */
  async view(ref: StackRef, d: DeploymentRow, backendUrl: string): Promise<Record<string, unknown>> {
    const steps = await this.store.steps(d.id);
    const spec = JSON.parse(d.request) as DeploymentSpec<StoredValue>;
    const latest = (await this.store.latestVersion(d.stack_id))?.v ?? d.version;
    const env: { name: string; value?: string; secret: boolean }[] = [];
    for (const [name, v] of Object.entries(spec.operationContext?.environmentVariables ?? {})) {
      if (RESERVED_VARIABLES.includes(name)) continue;
      env.push(typeof v === "string" ? { name, value: v, secret: false } : { name, secret: true });
    }
    const reserved = reservedVariables({ id: d.id, version: d.version, backendUrl, buildUrl: this.buildUrl(backendUrl, ref, d) });
    for (const [name, value] of Object.entries(reserved)) env.push({ name, value, secret: false });
    env.push({ name: "PULUMI_ACCESS_TOKEN", secret: true });
    const git = spec.sourceContext?.git;
    const updates = await this.updates(ref, d);
    return {
      ...this.summary(d),
      projectName: ref.stack.project, stackName: ref.stack.name, latestVersion: latest, initiator: d.initiator,
      ...(d.message ? { message: d.message } : {}),
      ...(d.drift_detected !== null ? { driftDetected: d.drift_detected === 1 } : {}),
      ...(d.schedule_id ? { scheduleID: d.schedule_id } : {}),
      updates,
      jobs: [jobView(d, steps)],
      configuration: {
        environmentVariables: env,
        source: git ? { git: { repoURL: git.repoURL, ...(git.branch ? { branch: git.branch } : {}), ...(git.commit ? { commit: git.commit } : {}), ...(git.repoDir ? { repoDir: git.repoDir } : {}) } } : {},
        ...(spec.operationContext?.preRunCommands ? { preRunCommands: spec.operationContext.preRunCommands } : {}),
        ...(spec.operationContext?.options ? { options: spec.operationContext.options } : {}),
        ...(spec.operationContext?.oidc ? { oidc: spec.operationContext.oidc } : {}),
        ...(spec.executorContext ? { executorContext: spec.executorContext } : {}),
        ...(spec.agentPoolID ? { agentPoolID: spec.agentPoolID } : {}),
      },
    };
  }

  private buildUrl(backendUrl: string, ref: StackRef, d: DeploymentRow): string {
    return `${backendUrl}/api/stacks/${ref.org.name}/${ref.stack.project}/${ref.stack.name}/deployments/${d.id}`;
  }

  /** The updates the deployment's operation made (linked once it ends, looked up while it runs). */
  async updates(ref: StackRef, d: DeploymentRow): Promise<{ updateID: string; version: number; latestVersion: number }[]> {
    if (d.started_at === 0) return [];
    const rows = await this.store.updatesDuring(d.stack_id, d.started_at, d.finished_at || Date.now());
    const latest = ref.stack.version;
    return rows.map((u) => ({ updateID: u.id, version: u.version, latestVersion: Math.max(latest, u.version) }));
  }

  // ---- logs ------------------------------------------------------------------------------------
  async logs(d: DeploymentRow, query: Record<string, string | undefined>): Promise<Record<string, unknown>> {
    const steps = await this.store.steps(d.id);
    if (query["step"] !== undefined) {
      const job = Number(query["job"] ?? 0);
      const step = Number(query["step"]);
      const offset = Number(query["offset"] ?? 0);
      const count = Number(query["count"] ?? 100);
      if (job !== 0) throw badRequest("job must be 0");
      if (!Number.isInteger(step) || step < 1 || step > steps.length) throw badRequest(`step must be from 1 to ${steps.length}`);
      if (!Number.isInteger(offset) || offset < 0) throw badRequest("offset must be a non-negative integer");
      if (!Number.isInteger(count) || count < 1 || count > 1000) throw badRequest("count must be from 1 to 1000");
      const s = steps[step - 1]!;
      const lines = await this.store.lines(d.id, step, offset, count);
      const next = offset + lines.length;
      const more = next < s.line_count || (!isTerminal(s.status) && s.status !== "not-started" && !isTerminal(d.status)) || (s.status === "not-started" && !isTerminal(d.status));
      return { lines: lines.map(lineView), ...(more ? { nextOffset: next } : {}) };
    }
    const token = parseLogToken(query["nextToken"] ?? query["continuationToken"]);
    if (token.job !== 0) throw badRequest("job must be 0");
    const { reads, next } = planLogRead(
      steps.map((s) => ({ status: s.status as never, name: s.name, lineCount: s.line_count })),
      token, isTerminal(d.status), 500,
    );
    const out: Record<string, unknown>[] = [];
    for (const r of reads) {
      if (r.kind === "header") out.push({ header: r.name, timestamp: rfc3339(0) });
      else for (const l of await this.store.lines(d.id, r.step + 1, r.from, r.count)) out.push(lineView(l));
    }
    return { lines: out, ...(next ? { nextToken: formatLogToken(next) } : {}) };
  }

  // ---- cancel ----------------------------------------------------------------------------------
  async cancel(d: DeploymentRow): Promise<void> {
    const t = Date.now();
    if (d.status === "not-started") {
      if ((await this.store.cancelWaiting(d.id, t)).changes === 1) {
        await this.afterFinish(d.id);
        return;
      }
      d = (await this.store.byId(d.id))!;
    }
    if (isTerminal(d.status)) throw conflict(`the deployment is not in progress (${d.status})`);
    await this.store.requestCancel(d.id, t);
    this.wake.emit(`cancel:${d.id}`);
  }

  /** Ends waiting claims and heartbeats at once: the service is shutting down. */
  shutdown(): void {
    this.closed = true;
    this.wake.emit("job");
    this.wake.emit("shutdown");
  }

  /** Resolves when `id` is asked to cancel or `ms` pass (a runner's heartbeat waits on this). */
  waitForCancel(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.off(`cancel:${id}`, done);
        this.wake.off("shutdown", done);
        resolve();
      };
      if (this.closed) return resolve();
      const timer = setTimeout(done, ms);
      this.wake.on(`cancel:${id}`, done);
      this.wake.on("shutdown", done);
    });
  }

  // ---- settings --------------------------------------------------------------------------------
  /** Stored settings with secrets as ciphertext. */
  async getSettings(ref: StackRef): Promise<DeploymentSpec<StoredValue>> {
    return this.settingsSpec(ref.stack.id);
  }

  async patchSettings(ref: StackRef, body: unknown): Promise<void> {
    const current = await this.settingsSpec(ref.stack.id);
    const { mergePatch } = await import("./model.js");
    const merged = mergePatch(current, body);
    const parsed = parseSpec(merged, "settings");
    const sealed = await this.seal(ref.stack.id, parsed);
    await this.s.db.tx((q) => this.store.putSettings(q, ref.stack.id, JSON.stringify(sealed)));
  }

  async deleteSettings(ref: StackRef): Promise<void> {
    await this.store.deleteSettings(ref.stack.id);
  }

  // ---- runners ---------------------------------------------------------------------------------
  /** A pool token names its pool; the service's own token and site admins serve the default pool. */
  async runnerPool(token: string | undefined): Promise<{ poolKey: string }> {
    if (!token) throw unauthorized("runners authenticate with an agent pool token");
    if (token === this.internalRunnerToken) return { poolKey: DEFAULT_POOL };
    const pool = await this.s.db.one<{ id: string }>("SELECT id FROM agent_pools WHERE token_hash = ?", [hashToken(token)]);
    if (pool) return { poolKey: pool.id };
    const p = await this.s.identity.authenticate(token).catch(() => undefined);
    if (p?.siteAdmin) return { poolKey: DEFAULT_POOL };
    throw unauthorized("invalid agent pool token");
  }

  async recordAgent(poolKey: string, a: AgentInfo, deployment: boolean): Promise<void> {
    const t = Date.now();
    await this.s.db.run(
      `INSERT INTO agents (pool_key, agent_id, hostname, ip, pid, version, last_seen, last_deployment) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pool_key, agent_id) DO UPDATE SET hostname = excluded.hostname, ip = excluded.ip, pid = excluded.pid, version = excluded.version,
         last_seen = excluded.last_seen${deployment ? ", last_deployment = excluded.last_deployment" : ""}`,
      [poolKey, a.id, a.hostname, a.ip, a.pid, a.version, t, deployment ? t : 0],
    );
  }

  /** Long-polls for a job of the pool: resolves with one, or undefined after `waitMs`. */
  async claim(poolKey: string, agent: AgentInfo, waitMs: number, gone?: AbortSignal): Promise<Job | undefined> {
    const deadline = Date.now() + Math.min(Math.max(0, waitMs), this.tunables.claimWaitMs);
    await this.recordAgent(poolKey, agent, false);
    for (;;) {
      if (this.closed || gone?.aborted) return undefined;
      const job = await this.tryClaim(poolKey, agent);
      if (job) {
        // The runner hung up while we waited: put the job back rather than strand it until its lease lapses.
        if (gone?.aborted) {
          await this.unclaim(job.deploymentId);
          return undefined;
        }
        await this.recordAgent(poolKey, agent, true);
        return job;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return undefined;
      // Woken by a new deployment in this process; polls for those created by other processes.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake.off("job", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 250));
        this.wake.on("job", done);
      });
    }
  }

  private async unclaim(id: string): Promise<void> {
    const d = await this.store.byId(id);
    await this.s.db.tx(async (q) => {
      await q.run(
        "UPDATE deployments SET status = 'not-started', runner_id = NULL, job_token_hash = NULL, lease_expires = 0, started_at = 0, run_token_id = NULL WHERE id = ? AND status = 'accepted'",
        [id],
      );
      if (d?.run_token_id) await q.run("DELETE FROM tokens WHERE id = ?", [d.run_token_id]);
    });
    this.secretCache.delete(id);
    this.wake.emit("job");
  }

  private async tryClaim(poolKey: string, agent: AgentInfo): Promise<Job | undefined> {
    const jobToken = randomBytes(32).toString("base64url");
    const accessToken = newAccessToken();
    const t = Date.now();
    const claimed = await this.s.db.tx(async (q) => {
      // Claims are short; one at a time keeps "one deployment per stack" true across processes.
      if (q.dialect === "postgres") await q.run("SELECT pg_advisory_xact_lock(7415)");
      const next = await this.store.nextClaimable(q, poolKey, t);
      if (!next) return undefined;
      const won = await this.store.claim(q, next.id, { runnerId: agent.id, jobTokenHash: hashToken(jobToken), leaseExpires: t + this.tunables.leaseMs, now: t });
      if (won.changes !== 1) return undefined;
      const d = (await this.store.byId(next.id, q))!;
      const tokenId = await this.insertRunToken(q, d, accessToken);
      await this.store.setRunToken(q, d.id, tokenId);
      return d;
    });
    if (!claimed) return undefined;
    try {
      return await this.jobFor(claimed, jobToken, accessToken);
    } catch (err) {
      await this.finish(claimed.id, "failed", `the deployment could not be prepared: ${(err as Error).message}`, undefined);
      return undefined;
    }
  }

  /** An access token acting as the requester, valid while the job runs (revoked when it ends). */
  private async insertRunToken(q: Queryable, d: DeploymentRow, value: string): Promise<string> {
    const r = JSON.parse(d.requester) as Requester;
    const id = randomUUID();
    const kind = r.kind === "user" ? "personal" : r.kind;
    await this.s.identity.store.insertToken(q, {
      id, hash: hashToken(value), kind, user_id: r.userId ?? null, org_id: kind === "personal" ? null : (r.orgId ?? null), team_id: r.teamId ?? null,
      name: kind === "personal" ? "" : `deployment-${d.id}`, description: `Stackyard deployment ${d.id}`,
      created_at: Math.floor(Date.now() / 1000), expires: Math.floor(Date.now() / 1000) + RUN_TOKEN_SECONDS,
    });
    return id;
  }

  private async jobFor(d: DeploymentRow, jobToken: string, accessToken: string): Promise<Job> {
    const ref = await this.refOf(d);
    if (!ref) throw new Error("the stack no longer exists");
    const stored = JSON.parse(d.request) as DeploymentSpec<StoredValue>;
    const { spec, secrets } = await this.unseal(d.stack_id, stored);
    const steps = (await this.store.steps(d.id)).map((s): PlannedStep => {
      const planned: PlannedStep = { name: s.name, kind: s.kind as PlannedStep["kind"] };
      const m = /^Pre-run command (\d+)$/.exec(s.name);
      if (s.kind === "prerun" && m) planned.index = Number(m[1]) - 1;
      return planned;
    });
    const environment = reservedVariables({ id: d.id, version: d.version, backendUrl: "", buildUrl: "" });
    delete environment["PULUMI_BACKEND_URL"];
    delete environment["PULUMI_CI_BUILD_URL"];
    this.secretCache.set(d.id, [...secrets, accessToken]);
    return {
      deploymentId: d.id, jobToken, leaseMs: this.tunables.leaseMs, org: ref.org.name, project: ref.stack.project, stack: ref.stack.name,
      version: d.version, operation: d.operation as Operation, source: spec.sourceContext ?? {}, operationContext: spec.operationContext ?? {},
      ...(spec.executorContext?.executorImage ? { executorImage: spec.executorContext.executorImage } : {}),
      steps, environment, accessToken, secrets: [...secrets, accessToken],
    };
  }

  async refOf(d: Pick<DeploymentRow, "stack_id">): Promise<StackRef | undefined> {
    const stack = await this.s.stacks.store.byId(d.stack_id);
    if (!stack) return undefined;
    const org = await this.s.identity.store.orgById(stack.org_id);
    return org ? { org, stack } : undefined;
  }

  /** Checks a runner's job token; 409 once the job ended (reaped or cancelled while it was away). */
  async jobAuth(id: string, token: string | undefined): Promise<DeploymentRow> {
    if (!token) throw unauthorized("this endpoint requires a job token");
    const d = await this.store.byId(id);
    if (!d || !d.job_token_hash || !sameHash(d.job_token_hash, hashToken(token))) throw unauthorized("invalid job token");
    return d;
  }

  private static active(d: DeploymentRow): void {
    if (isTerminal(d.status)) throw conflict(`the deployment already ended (${d.status})${d.message ? `: ${d.message}` : ""}`);
  }

  /** Renews the lease; answers whether the job should stop. Waits up to `waitMs` for a cancel. */
  async heartbeat(d: DeploymentRow, waitMs: number): Promise<{ cancelRequested: boolean; leaseMs: number }> {
    DeploymentService.active(d);
    await this.store.renewLease(d.id, Date.now() + this.tunables.leaseMs);
    if (d.cancel_requested === 0 && waitMs > 0) {
      await this.waitForCancel(d.id, Math.min(waitMs, this.tunables.leaseMs / 3));
      d = (await this.store.byId(d.id)) ?? d;
    }
    return { cancelRequested: d.cancel_requested === 1 || isTerminal(d.status), leaseMs: this.tunables.leaseMs };
  }

  async setStep(d: DeploymentRow, step: number, status: string): Promise<void> {
    DeploymentService.active(d);
    if (!["running", "succeeded", "failed", "cancelled", "skipped"].includes(status)) throw badRequest(`invalid step status '${status}'`);
    const t = Date.now();
    await this.s.db.tx(async (q) => {
      const r = await this.store.setStep(q, d.id, step, status, t);
      if (r.changes === 0) throw notFound(`step ${step} not found`);
      if (status === "running") await this.store.markRunning(q, d.id, t);
      await this.store.touch(q, d.id, t);
    });
  }

  private async secretsOf(d: DeploymentRow): Promise<string[]> {
    const cached = this.secretCache.get(d.id);
    if (cached) return cached;
    const { secrets } = await this.unseal(d.stack_id, JSON.parse(d.request) as DeploymentSpec<StoredValue>);
    this.secretCache.set(d.id, secrets);
    return secrets;
  }

  async appendLogs(d: DeploymentRow, step: number, lines: unknown): Promise<void> {
    DeploymentService.active(d);
    if (!Array.isArray(lines)) throw badRequest("lines must be a list");
    const secrets = await this.secretsOf(d);
    const rows = lines.map((l) => {
      const o = (typeof l === "string" ? { line: l } : l) as { line?: unknown; timestamp?: unknown };
      if (typeof o.line !== "string") throw badRequest("each log line needs a 'line' string");
      const ts = typeof o.timestamp === "string" ? Date.parse(o.timestamp) : typeof o.timestamp === "number" ? o.timestamp : Date.now();
      return { ts: Number.isFinite(ts) ? ts : Date.now(), line: maskSecrets(o.line, secrets) };
    });
    await this.s.db.tx((q) => this.store.appendLines(q, d.id, step, rows));
  }

  async complete(d: DeploymentRow, status: string, message: string, drift: boolean | undefined): Promise<void> {
    if (!["succeeded", "failed", "cancelled"].includes(status)) throw badRequest("status must be succeeded, failed or cancelled");
    if (isTerminal(d.status)) {
      if (d.status === status) return;
      DeploymentService.active(d);
    }
    // A job asked to stop that then ended is cancelled, whatever its process reported.
    const final = d.cancel_requested === 1 && status !== "succeeded" ? "cancelled" : status;
    await this.finish(d.id, final, message, drift);
  }

  /** Ends a deployment once; then links its updates, stops what it left running, and revokes its token. */
  async finish(id: string, status: string, message: string, drift: boolean | undefined): Promise<boolean> {
    const won = await this.s.db.tx((q) => this.store.finish(q, id, { status, message, drift, now: Date.now() }));
    if (won) await this.afterFinish(id);
    return won;
  }

  private async afterFinish(id: string): Promise<void> {
    const d = await this.store.byId(id);
    this.secretCache.delete(id);
    if (!d) return;
    if (d.run_token_id) await this.s.db.run("DELETE FROM tokens WHERE id = ?", [d.run_token_id]);
    const ref = await this.refOf(d);
    if (ref && d.started_at > 0) {
      const ups = await this.store.updatesDuring(d.stack_id, d.started_at, d.finished_at || Date.now());
      const real = ups.filter((u) => u.dry_run === 0);
      const last = real[real.length - 1] ?? ups[ups.length - 1];
      if (last) await this.store.setUpdate(d.id, last.id, last.version);
      // A cancelled or failed run may leave its update holding the stack: release it.
      for (const u of ups) {
        if (u.status === "running" || u.status === "not started") {
          try {
            await this.s.updates.cancel(ref, u.id);
          } catch {
            // It ended by itself in the meantime.
          }
        }
      }
    }
    for (const hook of this.onFinished) {
      try {
        await hook(d);
      } catch (err) {
        process.stderr.write(`stackyard: deployment ${id}: ${(err as Error).message}\n`);
      }
    }
    this.wake.emit("job");
  }

  /** Fails deployments whose runner stopped renewing its lease. */
  async reap(): Promise<number> {
    const t = Date.now();
    let n = 0;
    for (const d of await this.store.expired(t)) {
      const msg = `the runner '${d.runner_id ?? "?"}' stopped responding: its lease expired at ${new Date(d.lease_expires).toISOString()} ` +
        `(no heartbeat for ${this.tunables.leaseMs} ms), so the deployment failed`;
      const steps = await this.store.steps(d.id);
      const running = steps.find((s) => s.status === "running");
      if (running) await this.s.db.tx((q) => this.store.appendLines(q, d.id, running.step, [{ ts: t, line: `error: ${msg}\n` }])).catch(() => undefined);
      if (await this.finish(d.id, "failed", msg, undefined)) n++;
    }
    return n;
  }
}

function lineView(l: { ts: number; line: string }): { timestamp: string; line: string } {
  return { timestamp: rfc3339(l.ts), line: l.line };
}

function jobView(d: DeploymentRow, steps: StepRow[]) {
  const started = d.started_at;
  const last = Math.max(d.modified_at, ...steps.map((s) => s.last_updated));
  return {
    status: d.status === "accepted" ? "running" : d.status,
    started: rfc3339(started),
    lastUpdated: rfc3339(started ? last : 0),
    steps: steps.map((s) => ({ name: s.name, status: s.status, started: rfc3339(s.started), lastUpdated: rfc3339(s.last_updated) })),
  };
}

export { DEFAULT_POOL };
export type { Sealed };
