/**
 * The write-ahead journal beside a stack file: one header line, then one JournalEntry per line.
 * Each append is a single write(2) on an O_APPEND descriptor, so once `append` returns the entry
 * survives the process being killed (the page cache outlives the process). A line torn by power
 * loss can only be the last one, and readers drop it.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { JournalEntry, UpdateKind } from "@stackyard/protocol";
import { ensureDir, readIfExists, removeIfExists } from "./fsio.js";

export const JOURNAL_FORMAT = 1;

export interface JournalHeader {
  stackyardJournal: typeof JOURNAL_FORMAT;
  /** The lock the writing update holds; while that lock is live the journal is not ours to replay. */
  lockId: string;
  pid: number;
  hostname: string;
  /** sha256 of the stack file bytes the update started from: entries index into that deployment. */
  baseHash: string;
  engineVersion: string;
  kind: UpdateKind;
  startTime: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export class JournalWriter {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    readonly headerBytes: number,
  ) {
    this.fd = fd;
  }

  /** Starts a fresh journal, replacing any file at `path` (the caller has already replayed it). */
  static create(path: string, header: JournalHeader): JournalWriter {
    ensureDir(dirname(path));
    const fd = openSync(path, "w");
    const line = Buffer.from(`${JSON.stringify(header)}\n`, "utf8");
    writeAll(fd, line);
    closeSync(fd);
    return new JournalWriter(path, openSync(path, "a"), line.length);
  }

  /** Returns the bytes written. */
  append(entry: JournalEntry): number {
    if (this.fd === undefined) throw new Error("journal is already closed");
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, "utf8");
    writeAll(this.fd, line);
    return line.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  remove(): void {
    this.close();
    removeIfExists(this.path);
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

export interface ReadJournal {
  header: JournalHeader;
  entries: JournalEntry[];
}

/** Undefined when there is no journal; a journal with an unreadable header yields `header: undefined`. */
export function readJournal(path: string): ReadJournal | { header: undefined } | undefined {
  const bytes = readIfExists(path);
  if (bytes === undefined) return undefined;
  const lines = bytes.toString("utf8").split("\n");
  let header: JournalHeader | undefined;
  try {
    const h = JSON.parse(lines[0] ?? "") as Partial<JournalHeader>;
    if (h.stackyardJournal === JOURNAL_FORMAT && typeof h.baseHash === "string") header = h as JournalHeader;
  } catch {
    header = undefined;
  }
  if (header === undefined) return { header: undefined };
  const entries: JournalEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // Only the tail can be torn; anything after it was never acknowledged to the engine.
      break;
    }
  }
  return { header, entries };
}
