/**
 * The engine's own input diff, used for components and when a provider answers DIFF_UNKNOWN:
 * which top-level keys changed, and a detailed diff by property path.
 */
import type { DiffKind, PropertyDiff } from "@stackyard/protocol";
import { deepEqual, isObject, isSecret, type PropertyObject } from "./values.js";

export interface InputDiff {
  changedKeys: string[];
  detailedDiff: Record<string, PropertyDiff>;
}

export function diffInputs(olds: PropertyObject, news: PropertyObject): InputDiff {
  const changedKeys: string[] = [];
  const detailedDiff: Record<string, PropertyDiff> = {};
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  for (const key of keys) {
    if (key === "__provider") continue;
    const before = olds[key];
    const after = news[key];
    if (deepEqual(before, after)) continue;
    changedKeys.push(key);
    collectDetailedDiff(key, before, after, detailedDiff);
  }
  return { changedKeys: changedKeys.sort(), detailedDiff };
}

function unwrap(v: unknown): unknown {
  return isSecret(v) ? unwrap(v.value) : v;
}

function collectDetailedDiff(path: string, before: unknown, after: unknown, out: Record<string, PropertyDiff>): void {
  const a = unwrap(before);
  const b = unwrap(after);
  if (a === undefined || a === null) {
    if (b !== undefined && b !== null) out[path] = { diffKind: "add", inputDiff: true };
    return;
  }
  if (b === undefined || b === null) {
    out[path] = { diffKind: "delete", inputDiff: true };
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) if (!deepEqual(a[i], b[i])) collectDetailedDiff(`${path}[${i}]`, a[i], b[i], out);
    return;
  }
  if (isObject(a) && isObject(b) && !("4dabf18193072939515e22adb298388d" in a) && !("4dabf18193072939515e22adb298388d" in b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      if (!deepEqual(a[key], b[key])) collectDetailedDiff(`${path}${propertyPathSegment(key)}`, a[key], b[key], out);
    }
    return;
  }
  out[path] = { diffKind: "update", inputDiff: true };
}

function propertyPathSegment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `["${key.replace(/"/g, '\\"')}"]`;
}

/** Marks detailed-diff entries as replacements. */
export function asReplace(kind: DiffKind): DiffKind {
  switch (kind) {
    case "add":
      return "add-replace";
    case "delete":
      return "delete-replace";
    case "update":
      return "update-replace";
    default:
      return kind;
  }
}
