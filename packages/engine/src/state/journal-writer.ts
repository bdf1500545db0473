/**
 * Records what happens to state as journal entries, in order. Each entry is encoded (secrets
 * encrypted) and handed to the backend's sink one after another, so sequence numbers are
 * assigned in the order the sink sees them.
 */
import { JournalEntryKind, type DeploymentV3, type JournalEntry, type OperationType, type ResourceV3 } from "@stackyard/protocol";
import type { JournalSink } from "../api.js";
import type { StateCodec } from "./codec.js";

export interface SuccessFields {
  state?: ResourceV3;
  removeOld?: number;
  removeNew?: number;
  deleteOld?: number;
  pendingReplacementOld?: number;
}

export class JournalWriter {
  private sequence = 0;
  private operation = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly sink: JournalSink | undefined, private readonly codec: StateCodec) {}

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  nextOperationId(): number {
    return ++this.operation;
  }

  begin(operationID: number, type: OperationType, state: ResourceV3): Promise<void> {
    return this.enqueue(async () => {
      const resource = await this.codec.encodeResource(state);
      return entry(JournalEntryKind.Begin, operationID, { operation: { resource, type } });
    });
  }

  success(operationID: number, fields: SuccessFields): Promise<void> {
    return this.enqueue(async () => {
      const extra: Partial<JournalEntry> = {};
      if (fields.state) extra.state = await this.codec.encodeResource(fields.state);
      if (fields.deleteOld !== undefined) extra.deleteOld = fields.deleteOld;
      if (fields.pendingReplacementOld !== undefined) extra.pendingReplacementOld = fields.pendingReplacementOld;
      return entry(JournalEntryKind.Success, operationID, extra, fields.removeOld, fields.removeNew);
    });
  }

  failure(operationID: number): Promise<void> {
    return this.enqueue(async () => entry(JournalEntryKind.Failure, operationID, {}));
  }

  /** A refresh result: replaces (or, with no state, removes) a base resource. */
  refreshSuccess(operationID: number, baseIndex: number, state: ResourceV3 | undefined): Promise<void> {
    return this.enqueue(async () => {
      const extra: Partial<JournalEntry> = {};
      if (state) extra.state = await this.codec.encodeResource(state);
      return entry(JournalEntryKind.RefreshSuccess, operationID, extra, baseIndex);
    });
  }

  /** New outputs for a resource recorded earlier in this journal (registerOutputs). */
  outputs(operationID: number, ofOperation: number, state: ResourceV3): Promise<void> {
    return this.enqueue(async () => {
      const encoded = await this.codec.encodeResource(state);
      return entry(JournalEntryKind.Outputs, operationID, { state: encoded }, undefined, ofOperation);
    });
  }

  /** New outputs for an untouched base resource. */
  baseOutputs(operationID: number, baseIndex: number, state: ResourceV3): Promise<void> {
    return this.enqueue(async () => {
      const encoded = await this.codec.encodeResource(state);
      return entry(JournalEntryKind.Outputs, operationID, { state: encoded }, baseIndex);
    });
  }

  /** Replaces the base the rest of the journal applies to (e.g. with pending creates cleared). */
  write(deployment: DeploymentV3): Promise<void> {
    return this.enqueue(async () => entry(JournalEntryKind.Write, this.nextOperationId(), { newSnapshot: deployment }));
  }

  /** Resolves when every entry so far has reached the sink. */
  flush(): Promise<void> {
    return this.tail;
  }

  private enqueue(make: () => Promise<Omit<JournalEntry, "sequenceID">>): Promise<void> {
    if (!this.sink) return Promise.resolve();
    const sink = this.sink;
    const next = this.tail.then(async () => {
      const partial = await make();
      await sink.append({ ...partial, sequenceID: ++this.sequence } as JournalEntry);
    });
    // Later entries still go out after a failed one; the failure is reported to its own caller.
    this.tail = next.catch(() => {});
    return next;
  }
}

function entry(
  kind: JournalEntryKind,
  operationID: number,
  extra: Partial<JournalEntry>,
  removeOld?: number,
  removeNew?: number,
): Omit<JournalEntry, "sequenceID"> {
  return { version: 1, kind, operationID, removeOld: removeOld ?? null, removeNew: removeNew ?? null, ...extra };
}
