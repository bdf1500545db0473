/** Updates, stored states (per stack version), checkpoints, journal entries and events: queries only. */
import type { Queryable } from "../db/db.js";

export type UpdateStatus = "not started" | "running" | "succeeded" | "failed" | "cancelled";

export interface UpdateRow {
  id: string;
  stack_id: number;
  kind: string;
  dry_run: number;
  status: UpdateStatus;
  version: number;
  lease_hash: string | null;
  lease_expires: number;
  journal_version: number;
  base_version: number;
  created_at: number;
  start_time: number;
  end_time: number;
  result: string;
  message: string;
  environment: string;
  config: string;
  resource_changes: string | null;
  requested_by: string | null;
  program: string;
 
}

export interface CheckpointRow {
  update_id: string;
  write_no: number;
  sequence_number: number;
  hash: string;
  data: Buffer;
  resource_count: number;
 
}

export class UpdateStore {
  constructor(private readonly q: Queryable) {}

  byId(id: string, q = this.q) {
    return q.one<UpdateRow>("SELECT * FROM updates WHERE id = ?", [id]);
  }
  /** The update with the stack path it belongs to, for lease-token checks in one round trip. */
  withPath(id: string) {
    return this.q.one<UpdateRow & { org_name: string; project: string; stack_name: string }>(
      `SELECT u.*, o.name AS org_name, s.project AS project, s.name AS stack_name
         FROM updates u JOIN stacks s ON s.id = u.stack_id JOIN orgs o ON o.id = s.org_id WHERE u.id = ?`,
      [id],
    );
  }
  insert(q: Queryable, u: Pick<UpdateRow, "id" | "stack_id" | "kind" | "dry_run" | "status" | "created_at" | "message" | "environment" | "config" | "requested_by" | "program"> & Partial<UpdateRow>) {
    return q.run(
      `INSERT INTO updates (id, stack_id, kind, dry_run, status, version, created_at, start_time, end_time, result, message, environment, config, requested_by, program, base_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [u.id, u.stack_id, u.kind, u.dry_run, u.status, u.version ?? 0, u.created_at, u.start_time ?? 0, u.end_time ?? 0, u.result ?? "not-started",
        u.message, u.environment, u.config, u.requested_by, u.program, u.base_version ?? 0],
    );
  }
  start(q: Queryable, id: string, f: { version: number; leaseHash: string; leaseExpires: number; journalVersion: number; baseVersion: number; startTime: number; program: string }) {
    return q.run(
      `UPDATE updates SET status = 'running', result = 'in-progress', version = ?, lease_hash = ?, lease_expires = ?, journal_version = ?,
         base_version = ?, start_time = ?, program = ? WHERE id = ? AND status = 'not started'`,
      [f.version, f.leaseHash, f.leaseExpires, f.journalVersion, f.baseVersion, f.startTime, f.program, id],
    );
  }
  renew(q: Queryable, id: string, expires: number) {
    return q.run("UPDATE updates SET lease_expires = ? WHERE id = ? AND status = 'running'", [expires, id]);
  }
  finish(q: Queryable, id: string, status: UpdateStatus, result: string, endTime: number) {
    return q.run("UPDATE updates SET status = ?, result = ?, end_time = ? WHERE id = ? AND status = 'running'", [status, result, endTime, id]);
  }
  setResourceChanges(q: Queryable, id: string, changes: string) {
    return q.run("UPDATE updates SET resource_changes = ? WHERE id = ?", [changes, id]);
  }
  /** Non-preview updates that ran, newest first. */
  history(stackId: number, limit: number, offset: number) {
    return this.q.all<UpdateRow & { requester_login: string | null; requester_name: string | null; resource_count: number | null }>(
      `SELECT u.*, us.login AS requester_login, us.name AS requester_name, v.resource_count AS resource_count
         FROM updates u LEFT JOIN users us ON us.id = u.requested_by LEFT JOIN stack_versions v ON v.stack_id = u.stack_id AND v.version = u.version AND v.update_id = u.id
        WHERE u.stack_id = ? AND u.dry_run = 0 AND u.status <> 'not started' ORDER BY u.version DESC, u.created_at DESC LIMIT ? OFFSET ?`,
      [stackId, limit, offset],
    );
  }
  historyCount(stackId: number) {
    return this.q.one<{ n: number }>("SELECT COUNT(*) AS n FROM updates WHERE stack_id = ? AND dry_run = 0 AND status <> 'not started'", [stackId]);
  }
  /** Previews since the latest non-preview update started, newest first. */
  /** Previews that ran against stack version `sinceVersion` or later: those after that update. */
  previewsSince(stackId: number, sinceVersion: number, limit: number, offset: number, asc: boolean) {
    return this.q.all<UpdateRow & { requester_login: string | null; requester_name: string | null }>(
      `SELECT u.*, us.login AS requester_login, us.name AS requester_name FROM updates u LEFT JOIN users us ON us.id = u.requested_by
        WHERE u.stack_id = ? AND u.dry_run = 1 AND u.status <> 'not started' AND u.base_version >= ?
        ORDER BY u.created_at ${asc ? "ASC" : "DESC"}, u.id LIMIT ? OFFSET ?`,
      [stackId, sinceVersion, limit, offset],
    );
  }

  // ---- stack state per version -------------------------------------------------------------
  latestState(stackId: number, atMostVersion: number, q = this.q) {
    return q.one<{ version: number; data: Buffer; resource_count: number }>(
      "SELECT version, data, resource_count FROM stack_versions WHERE stack_id = ? AND version <= ? ORDER BY version DESC LIMIT 1",
      [stackId, atMostVersion],
    );
  }
  stateAt(stackId: number, version: number) {
    return this.q.one<{ version: number; data: Buffer; resource_count: number }>(
      "SELECT version, data, resource_count FROM stack_versions WHERE stack_id = ? AND version = ?",
      [stackId, version],
    );
  }
  insertState(q: Queryable, s: { stackId: number; version: number; data: Buffer; resourceCount: number; updateId: string | null; now: number }) {
    return q.run(
      "INSERT INTO stack_versions (stack_id, version, data, resource_count, update_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (stack_id, version) DO UPDATE SET data = excluded.data, resource_count = excluded.resource_count, update_id = excluded.update_id",
      [s.stackId, s.version, s.data, s.resourceCount, s.updateId, s.now],
    );
  }

  // ---- checkpoints -------------------------------------------------------------------------
  checkpointMeta(updateId: string, q = this.q) {
    return q.one<Omit<CheckpointRow, "data">>("SELECT update_id, write_no, sequence_number, hash, resource_count FROM checkpoints WHERE update_id = ?", [updateId]);
  }
  checkpoint(updateId: string, q = this.q) {
    return q.one<CheckpointRow>("SELECT * FROM checkpoints WHERE update_id = ?", [updateId]);
  }
  /** Stores the update's latest state; `write_no` orders writes for caches across processes. */
  async putCheckpoint(q: Queryable, c: { updateId: string; sequenceNumber: number; hash: string; data: Buffer }): Promise<number> {
    const row = await q.one<{ write_no: number }>(
      `INSERT INTO checkpoints (update_id, write_no, sequence_number, hash, data, resource_count) VALUES (?, 1, ?, ?, ?, -1)
       ON CONFLICT (update_id) DO UPDATE SET write_no = checkpoints.write_no + 1, sequence_number = excluded.sequence_number,
         hash = excluded.hash, data = excluded.data, resource_count = -1 RETURNING write_no`,
      [c.updateId, c.sequenceNumber, c.hash, c.data],
    );
    return row!.write_no;
  }

  // ---- journal -----------------------------------------------------------------------------
  async putJournalEntries(q: Queryable, updateId: string, entries: readonly { sequenceID: number; text: string }[]): Promise<void> {
    for (const e of entries) {
      await q.run("INSERT INTO journal_entries (update_id, sequence_id, entry) VALUES (?, ?, ?) ON CONFLICT (update_id, sequence_id) DO NOTHING", [
        updateId, e.sequenceID, e.text,
      ]);
    }
  }
  journalEntries(updateId: string, q = this.q) {
    return q.all<{ sequence_id: number; entry: string }>("SELECT sequence_id, entry FROM journal_entries WHERE update_id = ? ORDER BY sequence_id", [updateId]);
  }
  journalHead(updateId: string, q = this.q) {
    return q.one<{ n: number; last: number | null }>("SELECT COUNT(*) AS n, MAX(sequence_id) AS last FROM journal_entries WHERE update_id = ?", [updateId]);
  }

  // ---- events ------------------------------------------------------------------------------
  async putEvents(q: Queryable, updateId: string, events: readonly { sequence: number; text: string }[]): Promise<void> {
    for (const e of events) {
      await q.run("INSERT INTO update_events (update_id, sequence, event) VALUES (?, ?, ?) ON CONFLICT (update_id, sequence) DO NOTHING", [
        updateId, e.sequence, e.text,
      ]);
    }
  }
  events(updateId: string, after: number, limit: number) {
    return this.q.all<{ sequence: number; event: string }>(
      "SELECT sequence, event FROM update_events WHERE update_id = ? AND sequence > ? ORDER BY sequence LIMIT ?",
      [updateId, after, limit],
    );
  }
}
