/**
 * Pure decisions of step planning: what a diff means (same / update / replace), how
 * ignoreChanges rewrites inputs, which keys replaceOnChanges turns into replacements.
 */
import type { PropertyDiff } from "@stackyard/protocol";
import type { DiffResult } from "../providers/provider-client.js";
import { asReplace, diffInputs } from "../properties/diff.js";
import { deepEqual, isObject, type PropertyObject } from "../properties/values.js";

export type DiffOutcome =
  | { kind: "same" }
  | { kind: "update"; changedKeys: string[]; detailedDiff?: Record<string, PropertyDiff> }
  | { kind: "replace"; changedKeys: string[]; replaceKeys: string[]; deleteBeforeReplace: boolean; detailedDiff?: Record<string, PropertyDiff> };

/** Parses a property path (`a.b[0]`, `a["x.y"]`, `*`) into segments. */
export function parsePropertyPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === ".") {
      i++;
      continue;
    }
    if (path[i] === "[") {
      const close = path.indexOf("]", i);
      if (close < 0) throw new Error(`invalid property path '${path}': missing ']'`);
      const inner = path.slice(i + 1, close);
      if (inner.startsWith('"')) segments.push(JSON.parse(inner) as string);
      else if (inner === "*") segments.push("*");
      else segments.push(Number(inner));
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
    segments.push(path.slice(i, j));
    i = j;
  }
  return segments;
}

function getPath(value: unknown, segments: (string | number)[]): { found: boolean; value?: unknown } {
  let current = value;
  for (const seg of segments) {
    if (typeof seg === "number") {
      if (!Array.isArray(current) || seg >= current.length) return { found: false };
      current = current[seg];
    } else {
      if (!isObject(current) || !(seg in current)) return { found: false };
      current = current[seg];
    }
  }
  return { found: true, value: current };
}

function setPath(root: PropertyObject, segments: (string | number)[], value: unknown, remove: boolean): boolean {
  let current: unknown = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    const next = typeof seg === "number" ? (Array.isArray(current) ? current[seg] : undefined) : isObject(current) ? current[seg] : undefined;
    if (next === undefined || next === null || typeof next !== "object") return false;
    current = next;
  }
  const last = segments[segments.length - 1]!;
  if (typeof last === "number") {
    if (!Array.isArray(current) || last > current.length) return false;
    if (remove) current.splice(last, 1);
    else current[last] = value;
    return true;
  }
  if (!isObject(current)) return false;
  if (remove) delete current[last];
  else current[last] = value;
  return true;
}

/**
 * ignoreChanges: each path in the new inputs takes its old value (or is removed when it had none).
 * Returns the rewritten inputs and the paths that could not be applied.
 */
export function applyIgnoreChanges(olds: PropertyObject, news: PropertyObject, paths: readonly string[]): { inputs: PropertyObject; unapplied: string[] } {
  if (paths.length === 0) return { inputs: news, unapplied: [] };
  const inputs = structuredClone(news);
  const unapplied: string[] = [];
  for (const path of paths) {
    const segments = parsePropertyPath(path);
    if (segments.includes("*") || segments.length === 0) {
      if (segments.length === 1) {
        for (const key of Object.keys(inputs)) delete inputs[key];
        Object.assign(inputs, structuredClone(olds));
      } else unapplied.push(path);
      continue;
    }
    const old = getPath(olds, segments);
    const ok = old.found ? setPath(inputs, segments, structuredClone(old.value), false) : getPath(inputs, segments).found ? setPath(inputs, segments, undefined, true) : true;
    if (!ok) unapplied.push(path);
  }
  return { inputs, unapplied };
}

function matchesPath(changedPath: string, pattern: string): boolean {
  if (pattern === "*") return true;
  const a = parsePropertyPath(changedPath);
  const b = parsePropertyPath(pattern);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (b[i] !== "*" && a[i] !== b[i]) return false;
  return true;
}

/**
 * Turns a provider diff (or the engine's own, when the provider said "unknown") into an outcome.
 * `forceReplace`: the resource was named by --replace.
 */
export function decideDiff(args: {
  diff: DiffResult;
  oldInputs: PropertyObject;
  newInputs: PropertyObject;
  replaceOnChanges: readonly string[];
  deleteBeforeReplaceOption: boolean | undefined;
  forceReplace: boolean;
  hasInitErrors: boolean;
}): DiffOutcome {
  let { changes, replaces, changedKeys, detailedDiff } = args.diff;
  if (changes === "unknown") {
    const own = diffInputs(args.oldInputs, args.newInputs);
    changes = own.changedKeys.length > 0 ? "some" : "none";
    changedKeys = own.changedKeys;
    detailedDiff = own.detailedDiff;
    replaces = [];
  }
  let replaceKeys = [...replaces];
  if (args.replaceOnChanges.length > 0 && changes === "some") {
    let candidates = detailedDiff ? Object.keys(detailedDiff) : changedKeys;
    // A provider may say "something changed" without naming what; the inputs tell.
    if (candidates.length === 0) candidates = Object.keys(diffInputs(args.oldInputs, args.newInputs).detailedDiff);
    for (const path of candidates) {
      if (args.replaceOnChanges.some((p) => matchesPath(path, p))) {
        if (!replaceKeys.includes(path)) replaceKeys.push(path);
        if (detailedDiff?.[path]) detailedDiff = { ...detailedDiff, [path]: { ...detailedDiff[path]!, diffKind: asReplace(detailedDiff[path]!.diffKind) } };
      }
    }
  }
  if (args.forceReplace) {
    if (!replaceKeys.includes("id")) replaceKeys.push("id");
  }
  const deleteBeforeReplace = args.deleteBeforeReplaceOption ?? args.diff.deleteBeforeReplace;
  if (replaceKeys.length > 0) {
    const outcome: DiffOutcome = { kind: "replace", changedKeys, replaceKeys, deleteBeforeReplace };
    if (detailedDiff) outcome.detailedDiff = detailedDiff;
    return outcome;
  }
  if (changes === "some" || args.hasInitErrors) {
    const outcome: DiffOutcome = { kind: "update", changedKeys };
    if (detailedDiff) outcome.detailedDiff = detailedDiff;
    return outcome;
  }
  return { kind: "same" };
}

/** Components have no provider: any input change is an update. */
export function decideComponent(oldInputs: PropertyObject, newInputs: PropertyObject): DiffOutcome {
  if (deepEqual(oldInputs, newInputs)) return { kind: "same" };
  const own = diffInputs(oldInputs, newInputs);
  return { kind: "update", changedKeys: own.changedKeys, detailedDiff: own.detailedDiff };
}
