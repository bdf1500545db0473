/**
 * File primitives for the DIY store: atomic replace, append-only writes, gzip-aware reads, and a
 * byte counter so callers can report what an update cost on disk.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { gunzipSync } from "node:zlib";

/** Running totals of bytes written, by what they were for. */
export class ByteCounter {
  checkpoint = 0;
  journal = 0;
  history = 0;
  backup = 0;
  other = 0;

  get total(): number {
    return this.checkpoint + this.journal + this.history + this.backup + this.other;
  }

  add(kind: ByteKind, n: number, also?: ByteCounter): void {
    this[kind] += n;
    if (also) also[kind] += n;
  }

  snapshot(): ByteCounts {
    return {
      checkpoint: this.checkpoint,
      journal: this.journal,
      history: this.history,
      backup: this.backup,
      other: this.other,
      total: this.total,
    };
  }
}

export type ByteKind = "checkpoint" | "journal" | "history" | "backup" | "other";
export interface ByteCounts {
  checkpoint: number;
  journal: number;
  history: number;
  backup: number;
  other: number;
  total: number;
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/**
 * Writes to a sibling temp file and renames it over the target, so a reader (or a killed process)
 * sees either the old bytes or the new ones, never a torn file. fsync before the rename keeps that
 * true across power loss on filesystems that reorder metadata; `durable: false` skips it for a
 * file that something else already makes recoverable.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, { durable = true }: { durable?: boolean } = {}): number {
  ensureDir(dirname(path));
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return bytes.length;
}

export function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Pulumi detects compression from content, not the file name; so do we. */
export function decodeMaybeGzip(bytes: Buffer): string {
  return (isGzip(bytes) ? gunzipSync(bytes) : bytes).toString("utf8");
}

export function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (isNotFound(err) || (err as NodeJS.ErrnoException).code === "ENOTDIR") return [];
    throw err;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function mtimeMs(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

export function exists(path: string): boolean {
  return existsSync(path);
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}

let lastNanos = 0n;
/**
 * Unix time in nanoseconds, strictly increasing within this process. History and backup files
 * are named by it and sorted by it, so two updates in the same millisecond must not collide.
 */
export function unixNanos(): bigint {
  const now = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  lastNanos = now > lastNanos ? now : lastNanos + 1n;
  return lastNanos;
}
