/**
 * Property values as they arrive in step metadata (state encoding, secrets blinded), decoded into a
 * small tagged model so printing and diffing never have to re-inspect signature keys.
 */
import {
  ARCHIVE_SIG,
  ASSET_SIG,
  OUTPUT_VALUE_SIG,
  RESOURCE_REFERENCE_SIG,
  SECRET_SIG,
  SIG_KEY,
  UNKNOWN_VALUE,
} from "@stackyard/protocol";

export type Value =
  | { kind: "null" }
  | { kind: "bool"; value: boolean }
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "unknown" }
  /** `element` is absent when the plaintext is not available to the display (the usual case). */
  | { kind: "secret"; element?: Value }
  | { kind: "array"; items: Value[] }
  | { kind: "object"; props: Props }
  | { kind: "asset"; hash: string; text?: string; path?: string; uri?: string }
  | { kind: "archive"; hash: string; assets?: Record<string, Value>; path?: string; uri?: string }
  | { kind: "ref"; urn: string; id?: Value; packageVersion: string };

export type Props = Map<string, Value>;

const NULL: Value = { kind: "null" };

export function decodeValue(raw: unknown): Value {
  if (raw === null || raw === undefined) return NULL;
  if (typeof raw === "boolean") return { kind: "bool", value: raw };
  if (typeof raw === "number") return { kind: "number", value: raw };
  if (typeof raw === "string") return raw === UNKNOWN_VALUE ? { kind: "unknown" } : { kind: "string", value: raw };
  if (Array.isArray(raw)) return { kind: "array", items: raw.map(decodeValue) };
  if (typeof raw !== "object") return NULL;
  const obj = raw as Record<string, unknown>;
  switch (obj[SIG_KEY]) {
    case SECRET_SIG:
      // Blinded secrets carry `ciphertext`; only a display given plaintext sees a `value`.
      return "value" in obj && !("ciphertext" in obj) ? { kind: "secret", element: decodeValue(obj.value) } : { kind: "secret" };
    case ASSET_SIG:
      return {
        kind: "asset",
        hash: str(obj.hash),
        ...(typeof obj.text === "string" ? { text: obj.text } : {}),
        ...(typeof obj.path === "string" ? { path: obj.path } : {}),
        ...(typeof obj.uri === "string" ? { uri: obj.uri } : {}),
      };
    case ARCHIVE_SIG: {
      const assets = obj.assets;
      return {
        kind: "archive",
        hash: str(obj.hash),
        ...(assets && typeof assets === "object"
          ? { assets: Object.fromEntries(Object.entries(assets).map(([k, v]) => [k, decodeValue(v)])) }
          : {}),
        ...(typeof obj.path === "string" ? { path: obj.path } : {}),
        ...(typeof obj.uri === "string" ? { uri: obj.uri } : {}),
      };
    }
    case RESOURCE_REFERENCE_SIG:
      return {
        kind: "ref",
        urn: str(obj.urn),
        ...("id" in obj ? { id: decodeValue(obj.id) } : {}),
        packageVersion: str(obj.packageVersion),
      };
    case OUTPUT_VALUE_SIG: {
      const inner: Value = "value" in obj ? decodeValue(obj.value) : { kind: "unknown" };
      return obj.secret === true ? { kind: "secret", element: inner } : inner;
    }
    default:
      return { kind: "object", props: decodeProps(obj) };
  }
}

export function decodeProps(raw: Record<string, unknown> | null | undefined): Props {
  const props: Props = new Map();
  if (!raw) return props;
  for (const key of Object.keys(raw)) props.set(key, decodeValue(raw[key]));
  return props;
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** Engine-internal keys (`__provider`, `__defaults`, …) never appear in diffs. */
export const isInternalKey = (key: string): boolean => key.startsWith("__");

export function sortedKeys(props: Props): string[] {
  return [...props.keys()].sort();
}

export function isPrimitive(v: Value): boolean {
  return ["null", "bool", "number", "string", "unknown", "secret"].includes(v.kind);
}

export function deepEqual(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "null":
    case "unknown":
      return true;
    case "bool":
    case "number":
    case "string":
      return a.value === (b as typeof a).value;
    case "secret": {
      const be = (b as typeof a).element;
      // Two blinded secrets are indistinguishable; treat them as equal rather than inventing a change.
      if (!a.element || !be) return !a.element && !be;
      return deepEqual(a.element, be);
    }
    case "array": {
      const bi = (b as typeof a).items;
      return a.items.length === bi.length && a.items.every((v, i) => deepEqual(v, bi[i] as Value));
    }
    case "object":
      return propsEqual(a.props, (b as typeof a).props);
    case "asset":
    case "archive":
      return a.hash === (b as typeof a).hash;
    case "ref":
      return a.urn === (b as typeof a).urn;
  }
}

function propsEqual(a: Props, b: Props): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !deepEqual(v, w)) return false;
  }
  return true;
}

export interface ObjectDiff {
  adds: Props;
  deletes: Props;
  sames: Props;
  updates: Map<string, ValueDiff>;
}

export interface ArrayDiff {
  length: number;
  adds: Map<number, Value>;
  deletes: Map<number, Value>;
  sames: Map<number, Value>;
  updates: Map<number, ValueDiff>;
}

export interface ValueDiff {
  old: Value;
  new: Value;
  array?: ArrayDiff;
  object?: ObjectDiff;
}

export function diffKeys(d: ObjectDiff): string[] {
  return [...new Set([...d.adds.keys(), ...d.deletes.keys(), ...d.sames.keys(), ...d.updates.keys()])].sort();
}

export function anyChanges(d: ObjectDiff): boolean {
  return d.adds.size + d.deletes.size + d.updates.size > 0;
}

/** Null means "no changes". Nulls count as absent, so `{a: null}` → `{}` is not a change. */
export function diffProps(olds: Props, news: Props, ignore: (key: string) => boolean = isInternalKey): ObjectDiff | null {
  const d: ObjectDiff = { adds: new Map(), deletes: new Map(), sames: new Map(), updates: new Map() };
  for (const [k, o] of olds) {
    if (ignore(k)) continue;
    const n = news.get(k);
    if (n !== undefined && n.kind !== "null") {
      const vd = diffValues(o, n);
      if (vd) d.updates.set(k, vd);
      else d.sames.set(k, o);
    } else if (o.kind !== "null") {
      d.deletes.set(k, o);
    }
  }
  for (const [k, n] of news) {
    if (ignore(k) || n.kind === "null") continue;
    const o = olds.get(k);
    if (o === undefined || o.kind === "null") d.adds.set(k, n);
  }
  return anyChanges(d) ? d : null;
}

export function diffValues(o: Value, n: Value): ValueDiff | null {
  if (o.kind === "array" && n.kind === "array") {
    const a: ArrayDiff = { length: Math.max(o.items.length, n.items.length), adds: new Map(), deletes: new Map(), sames: new Map(), updates: new Map() };
    for (let i = 0; i < a.length; i++) {
      const ov = o.items[i];
      const nv = n.items[i];
      if (ov && nv) {
        const vd = diffValues(ov, nv);
        if (vd) a.updates.set(i, vd);
        else a.sames.set(i, ov);
      } else if (ov) a.deletes.set(i, ov);
      else if (nv) a.adds.set(i, nv);
    }
    return a.adds.size + a.deletes.size + a.updates.size > 0 ? { old: o, new: n, array: a } : null;
  }
  if (o.kind === "object" && n.kind === "object") {
    const od = diffProps(o.props, n.props, () => false);
    return od ? { old: o, new: n, object: od } : null;
  }
  return deepEqual(o, n) ? null : { old: o, new: n };
}
