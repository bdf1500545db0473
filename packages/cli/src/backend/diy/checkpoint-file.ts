/** Reading and writing the stack file (`VersionedCheckpoint`), plain or gzip, with Pulumi's version checks. */
import { gzipSync } from "node:zlib";
import type { DeploymentV3, UntypedDeployment, VersionedCheckpoint } from "@stackyard/protocol";
import {
  DEPLOYMENT_SCHEMA_VERSION_CURRENT,
  DEPLOYMENT_SCHEMA_VERSION_LATEST,
  KNOWN_DEPLOYMENT_FEATURES,
} from "@stackyard/protocol";
import type { StackPaths } from "./layout.js";
import { decodeMaybeGzip, isGzip, mtimeMs, readIfExists } from "./fsio.js";

export interface LoadedCheckpoint {
  path: string;
  bytes: Buffer;
  file: VersionedCheckpoint;
}

/** The stack file in use: the most recently written of `.json`, `.json.gz`, `.json.zst`, as Pulumi picks. */
export function currentStackFile(paths: StackPaths): string | undefined {
  let best: { path: string; mtime: number } | undefined;
  for (const path of [paths.plain, paths.gzip, paths.zstd]) {
    const mtime = mtimeMs(path);
    if (mtime !== undefined && (best === undefined || mtime >= best.mtime)) best = { path, mtime };
  }
  return best?.path;
}

export function loadCheckpoint(paths: StackPaths, displayName: string): LoadedCheckpoint | undefined {
  const path = currentStackFile(paths);
  if (path === undefined) return undefined;
  const bytes = readIfExists(path);
  if (bytes === undefined) return undefined;
  return { path, bytes, file: parseCheckpoint(bytes, displayName, path) };
}

export function parseCheckpoint(bytes: Buffer, displayName: string, path = "checkpoint"): VersionedCheckpoint {
  if (!isGzip(bytes) && bytes.length >= 4 && bytes.readUInt32LE(0) === 0xfd2fb528) {
    throw new Error(`${path}: zstd-compressed state is not supported by Stackyard`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(decodeMaybeGzip(bytes));
  } catch (err) {
    throw new Error(`failed to load checkpoint: ${path}: ${(err as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null) throw new Error(`failed to load checkpoint: ${path}: not an object`);
  const file = raw as Partial<VersionedCheckpoint>;
  checkSchemaVersion(file.version ?? 0, file.features, displayName);
  if (typeof file.checkpoint !== "object" || file.checkpoint === null) {
    throw new Error(`failed to load checkpoint: ${path}: missing checkpoint`);
  }
  // Go writes `"latest": null` for a stack without deployments in some versions; treat it as absent.
  if (file.checkpoint.latest === null) delete file.checkpoint.latest;
  return file as VersionedCheckpoint;
}

export function checkSchemaVersion(version: number, features: string[] | undefined, displayName: string): void {
  if (version > DEPLOYMENT_SCHEMA_VERSION_LATEST) {
    throw new Error(
      `the stack '${displayName}' is newer than what this version of the Pulumi CLI understands. ` +
        "Please update your version of the Pulumi CLI",
    );
  }
  if (version < DEPLOYMENT_SCHEMA_VERSION_CURRENT) {
    throw new Error(`the stack '${displayName}' is too old to be used by this version of the Pulumi CLI`);
  }
  const known: readonly string[] = KNOWN_DEPLOYMENT_FEATURES;
  const unknown = (features ?? []).filter((f) => !known.includes(f));
  if (unknown.length > 0) throw new Error(`optional features are not supported: ${unknown.join(", ")}`);
}

export function makeCheckpoint(
  qualifiedName: string,
  version: number,
  features: string[] | undefined,
  latest: DeploymentV3 | undefined,
): VersionedCheckpoint {
  const file: VersionedCheckpoint = { version, checkpoint: { stack: qualifiedName } };
  if (features && features.length > 0) file.features = features;
  if (latest) file.checkpoint.latest = latest;
  return file;
}

/** Compact JSON as Pulumi's DIY marshaler writes it (no HTML escaping: JSON.stringify never does). */
export function encodeCheckpoint(file: VersionedCheckpoint, gzip: boolean): Buffer {
  const text = Buffer.from(JSON.stringify(file), "utf8");
  return gzip ? gzipSync(text) : text;
}

/** What `stack export` shows for a stack that has never been deployed. */
export function emptyDeployment(): DeploymentV3 {
  return { manifest: { time: "0001-01-01T00:00:00Z", magic: "", version: "" } };
}

export function toUntyped(file: VersionedCheckpoint): UntypedDeployment {
  const out: UntypedDeployment = { version: file.version, deployment: file.checkpoint.latest ?? emptyDeployment() };
  if (file.features && file.features.length > 0) out.features = file.features;
  return out;
}
