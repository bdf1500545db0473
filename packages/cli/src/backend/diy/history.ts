/**
 * Update history files: `<stack>-<unixnano>.history.json` (+ `.checkpoint.json`), newest first on read.
 * On disk `config` is Pulumi's config.Map form (plain string, `{"secure": …}`, or an object), which
 * is what a Pulumi CLI reading the same directory expects; callers see apitype.ConfigValue.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { ConfigValue, UpdateInfo } from "@stackyard/protocol";
import { ByteCounter, decodeMaybeGzip, listDir, readIfExists, writeFileAtomic } from "./fsio.js";

const HISTORY_RE = /^(.*)-(\d+)\.history\.json(\.gz|\.zst)?$/;
const CHECKPOINT_RE = /^(.*)-(\d+)\.checkpoint\.json(\.gz|\.zst)?$/;

export interface HistoryFile {
  file: string;
  nanos: bigint;
}

function listMatching(dir: string, stackName: string, re: RegExp): HistoryFile[] {
  const out: HistoryFile[] = [];
  for (const file of listDir(dir)) {
    const m = re.exec(file);
    if (m && m[1] === stackName) out.push({ file, nanos: BigInt(m[2]!) });
  }
  return out.sort((a, b) => (a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0));
}

/** Oldest first. */
export function listHistory(dir: string, stackName: string): HistoryFile[] {
  return listMatching(dir, stackName, HISTORY_RE);
}

export function listHistoryCheckpoints(dir: string, stackName: string): HistoryFile[] {
  return listMatching(dir, stackName, CHECKPOINT_RE);
}

/** config.Map value → apitype.ConfigValue. */
export function configValueFromDisk(value: unknown): ConfigValue {
  if (typeof value === "string") return { string: value, secret: false, object: false };
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const secure = (value as Record<string, unknown>)["secure"];
    if (keys.length === 1 && typeof secure === "string") return { string: secure, secret: true, object: false };
  }
  if (value === null || typeof value === "object") {
    return { string: JSON.stringify(value), secret: containsSecure(value), object: true };
  }
  return { string: String(value), secret: false, object: false };
}

/** apitype.ConfigValue → config.Map value. */
export function configValueToDisk(value: ConfigValue): unknown {
  if (value.object) {
    try {
      return JSON.parse(value.string) as unknown;
    } catch {
      return value.string;
    }
  }
  return value.secret ? { secure: value.string } : value.string;
}

function containsSecure(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(containsSecure);
  if (typeof value !== "object" || value === null) return false;
  const rec = value as Record<string, unknown>;
  if (Object.keys(rec).length === 1 && typeof rec["secure"] === "string") return true;
  return Object.values(rec).some(containsSecure);
}

/** Field order follows Pulumi's UpdateInfo struct so files diff cleanly against ones it wrote. */
function toDisk(info: UpdateInfo): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info.config ?? {})) config[k] = configValueToDisk(v);
  const out: Record<string, unknown> = {
    kind: info.kind,
    startTime: info.startTime,
    message: info.message,
    environment: info.environment ?? {},
    config,
    version: info.version ?? 0,
    result: info.result,
    endTime: info.endTime ?? 0,
  };
  if (info.resourceChanges && Object.keys(info.resourceChanges).length > 0) out["resourceChanges"] = info.resourceChanges;
  return out;
}

function fromDisk(raw: Record<string, unknown>): UpdateInfo {
  const config: Record<string, ConfigValue> = {};
  const rawConfig = raw["config"];
  if (rawConfig && typeof rawConfig === "object") {
    for (const [k, v] of Object.entries(rawConfig as Record<string, unknown>)) config[k] = configValueFromDisk(v);
  }
  const info: UpdateInfo = {
    kind: raw["kind"] as UpdateInfo["kind"],
    startTime: Number(raw["startTime"] ?? 0),
    message: String(raw["message"] ?? ""),
    environment: (raw["environment"] as Record<string, string> | null) ?? {},
    config,
    version: Number(raw["version"] ?? 0),
    result: raw["result"] as UpdateInfo["result"],
  };
  const endTime = Number(raw["endTime"] ?? 0);
  if (endTime > 0) info.endTime = endTime;
  if (raw["resourceChanges"] && typeof raw["resourceChanges"] === "object") {
    info.resourceChanges = raw["resourceChanges"] as UpdateInfo["resourceChanges"];
  }
  return info;
}

/** Writes the history entry and the checkpoint copy that goes with it; returns bytes written. */
export function addToHistory(
  dir: string,
  stackName: string,
  nanos: bigint,
  info: UpdateInfo,
  checkpointBytes: Buffer,
  gzip: boolean,
  counter: ByteCounter,
  sessionCounter?: ByteCounter,
): void {
  const ext = gzip ? "json.gz" : "json";
  const prefix = join(dir, `${stackName}-${nanos}`);
  const text = Buffer.from(JSON.stringify(toDisk(info)), "utf8");
  counter.add("history", writeFileAtomic(`${prefix}.history.${ext}`, gzip ? gzipSync(text) : text), sessionCounter);
  counter.add("history", writeFileAtomic(`${prefix}.checkpoint.${ext}`, checkpointBytes), sessionCounter);
}

export function readHistory(dir: string, stackName: string, pageSize?: number, page?: number): UpdateInfo[] {
  const newestFirst = listHistory(dir, stackName).reverse();
  let selected = newestFirst;
  if (pageSize !== undefined && pageSize > 0) {
    const p = page === undefined || page < 1 ? 1 : page;
    selected = newestFirst.slice((p - 1) * pageSize, p * pageSize);
  }
  const out: UpdateInfo[] = [];
  for (const h of selected) {
    const bytes = readIfExists(join(dir, h.file));
    if (bytes === undefined) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(decodeMaybeGzip(bytes));
    } catch (err) {
      throw new Error(`reading history file ${join(dir, h.file)}: ${(err as Error).message}`);
    }
    out.push(fromDisk(raw as Record<string, unknown>));
  }
  return out;
}
