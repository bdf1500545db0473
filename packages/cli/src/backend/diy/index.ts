/**
 * `openDiyBackend("file://…")`: the DIY backend over a local directory, in Pulumi's layout
 * (`.pulumi/meta.yaml`, `stacks/`, `history/`, `backups/`, `locks/`), so either CLI can use the
 * same directory.
 *
 * Persistence during an update: each journal entry is appended as one line to
 * `stacks/<project>/<stack>.journal.jsonl` (one write per entry); the stack file is rewritten
 * (temp + rename) only when the journal written since the last rewrite exceeds that rewrite's
 * size, so bytes written stay linear in the update. The journal is never truncated mid-update:
 * entries refer to the update's base deployment by index and to each other by operation id, so
 * replay always starts from the base, which stays intact as the stack file or, once that has
 * been rewritten, as its `.bak`. A journal left by a dead update is replayed by the next
 * operation that can take the stack's lock.
 */
import { mkdirSync, statSync } from "node:fs";
import { PULUMI_VERSION } from "@stackyard/engine/version";
import { DiyBackend } from "./diy-backend.js";
import { readDiyEnv } from "./env.js";
import { ByteCounter } from "./fsio.js";
import { ensureMeta, Layout } from "./layout.js";
import { DiyStore } from "./store.js";
import { parseDiyUrl } from "./url.js";

export { DiyBackend } from "./diy-backend.js";
export { DiyUpdateSession } from "./session.js";
export type { ByteCounts } from "./fsio.js";
export { parseDiyUrl } from "./url.js";

export interface DiyBackendOptions {
  /** Environment to read PULUMI_DIY_BACKEND_* from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Base for relative `file://dir` URLs (default: process.cwd()). */
  cwd?: string;
  /** `manifest.version` written into checkpoints (default: the Pulumi version we implement). */
  engineVersion?: string;
}

export async function openDiyBackend(url: string, options: DiyBackendOptions = {}): Promise<DiyBackend> {
  const location = parseDiyUrl(url, options.cwd);
  const env = readDiyEnv(options.env);
  if (location.createDir) mkdirSync(location.root, { recursive: true });
  let isDir = false;
  try {
    isDir = statSync(location.root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new Error(`unable to open bucket ${location.canonicalUrl}: ${location.root} is not a directory`);
  }
  const setupBytes = new ByteCounter();
  const version = ensureMeta(location.root, env.legacyLayout, setupBytes);
  const store = new DiyStore(
    new Layout(location.root, version),
    env,
    location.canonicalUrl,
    options.engineVersion ?? `v${PULUMI_VERSION}`,
  );
  store.counter.other += setupBytes.other;
  return new DiyBackend(url, store);
}
