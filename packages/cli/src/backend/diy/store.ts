/**
 * Stack-file operations shared by the backend and update sessions: writing checkpoints the way
 * Pulumi does (`.bak` first, atomic replace), and replaying a journal an update left behind.
 */
import { join } from "node:path";
import { JournalReplayer, type VersionedCheckpoint } from "@stackyard/protocol";
import type { StackRef } from "../backend.js";
import { ConcurrentUpdateError } from "../backend.js";
import type { DiyEnv } from "./env.js";
import { ByteCounter, exists, readIfExists, removeIfExists, unixNanos, writeFileAtomic } from "./fsio.js";
import type { Layout, StackPaths } from "./layout.js";
import { acquireLock, releaseLock, type LockContext } from "./locks.js";
import {
  currentStackFile,
  encodeCheckpoint,
  loadCheckpoint,
  makeCheckpoint,
  parseCheckpoint,
  type LoadedCheckpoint,
} from "./checkpoint-file.js";
import { readJournal, sha256Hex } from "./journal-file.js";

export interface WrittenCheckpoint {
  path: string;
  bytes: Buffer;
}

export interface WriteStackOptions {
  /** Copy the stack file being replaced to `.bak` first. */
  backUpOld?: boolean;
  /** fsync before the rename (see writeFileAtomic); on unless the caller has another way back. */
  durable?: boolean;
  /** Also count the bytes here (the update's own counter). */
  session?: ByteCounter;
}

export class DiyStore {
  readonly counter = new ByteCounter();
  readonly lockCtx: LockContext;

  constructor(
    readonly layout: Layout,
    readonly env: DiyEnv,
    canonicalUrl: string,
    readonly engineVersion: string,
  ) {
    this.lockCtx = { root: layout.root, canonicalUrl, counter: this.counter };
  }

  paths(ref: StackRef): StackPaths {
    return this.layout.paths(ref);
  }

  targetPath(paths: StackPaths): string {
    return this.env.gzip ? paths.gzip : paths.plain;
  }

  load(paths: StackPaths): LoadedCheckpoint | undefined {
    return loadCheckpoint(paths, paths.qualifiedName);
  }

  /**
   * Replaces the stack file. With `backup`, the file being replaced is first copied to `.bak`, as
   * Pulumi does before every save. A variant in the other compression is removed afterwards so the
   * newest-file rule cannot pick stale bytes.
   */
  writeStack(paths: StackPaths, file: VersionedCheckpoint, options: WriteStackOptions = {}): WrittenCheckpoint {
    const { backUpOld = false, durable = true, session } = options;
    const current = currentStackFile(paths);
    if (backUpOld && current !== undefined) {
      const old = readIfExists(current);
      if (old !== undefined) this.counter.add("backup", writeFileAtomic(`${current}.bak`, old), session);
    }
    const target = this.targetPath(paths);
    const bytes = encodeCheckpoint(file, this.env.gzip);
    this.counter.add("checkpoint", writeFileAtomic(target, bytes, { durable }), session);
    for (const other of [paths.plain, paths.gzip, paths.zstd]) if (other !== target) removeIfExists(other);
    if (this.env.retainCheckpoints) {
      this.counter.add("backup", writeFileAtomic(`${target}.${unixNanos()}`, bytes), session);
    }
    return { path: target, bytes };
  }

  /** A copy in `backups/`, which Pulumi takes after every update unless told not to. */
  writeBackup(paths: StackPaths, name: string, written: WrittenCheckpoint, session?: ByteCounter): void {
    if (this.env.disableCheckpointBackups) return;
    const ext = written.path.endsWith(".gz") ? ".json.gz" : ".json";
    const file = join(paths.backupDir, `${name}.${unixNanos()}${ext}`);
    this.counter.add("backup", writeFileAtomic(file, written.bytes), session);
  }

  /**
   * Replays a journal left by an update that never completed, so the stack file holds everything
   * that update acknowledged (including its unfinished operations as pending_operations). The
   * caller must hold the stack's lock. Returns whether anything was replayed.
   */
  recoverJournal(paths: StackPaths): boolean {
    const journal = readJournal(paths.journal);
    if (journal === undefined) return false;
    if (journal.header === undefined) {
      removeIfExists(paths.journal);
      return false;
    }
    const { header, entries } = journal;
    // Entries index into the deployment the update started from, which is the stack file until the
    // first compaction and its `.bak` afterwards. Neither matching means the state moved on
    // without this journal (e.g. it was already folded in), so replaying would corrupt it.
    const current = currentStackFile(paths);
    const candidates = current ? [current, `${current}.bak`] : [];
    for (const p of [paths.plain, paths.gzip]) if (!candidates.includes(p)) candidates.push(p, `${p}.bak`);
    let base: { path: string; bytes: Buffer } | undefined;
    for (const path of candidates) {
      const bytes = readIfExists(path);
      if (bytes !== undefined && sha256Hex(bytes) === header.baseHash) {
        base = { path, bytes };
        break;
      }
    }
    if (base === undefined) {
      removeIfExists(paths.journal);
      return false;
    }
    const baseFile = parseCheckpoint(base.bytes, paths.qualifiedName, base.path);
    const replayer = new JournalReplayer(baseFile.checkpoint.latest, header.engineVersion);
    for (const entry of entries) {
      // Appends are validated by the same replayer before they are written, so a rejected entry
      // can only be damage; keep everything before it rather than wedge the stack forever.
      try {
        replayer.add(entry);
      } catch {
        break;
      }
    }
    const replayed = replayer.deployment();
    if (!base.path.endsWith(".bak")) {
      this.counter.add("backup", writeFileAtomic(`${base.path}.bak`, base.bytes));
    }
    this.writeStack(paths, makeCheckpoint(paths.qualifiedName, replayed.version, replayed.features, replayed.deployment));
    removeIfExists(paths.journal);
    return true;
  }

  /**
   * Recovery from a read path: only when no live update owns the journal. Taking the lock proves
   * that (a dead holder on this host is reclaimed by acquireLock); failing to get it means an
   * update is running and its journal must be left alone.
   */
  recoverIfAbandoned(paths: StackPaths): void {
    if (!exists(paths.journal)) return;
    let lock;
    try {
      lock = acquireLock(this.lockCtx, paths.lockDir);
    } catch (err) {
      if (err instanceof ConcurrentUpdateError) return;
      throw err;
    }
    try {
      this.recoverJournal(paths);
    } finally {
      releaseLock(lock);
    }
  }
}
