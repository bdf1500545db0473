/** Deployments, their steps and logs, and per-stack deployment settings: queries only. */
import type { Queryable } from "../db/db.js";

export interface DeploymentRow {
  seq: number;
  id: string;
  stack_id: number;
  org_id: string;
  version: number;
  operation: string;
  status: string;
  pool_key: string;
  request: string;
  requester: string;
  initiator: string;
  schedule_id: string | null;
  created_at: number;
  modified_at: number;
  started_at: number;
  finished_at: number;
  runner_id: string | null;
  job_token_hash: string | null;
  lease_expires: number;
  cancel_requested: number;
  run_token_id: string | null;
  update_id: string | null;
  update_version: number | null;
  message: string;
  drift_detected: number | null;
}

export interface StepRow {
  deployment_id: string;
  step: number;
  name: string;
  kind: string;
  status: string;
  started: number;
  last_updated: number;
  line_count: number;
}

export interface LogRow {
  step: number;
  line_no: number;
  ts: number;
  line: string;
}

/** The pool key of deployments with no `agentPoolID`: the service's own runners. */
export const DEFAULT_POOL = "default";

export class DeploymentStore {
  constructor(private readonly q: Queryable) {}

  byId(id: string, q = this.q) {
    return q.one<DeploymentRow>("SELECT * FROM deployments WHERE id = ?", [id]);
  }
  byVersion(stackId: number, version: number) {
    return this.q.one<DeploymentRow>("SELECT * FROM deployments WHERE stack_id = ? AND version = ?", [stackId, version]);
  }
  latestVersion(stackId: number, q = this.q) {
    return q.one<{ v: number | null }>("SELECT MAX(version) AS v FROM deployments WHERE stack_id = ?", [stackId]);
  }
  list(stackId: number, limit: number, offset: number) {
    return this.q.all<DeploymentRow>("SELECT * FROM deployments WHERE stack_id = ? ORDER BY version LIMIT ? OFFSET ?", [stackId, limit, offset]);
  }
  steps(id: string, q = this.q) {
    return q.all<StepRow>("SELECT * FROM deployment_steps WHERE deployment_id = ? ORDER BY step", [id]);
  }
  stepsOf(ids: readonly string[]) {
    if (ids.length === 0) return Promise.resolve([] as StepRow[]);
    return this.q.all<StepRow>(`SELECT * FROM deployment_steps WHERE deployment_id IN (${ids.map(() => "?").join(", ")}) ORDER BY deployment_id, step`, ids);
  }
  async insert(q: Queryable, d: Omit<DeploymentRow, "seq" | "started_at" | "finished_at" | "runner_id" | "job_token_hash" | "lease_expires" | "cancel_requested" | "run_token_id" | "update_id" | "update_version" | "message" | "drift_detected">, steps: readonly { name: string; kind: string }[]): Promise<void> {
    await q.run(
      `INSERT INTO deployments (id, stack_id, org_id, version, operation, status, pool_key, request, requester, initiator, schedule_id, created_at, modified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [d.id, d.stack_id, d.org_id, d.version, d.operation, d.status, d.pool_key, d.request, d.requester, d.initiator, d.schedule_id, d.created_at, d.modified_at],
    );
    let i = 1;
    for (const s of steps) {
      await q.run("INSERT INTO deployment_steps (deployment_id, step, name, kind, status) VALUES (?, ?, ?, ?, 'not-started')", [d.id, i++, s.name, s.kind]);
    }
  }

  /** The oldest waiting deployment of the pool whose stack has no deployment or live update running. */
  nextClaimable(q: Queryable, poolKey: string, nowMs: number) {
    return q.one<{ id: string }>(
      `SELECT d.id FROM deployments d JOIN stacks s ON s.id = d.stack_id
        WHERE d.status = 'not-started' AND d.pool_key = ?
          AND NOT EXISTS (SELECT 1 FROM deployments x WHERE x.stack_id = d.stack_id AND x.status IN ('accepted', 'running'))
          AND (s.lock_update IS NULL OR NOT EXISTS (
                SELECT 1 FROM updates u WHERE u.id = s.lock_update AND u.status = 'running' AND u.lease_expires > ?))
        ORDER BY d.seq LIMIT 1`,
      [poolKey, Math.floor(nowMs / 1000)],
    );
  }
  /** Conditional, so two claimers can never both win the same deployment. */
  claim(q: Queryable, id: string, c: { runnerId: string; jobTokenHash: string; leaseExpires: number; now: number }) {
    return q.run(
      "UPDATE deployments SET status = 'accepted', runner_id = ?, job_token_hash = ?, lease_expires = ?, started_at = ?, modified_at = ? WHERE id = ? AND status = 'not-started'",
      [c.runnerId, c.jobTokenHash, c.leaseExpires, c.now, c.now, id],
    );
  }
  setRunToken(q: Queryable, id: string, tokenId: string) {
    return q.run("UPDATE deployments SET run_token_id = ? WHERE id = ?", [tokenId, id]);
  }
  renewLease(id: string, leaseExpires: number) {
    return this.q.run("UPDATE deployments SET lease_expires = ? WHERE id = ? AND status IN ('accepted', 'running')", [leaseExpires, id]);
  }
  requestCancel(id: string, now: number) {
    return this.q.run("UPDATE deployments SET cancel_requested = 1, modified_at = ? WHERE id = ? AND status IN ('accepted', 'running')", [now, id]);
  }
  cancelWaiting(id: string, now: number) {
    return this.q.run("UPDATE deployments SET status = 'cancelled', cancel_requested = 1, modified_at = ?, finished_at = ? WHERE id = ? AND status = 'not-started'", [now, now, id]);
  }
  /** Ends an active deployment; false when it had already ended (a reaper or another call won). */
  async finish(q: Queryable, id: string, f: { status: string; message: string; drift: boolean | undefined; now: number }): Promise<boolean> {
    const r = await q.run(
      "UPDATE deployments SET status = ?, message = ?, drift_detected = ?, finished_at = ?, modified_at = ?, lease_expires = 0 WHERE id = ? AND status IN ('accepted', 'running')",
      [f.status, f.message, f.drift === undefined ? null : f.drift ? 1 : 0, f.now, f.now, id],
    );
    if (r.changes === 0) return false;
    await q.run("UPDATE deployment_steps SET status = ?, last_updated = ? WHERE deployment_id = ? AND status = 'running'", [
      f.status === "succeeded" ? "succeeded" : f.status, f.now, id,
    ]);
    return true;
  }
  setStep(q: Queryable, id: string, step: number, status: string, now: number) {
    return q.run(
      "UPDATE deployment_steps SET status = ?, started = CASE WHEN started = 0 AND ? = 'running' THEN ? ELSE started END, last_updated = ? WHERE deployment_id = ? AND step = ?",
      [status, status, now, now, id, step],
    );
  }
  markRunning(q: Queryable, id: string, now: number) {
    return q.run("UPDATE deployments SET status = 'running', modified_at = ? WHERE id = ? AND status = 'accepted'", [now, id]);
  }
  touch(q: Queryable, id: string, now: number) {
    return q.run("UPDATE deployments SET modified_at = ? WHERE id = ?", [now, id]);
  }
  async appendLines(q: Queryable, id: string, step: number, lines: readonly { ts: number; line: string }[]): Promise<void> {
    const row = await q.one<{ line_count: number }>(`SELECT line_count FROM deployment_steps WHERE deployment_id = ? AND step = ?${q.dialect === "postgres" ? " FOR UPDATE" : ""}`, [id, step]);
    if (!row) return;
    let n = row.line_count;
    for (const l of lines) await q.run("INSERT INTO deployment_logs (deployment_id, step, line_no, ts, line) VALUES (?, ?, ?, ?, ?)", [id, step, n++, l.ts, l.line]);
    await q.run("UPDATE deployment_steps SET line_count = ?, last_updated = ? WHERE deployment_id = ? AND step = ?", [n, Date.now(), id, step]);
  }
  lines(id: string, step: number, from: number, count: number) {
    return this.q.all<LogRow>("SELECT step, line_no, ts, line FROM deployment_logs WHERE deployment_id = ? AND step = ? AND line_no >= ? ORDER BY line_no LIMIT ?", [id, step, from, count]);
  }
  expired(now: number) {
    return this.q.all<DeploymentRow>("SELECT * FROM deployments WHERE status IN ('accepted', 'running') AND lease_expires < ?", [now]);
  }
  setUpdate(id: string, updateId: string, version: number) {
    return this.q.run("UPDATE deployments SET update_id = ?, update_version = ? WHERE id = ?", [updateId, version, id]);
  }
  /** Updates of the stack created while the deployment ran: the ones its operation made. */
  updatesDuring(stackId: number, fromMs: number, toMs: number) {
    return this.q.all<{ id: string; version: number; status: string; dry_run: number; kind: string }>(
      "SELECT id, version, status, dry_run, kind FROM updates WHERE stack_id = ? AND created_at >= ? AND created_at <= ? ORDER BY created_at",
      [stackId, Math.floor(fromMs / 1000), Math.ceil(toMs / 1000)],
    );
  }
  activeOfSchedule(scheduleId: string) {
    return this.q.one<{ id: string }>("SELECT id FROM deployments WHERE schedule_id = ? AND status IN ('not-started', 'accepted', 'running') LIMIT 1", [scheduleId]);
  }

  settings(stackId: number) {
    return this.q.one<{ settings: string }>("SELECT settings FROM deployment_settings WHERE stack_id = ?", [stackId]);
  }
  putSettings(q: Queryable, stackId: number, settings: string) {
    return q.run("INSERT INTO deployment_settings (stack_id, settings) VALUES (?, ?) ON CONFLICT (stack_id) DO UPDATE SET settings = excluded.settings", [stackId, settings]);
  }
  deleteSettings(stackId: number) {
    return this.q.run("DELETE FROM deployment_settings WHERE stack_id = ?", [stackId]);
  }
}
