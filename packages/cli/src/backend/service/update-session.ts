/**
 * One update on a service backend, from `start` to `complete`: the lease (renewed in the
 * background), the journal (each entry acknowledged by the service before the engine goes on,
 * entries that arrive while a request is in flight sent together in the next one) and the engine
 * events (batched, best effort, as in the Pulumi CLI).
 */
import type { DeploymentV3, EngineEvent, JournalEntry, ResourceChanges } from "@stackyard/protocol";
import { JournalReplayer } from "@stackyard/protocol";
import type { JournalSink } from "@stackyard/engine/api";
import type { PreviewSession, UpdateSession } from "../backend.js";
import { ServiceError, type ServiceClient } from "./client.js";

/** The lease as the service handed it out; the token changes on renewal. */
export interface Lease {
  updatePath: string;
  token: string;
  journalVersion: number;
}

const RENEW_EVERY_MS = 60_000;
const LEASE_SECONDS = 300;
const JOURNAL_BATCH = 100;
const EVENT_BATCH = 50;

interface Waiter<T> {
  item: T;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Sends items in order, one request at a time; whatever queued up during a request goes in the
 * next one. After a failure every later item fails too: a journal with a hole cannot be replayed.
 */
export class OrderedUploader<T> {
  private queue: Waiter<T>[] = [];
  private sending = false;
  private failure: Error | undefined;
  private idle: (() => void)[] = [];

  constructor(
    private readonly maxBatch: number,
    private readonly upload: (items: T[]) => Promise<void>,
  ) {}

  push(item: T): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Resolves once everything queued so far was sent (or failed). */
  drained(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    if (this.sending) return;
    this.sending = true;
    void (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        if (this.failure) {
          for (const w of batch) w.reject(this.failure);
          continue;
        }
        try {
          await this.upload(batch.map((w) => w.item));
          for (const w of batch) w.resolve();
        } catch (err) {
          this.failure = err instanceof Error ? err : new Error(String(err));
          for (const w of batch) w.reject(this.failure);
        }
      }
      this.sending = false;
      for (const resolve of this.idle.splice(0)) resolve();
    })();
  }
}

export class ServiceUpdateSession implements UpdateSession, PreviewSession {
  readonly journal: JournalSink;
  private readonly journalUploader: OrderedUploader<JournalEntry>;
  private readonly eventUploader: OrderedUploader<EngineEvent>;
  private readonly renewTimer: NodeJS.Timeout;
  /** Only when the service did not take journal entries: the state is rebuilt here and sent whole. */
  private readonly replayer: JournalReplayer | undefined;
  private leaseLost: Error | undefined;
  private eventWarningShown = false;
  private finished = false;

  constructor(
    private readonly client: ServiceClient,
    private readonly lease: Lease,
    readonly base: DeploymentV3 | undefined,
    engineVersion: string,
  ) {
    this.replayer = lease.journalVersion >= 1 ? undefined : new JournalReplayer(base, engineVersion);
    this.journalUploader = new OrderedUploader(JOURNAL_BATCH, (entries) => this.uploadJournal(entries));
    this.eventUploader = new OrderedUploader(EVENT_BATCH, (events) => this.uploadEvents(events));
    this.journal = { append: (entry) => this.journalUploader.push(entry) };
    this.renewTimer = setInterval(() => void this.renew(), RENEW_EVERY_MS);
    this.renewTimer.unref();
  }

  private auth() {
    return { kind: "update-token" as const, value: this.lease.token };
  }

  private leaseError(err: unknown): Error {
    if (this.leaseLost) return this.leaseLost;
    if (err instanceof ServiceError && (err.code === 401 || err.code === 403 || err.code === 409)) {
      return new Error(`the update was canceled or its lease expired: ${err.message}`);
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private async uploadJournal(entries: JournalEntry[]): Promise<void> {
    try {
      if (this.replayer) {
        for (const entry of entries) this.replayer.add(entry);
        const { version, features, deployment } = this.replayer.deployment();
        await this.client.send("PATCH", `${this.lease.updatePath}/checkpoint`, {
          auth: this.auth(),
          body: { isInvalid: false, version, ...(features?.length ? { features } : {}), deployment },
          gzip: true,
          retry: true,
        });
      } else {
        await this.sendJournal(entries);
      }
    } catch (err) {
      throw this.leaseError(err);
    }
  }

  /** 413 means the batch was too big for the service: halve it, as the Pulumi CLI does. */
  private async sendJournal(entries: JournalEntry[]): Promise<void> {
    try {
      await this.client.send("PATCH", `${this.lease.updatePath}/journalentries`, {
        auth: this.auth(),
        body: { entries },
        gzip: true,
        retry: true,
      });
    } catch (err) {
      if (err instanceof ServiceError && err.code === 413 && entries.length > 1) {
        const half = Math.ceil(entries.length / 2);
        await this.sendJournal(entries.slice(0, half));
        await this.sendJournal(entries.slice(half));
        return;
      }
      throw err;
    }
  }

  private async uploadEvents(events: EngineEvent[]): Promise<void> {
    try {
      await this.client.send("POST", `${this.lease.updatePath}/events/batch`, {
        auth: this.auth(),
        body: { events },
        gzip: true,
        retry: true,
      });
    } catch (err) {
      // Events are for the record only; the Pulumi CLI logs such failures and goes on.
      if (!this.eventWarningShown) {
        this.eventWarningShown = true;
        process.stderr.write(`warning: sending engine events to the service failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  }

  recordEvents(events: EngineEvent[]): void {
    for (const e of events) void this.eventUploader.push(e).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    if (this.finished || this.leaseLost) return;
    try {
      const res = await this.client.call<{ token: string }>("POST", `${this.lease.updatePath}/renew_lease`, {
        auth: this.auth(),
        body: { token: "", duration: LEASE_SECONDS },
        retry: true,
      });
      if (res?.token) this.lease.token = res.token;
    } catch (err) {
      if (err instanceof ServiceError && err.code === 403) {
        // Canceled elsewhere or expired: stop for good, and fail whatever comes next.
        this.leaseLost = new Error("the update's lease was lost (it was canceled or expired)");
        clearInterval(this.renewTimer);
      }
    }
  }

  async complete(result: "succeeded" | "failed" | "canceled", _resourceChanges?: ResourceChanges): Promise<void> {
    if (this.finished) throw new Error("update already completed");
    this.finished = true;
    clearInterval(this.renewTimer);
    await this.journalUploader.drained();
    await this.eventUploader.drained();
    const journalFailed = this.journalUploader.failed;
    // The Pulumi CLI only ever reports succeeded or failed; an interrupted update failed.
    const status = result === "succeeded" && !journalFailed ? "succeeded" : "failed";
    await this.client.send("POST", `${this.lease.updatePath}/complete`, { auth: this.auth(), body: { status }, retry: true });
    if (journalFailed) throw journalFailed;
  }
}
