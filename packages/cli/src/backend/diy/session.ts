/**
 * One state-changing operation on a DIY stack. Journal entries go to an append-only file (one
 * write per entry); the full checkpoint is rewritten only when the journal written since the last
 * rewrite outgrows that checkpoint. Each rewrite is paid for by at least as many journal bytes,
 * so total bytes stay linear in the size of the update instead of quadratic.
 */
import { hostname } from "node:os";
import type { DeploymentV3, EngineEvent, JournalEntry, ResourceChanges, UpdateInfo, UpdateKind } from "@stackyard/protocol";
import { JournalReplayer } from "@stackyard/protocol";
import type { JournalSink } from "@stackyard/engine/api";
import type { UpdateMetadata, UpdateSession } from "../backend.js";
import { ByteCounter, type ByteCounts, unixNanos, writeFileAtomic } from "./fsio.js";
import type { StackPaths } from "./layout.js";
import { releaseLock, type HeldLock } from "./locks.js";
import { makeCheckpoint, type LoadedCheckpoint } from "./checkpoint-file.js";
import { JournalWriter, sha256Hex } from "./journal-file.js";
import { addToHistory } from "./history.js";
import type { DiyStore } from "./store.js";

export class DiyUpdateSession implements UpdateSession {
  readonly base: DeploymentV3 | undefined;
  readonly journal: JournalSink;
  /** Bytes this update wrote, by purpose (checkpoint, journal, history, backup). */
  readonly bytes = new ByteCounter();
  entryCount = 0;
  compactions = 0;

  private readonly replayer: JournalReplayer;
  private readonly writer: JournalWriter;
  private readonly startTime = Math.floor(Date.now() / 1000);
  private journalSinceRewrite = 0;
  private lastCheckpointSize: number;
  private baseBackedUp = false;
  private finished = false;

  constructor(
    private readonly store: DiyStore,
    private readonly paths: StackPaths,
    private readonly stackName: string,
    private readonly lock: HeldLock,
    private readonly loaded: LoadedCheckpoint,
    private readonly kind: UpdateKind,
    private readonly metadata: UpdateMetadata,
  ) {
    this.base = loaded.file.checkpoint.latest;
    this.replayer = new JournalReplayer(this.base, store.engineVersion);
    this.lastCheckpointSize = loaded.bytes.length;
    this.writer = JournalWriter.create(paths.journal, {
      stackyardJournal: 1,
      lockId: lock.id,
      pid: process.pid,
      hostname: hostname(),
      baseHash: sha256Hex(loaded.bytes),
      engineVersion: store.engineVersion,
      kind,
      startTime: this.startTime,
    });
    store.counter.add("journal", this.writer.headerBytes, this.bytes);
    this.journal = { append: async (entry: JournalEntry) => this.append(entry) };
  }

  get bytesWritten(): number {
    return this.bytes.total;
  }

  byteCounts(): ByteCounts {
    return this.bytes.snapshot();
  }

  /** The deployment as of the last acknowledged entry (what a crash right now would recover). */
  current(): DeploymentV3 {
    return this.replayer.deployment().deployment;
  }

  recordEvents(_events: EngineEvent[]): void {
    // The DIY format has nowhere to keep engine events; Pulumi's DIY backend drops them too.
  }

  private append(entry: JournalEntry): void {
    if (this.finished) throw new Error("journal entry after the update completed");
    // Validate by folding first: an entry the replayer rejects must not reach the file, or every
    // later recovery would trip over it.
    this.replayer.add(entry);
    const n = this.writer.append(entry);
    this.store.counter.add("journal", n, this.bytes);
    this.entryCount++;
    this.journalSinceRewrite += n;
    if (this.journalSinceRewrite > this.lastCheckpointSize) this.rewriteCheckpoint();
  }

  /** Keeps the stack file readable by Pulumi (and `stack export`) while a long update runs. */
  private rewriteCheckpoint(): void {
    this.backUpBase();
    const replayed = this.replayer.deployment();
    const written = this.store.writeStack(
      this.paths,
      makeCheckpoint(this.paths.qualifiedName, replayed.version, replayed.features, replayed.deployment),
      // Not fsynced: until the update completes, recovery rebuilds the state from `.bak` and the
      // journal (found by hash), never from this file; it is here for readers only.
      { durable: false, session: this.bytes },
    );
    this.lastCheckpointSize = written.bytes.length;
    this.journalSinceRewrite = 0;
    this.compactions++;
  }

  /**
   * Journal entries index into the base deployment, so recovery needs the base bytes intact: they
   * go to `.bak` before the stack file is first replaced, and `.bak` is not touched again during
   * the update. It therefore holds the state before this update, which is what a backup is for.
   */
  private backUpBase(): void {
    if (this.baseBackedUp) return;
    this.store.counter.add("backup", writeFileAtomic(`${this.loaded.path}.bak`, this.loaded.bytes), this.bytes);
    this.baseBackedUp = true;
  }

  async complete(result: "succeeded" | "failed" | "canceled", resourceChanges: ResourceChanges): Promise<void> {
    if (this.finished) throw new Error("update already completed");
    this.finished = true;
    try {
      this.backUpBase();
      const replayed = this.replayer.deployment();
      const written = this.store.writeStack(
        this.paths,
        makeCheckpoint(this.paths.qualifiedName, replayed.version, replayed.features, replayed.deployment),
        { session: this.bytes },
      );
      const info: UpdateInfo = {
        kind: this.kind,
        startTime: this.startTime,
        message: this.metadata.message,
        environment: this.metadata.environment,
        config: this.metadata.config,
        version: 0,
        // Pulumi's DIY backend records an interrupted update as failed; its history has no "canceled".
        result: result === "canceled" ? "failed" : result,
        endTime: Math.floor(Date.now() / 1000),
        resourceChanges,
      };
      const nanos = unixNanos();
      addToHistory(
        this.paths.historyDir,
        this.stackName,
        nanos,
        info,
        written.bytes,
        written.path.endsWith(".gz"),
        this.store.counter,
        this.bytes,
      );
      this.store.writeBackup(this.paths, this.stackName, written, this.bytes);
      this.writer.remove();
    } finally {
      // If a write above failed the journal stays, and the next operation replays it.
      this.writer.close();
      releaseLock(this.lock);
    }
  }
}
