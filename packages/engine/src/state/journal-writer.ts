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
  private readonly unacknowledged = new Set<Promise<void>>();

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

  /** Records the secrets manager the state's ciphertexts belong to (when it is not the base's). */
  secretsManager(provider: { type: string; state: unknown }): Promise<void> {
    return this.enqueue(async () => entry(JournalEntryKind.SecretsManager, this.nextOperationId(), { secretsProvider: provider as JournalEntry["secretsProvider"] }));
  }

  /** Resolves when every entry so far has been acknowledged by the sink. */
  async flush(): Promise<void> {
    await this.tail;
    await Promise.allSettled([...this.unacknowledged]);
  }

  /**
   * Entries are encoded and handed to the sink one at a time, in sequence order, but the next one
   * does not wait for the previous acknowledgement: a sink that sends entries over the network can
   * then carry the entries of parallel steps in one request. Each caller still waits for its own
   * entry's acknowledgement before the provider call the entry guards.
   */
  private enqueue(make: () => Promise<Omit<JournalEntry, "sequenceID">>): Promise<void> {
    if (!this.sink) return Promise.resolve();
    const sink = this.sink;
    let acknowledged: Promise<void> = Promise.resolve();
    const handedOver = this.tail.then(async () => {
      const partial = await make();
      acknowledged = sink.append({ ...partial, sequenceID: ++this.sequence } as JournalEntry);
      this.unacknowledged.add(acknowledged);
      void acknowledged.catch(() => {}).finally(() => this.unacknowledged.delete(acknowledged));
    });
    // Later entries still go out after a failed one; the failure is reported to its own caller.
    this.tail = handedOver.catch(() => {});
    return handedOver.then(() => acknowledged);
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
