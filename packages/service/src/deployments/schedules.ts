/**
 * Scheduled deployments: raw (cron or once), drift (a cron running detect-drift, optionally
 * remediating) and TTL (a destroy at a timestamp, optionally deleting the stack). A tick claims due
 * schedules with a conditional UPDATE on their next execution, so several service processes never
 * fire one twice.
 */
import { randomUUID } from "node:crypto";
import { Cron } from "croner";
import type { Services } from "../http/context.js";
import { badRequest, notFound } from "../http/errors.js";
import type { StackRef } from "../stacks/service.js";
import type { DeploymentSpec, StoredValue } from "./model.js";
import { parseSpec, serviceTime } from "./model.js";
import type { DeploymentService, Requester } from "./service.js";

interface ScheduleRow {
  id: string;
  org_id: string;
  stack_id: number;
  cron: string | null;
  once_at: number | null;
  next_execution: number | null;
  paused: number;
  request: string;
  requester: string;
  created_at: number;
  modified_at: number;
  last_executed: number | null;
}

/** Validates a cron expression (5 fields, or 6 with seconds) and returns its next run after `from`. */
export function nextCronRun(expr: string, from: Date): number | undefined {
  let job: Cron;
  try {
    job = new Cron(expr, { timezone: "Etc/UTC", paused: true });
  } catch (err) {
    throw badRequest(`invalid cron expression '${expr}': ${(err as Error).message}`);
  }
  return job.nextRun(from)?.getTime();
}

/** ISO 8601 (or the service's `2024-04-20 00:00:00.000`, read as UTC) to unix ms. */
export function parseTimestamp(text: unknown, what: string): number {
  if (typeof text !== "string" || text === "") throw badRequest(`${what} must be an ISO 8601 timestamp`);
  const normalized = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text) && !/[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? `${text.replace(" ", "T")}Z` : text;
  const ms = Date.parse(normalized);
  if (!Number.isFinite(ms)) throw badRequest(`${what} '${text}' is not an ISO 8601 timestamp`);
  return ms;
}

export interface ScheduleBody {
  scheduleCron?: string;
  scheduleOnce?: number;
  request: unknown;
}

export function rawScheduleBody(body: unknown): ScheduleBody {
  const b = (body ?? {}) as Record<string, unknown>;
  const cron = b["scheduleCron"];
  const once = b["scheduleOnce"];
  if ((cron === undefined || cron === null || cron === "") === (once === undefined || once === null || once === "")) {
    throw badRequest("exactly one of scheduleCron and scheduleOnce must be set");
  }
  if (b["request"] === undefined || b["request"] === null || typeof b["request"] !== "object") throw badRequest("request (a create-deployment request) is required");
  if (cron !== undefined && cron !== null && cron !== "") {
    if (typeof cron !== "string") throw badRequest("scheduleCron must be a string");
    return { scheduleCron: cron, request: b["request"] };
  }
  return { scheduleOnce: parseTimestamp(once, "scheduleOnce"), request: b["request"] };
}

export function driftScheduleBody(body: unknown): ScheduleBody {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b["scheduleCron"] !== "string" || b["scheduleCron"] === "") throw badRequest("scheduleCron is required");
  if (b["autoRemediate"] !== undefined && typeof b["autoRemediate"] !== "boolean") throw badRequest("autoRemediate must be a boolean");
  return {
    scheduleCron: b["scheduleCron"],
    request: { inheritSettings: true, operation: "detect-drift", operationContext: { options: { remediateIfDriftDetected: b["autoRemediate"] === true } } },
  };
}

export function ttlScheduleBody(body: unknown): ScheduleBody {
  const b = (body ?? {}) as Record<string, unknown>;
  if (b["deleteAfterDestroy"] !== undefined && typeof b["deleteAfterDestroy"] !== "boolean") throw badRequest("deleteAfterDestroy must be a boolean");
  return {
    scheduleOnce: parseTimestamp(b["timestamp"], "timestamp"),
    request: { inheritSettings: true, operation: "destroy", operationContext: { options: { deleteAfterDestroy: b["deleteAfterDestroy"] === true } } },
  };
}

export class ScheduleService {
  constructor(private readonly s: Services, private readonly deployments: DeploymentService) {}

  private async row(ref: StackRef, id: string): Promise<ScheduleRow> {
    const r = await this.s.db.one<ScheduleRow>("SELECT * FROM deployment_schedules WHERE id = ? AND stack_id = ?", [id, ref.stack.id]);
    if (!r) throw notFound(`schedule '${id}' not found`);
    return r;
  }

  view(r: ScheduleRow): Record<string, unknown> {
    const request = JSON.parse(r.request) as Record<string, unknown>;
    return {
      id: r.id, orgID: r.org_id,
      ...(r.cron ? { scheduleCron: r.cron } : { scheduleOnce: serviceTime(r.once_at ?? 0) }),
      nextExecution: r.next_execution === null ? null : serviceTime(r.next_execution),
      paused: r.paused === 1, kind: "deployment",
      definition: { programID: String(r.stack_id), request },
      created: serviceTime(r.created_at), modified: serviceTime(r.modified_at),
      lastExecuted: r.last_executed === null ? null : serviceTime(r.last_executed),
    };
  }

  /** The request as stored: validated, secrets sealed, operation kept at the top. */
  private async storedRequest(ref: StackRef, request: unknown): Promise<Record<string, unknown>> {
    const spec = parseSpec(request);
    if (!spec.operation) throw badRequest("request.operation is required");
    const sealed: DeploymentSpec<StoredValue> = await this.deployments.seal(ref.stack.id, spec);
    const inherit = (request as Record<string, unknown>)["inheritSettings"] === true;
    return { ...(inherit ? { inheritSettings: true } : {}), ...sealed };
  }

  private nextOf(b: ScheduleBody, now: number): number | null {
    if (b.scheduleCron) return nextCronRun(b.scheduleCron, new Date(now)) ?? null;
    return b.scheduleOnce!;
  }

  async create(ref: StackRef, requester: Requester, b: ScheduleBody): Promise<Record<string, unknown>> {
    const t = Date.now();
    const next = this.nextOf(b, t);
    const request = await this.storedRequest(ref, b.request);
    const id = randomUUID();
    await this.s.db.run(
      `INSERT INTO deployment_schedules (id, org_id, stack_id, cron, once_at, next_execution, paused, request, requester, created_at, modified_at)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
      [id, ref.org.id, ref.stack.id, b.scheduleCron ?? null, b.scheduleOnce ?? null, next, JSON.stringify(request), JSON.stringify(requester), t, t],
    );
    return this.view(await this.row(ref, id));
  }

  async update(ref: StackRef, id: string, b: ScheduleBody): Promise<Record<string, unknown>> {
    const current = await this.row(ref, id);
    const t = Date.now();
    const next = current.paused ? null : this.nextOf(b, t);
    const request = await this.storedRequest(ref, b.request);
    await this.s.db.run(
      "UPDATE deployment_schedules SET cron = ?, once_at = ?, next_execution = ?, request = ?, modified_at = ? WHERE id = ?",
      [b.scheduleCron ?? null, b.scheduleOnce ?? null, next, JSON.stringify(request), t, id],
    );
    return this.view(await this.row(ref, id));
  }

  async get(ref: StackRef, id: string): Promise<Record<string, unknown>> {
    return this.view(await this.row(ref, id));
  }

  async list(ref: StackRef): Promise<{ scheduledDeployments: Record<string, unknown>[] }> {
    const rows = await this.s.db.all<ScheduleRow>("SELECT * FROM deployment_schedules WHERE stack_id = ? ORDER BY created_at, id", [ref.stack.id]);
    return { scheduledDeployments: rows.map((r) => this.view(r)) };
  }

  async remove(ref: StackRef, id: string): Promise<void> {
    await this.row(ref, id);
    await this.s.db.run("DELETE FROM deployment_schedules WHERE id = ?", [id]);
  }

  async pause(ref: StackRef, id: string): Promise<void> {
    await this.row(ref, id);
    await this.s.db.run("UPDATE deployment_schedules SET paused = 1, next_execution = NULL, modified_at = ? WHERE id = ?", [Date.now(), id]);
  }

  async resume(ref: StackRef, id: string): Promise<void> {
    const r = await this.row(ref, id);
    const t = Date.now();
    // A once-schedule whose time passed while paused runs at the next tick.
    const next = r.cron ? (nextCronRun(r.cron, new Date(t)) ?? null) : r.last_executed === null ? (r.once_at ?? null) : null;
    await this.s.db.run("UPDATE deployment_schedules SET paused = 0, next_execution = ?, modified_at = ? WHERE id = ?", [next, t, id]);
  }

  async history(ref: StackRef, id: string): Promise<{ scheduledDeploymentsHistory: Record<string, unknown>[] }> {
    await this.row(ref, id);
    const rows = await this.s.db.all<{ id: string; schedule_id: string; executed: number; version: number | null; deployment_id: string | null; result: string }>(
      "SELECT * FROM deployment_schedule_history WHERE schedule_id = ? ORDER BY executed DESC, id", [id],
    );
    return {
      scheduledDeploymentsHistory: rows.map((h) => ({
        id: h.id, scheduledActionID: h.schedule_id, executed: serviceTime(h.executed), version: h.version, result: h.result,
        ...(h.deployment_id ? { deploymentID: h.deployment_id } : {}),
      })),
    };
  }

  /** Fires every due schedule once; returns how many fired. */
  async tick(now = Date.now()): Promise<number> {
    const due = await this.s.db.all<ScheduleRow>(
      "SELECT * FROM deployment_schedules WHERE paused = 0 AND next_execution IS NOT NULL AND next_execution <= ? ORDER BY next_execution", [now],
    );
    let fired = 0;
    for (const r of due) {
      const next = r.cron ? (nextCronRun(r.cron, new Date(Math.max(now, r.next_execution!))) ?? null) : null;
      const won = await this.s.db.run(
        "UPDATE deployment_schedules SET next_execution = ?, last_executed = ? WHERE id = ? AND next_execution = ? AND paused = 0",
        [next, now, r.id, r.next_execution],
      );
      if (won.changes !== 1) continue;
      fired++;
      await this.execute(r, now);
    }
    return fired;
  }

  private async execute(r: ScheduleRow, now: number): Promise<void> {
    const historyId = randomUUID();
    const record = (result: string, d?: { id: string; version: number }) =>
      this.s.db.run("INSERT INTO deployment_schedule_history (id, schedule_id, executed, version, deployment_id, result) VALUES (?, ?, ?, ?, ?, ?)", [
        historyId, r.id, now, d?.version ?? null, d?.id ?? null, result,
      ]);
    // A schedule never piles up runs: while its last one is still queued or running, it skips.
    if (await this.deployments.store.activeOfSchedule(r.id)) {
      await record("skipped");
      return;
    }
    const ref = await this.deployments.refOf(r);
    if (!ref) return;
    try {
      const d = await this.deployments.create(ref, JSON.parse(r.requester) as Requester, JSON.parse(r.request), { initiator: "schedule", scheduleId: r.id });
      await record("executed", d);
    } catch (err) {
      await record(`failed: ${(err as Error).message}`);
    }
  }
}
