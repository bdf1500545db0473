/**
 * Stack locks: one file per holder under `.pulumi/locks/...`, exactly as Pulumi writes and reports
 * them. A holder whose process is gone from this host is stale and gets reclaimed.
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { join, relative } from "node:path";
import { ConcurrentUpdateError } from "../backend.js";
import { ByteCounter, ensureDir, listDir, readIfExists, removeIfExists, writeFileAtomic } from "./fsio.js";

export interface LockContent {
  pid: number;
  username: string;
  hostname: string;
  timestamp: string;
}

export interface HeldLock {
  id: string;
  path: string;
}

export interface LockContext {
  root: string;
  canonicalUrl: string;
  counter: ByteCounter;
}

export function currentUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env["USER"] ?? process.env["USERNAME"] ?? "unknown";
  }
}

function newLockContent(): LockContent {
  return { pid: process.pid, username: currentUserName(), hostname: hostname(), timestamp: new Date().toISOString() };
}

/** Signal 0 probes without touching the process; EPERM still means it exists. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readLock(path: string): LockContent | undefined {
  const bytes = readIfExists(path);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8")) as LockContent;
  } catch {
    return undefined;
  }
}

/** Only a lock from this host whose pid no longer runs is provably abandoned; anything else is kept. */
export function isStale(lock: LockContent | undefined): boolean {
  if (lock === undefined) return false;
  return lock.hostname === hostname() && lock.pid !== process.pid && !processAlive(lock.pid);
}

/** Go formats the lock time with time.RFC3339: whole seconds, original zone. */
function rfc3339Seconds(timestamp: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  return m ? `${m[1]}${m[2]}` : timestamp;
}

function lockUrl(ctx: LockContext, path: string): string {
  const rel = relative(ctx.root, path).split("\\").join("/");
  const q = ctx.canonicalUrl.indexOf("?");
  const base = q >= 0 ? ctx.canonicalUrl.slice(0, q) : ctx.canonicalUrl;
  const query = q >= 0 ? ctx.canonicalUrl.slice(q) : "";
  return `${base.replace(/\/$/, "")}/${rel}${query}`;
}

function otherLocks(lockDir: string, ownId: string | undefined): string[] {
  return listDir(lockDir)
    .filter((f) => f.endsWith(".json") && f !== `${ownId}.json`)
    .sort()
    .map((f) => join(lockDir, f));
}

function conflictError(ctx: LockContext, paths: string[]): ConcurrentUpdateError {
  let message =
    `the stack is currently locked by ${paths.length} lock(s). Either wait for the other ` +
    "process(es) to end or delete the lock file with `pulumi cancel`.";
  for (const path of paths) {
    const l = readLock(path);
    if (l === undefined) continue;
    message += `\n  ${lockUrl(ctx, path)}: created by ${l.username}@${l.hostname} (pid ${l.pid}) at ${rfc3339Seconds(l.timestamp)}`;
  }
  return new ConcurrentUpdateError(message);
}

function checkForLocks(ctx: LockContext, lockDir: string, ownId: string | undefined): void {
  const others: string[] = [];
  for (const path of otherLocks(lockDir, ownId)) {
    if (isStale(readLock(path))) removeIfExists(path);
    else others.push(path);
  }
  if (others.length > 0) throw conflictError(ctx, others);
}

/**
 * Check, write, check again: the second look catches a racer that wrote between our check and our
 * write, in which case both back off rather than both proceeding.
 */
export function acquireLock(ctx: LockContext, lockDir: string): HeldLock {
  checkForLocks(ctx, lockDir, undefined);
  const id = randomUUID();
  const path = join(lockDir, `${id}.json`);
  ensureDir(lockDir);
  ctx.counter.add("other", writeFileAtomic(path, JSON.stringify(newLockContent())));
  try {
    checkForLocks(ctx, lockDir, id);
  } catch (err) {
    removeIfExists(path);
    throw err;
  }
  return { id, path };
}

export function releaseLock(lock: HeldLock): void {
  removeIfExists(lock.path);
}

export function lockExists(lockDir: string, id: string): boolean {
  return readIfExists(join(lockDir, `${id}.json`)) !== undefined;
}

/** `pulumi cancel` on DIY: every lock file for the stack goes. */
export function deleteAllLocks(lockDir: string): number {
  let n = 0;
  for (const f of listDir(lockDir)) {
    if (!f.endsWith(".json")) continue;
    removeIfExists(join(lockDir, f));
    n++;
  }
  return n;
}
