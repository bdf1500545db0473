/**
 * Stack config values as Pulumi models them (sdk/go/common/resource/config): a value is text plus
 * `secure`/`object` flags; object values are JSON text whose secret leaves are `{"secure": ct}`.
 * `--path` keys address inside objects. Everything here is pure.
 */

/** A secret leaf (or whole value) still encrypted. */
export class Ciphertext {
  constructor(readonly ciphertext: string) {}
}

export type ConfigObject = null | boolean | number | string | Ciphertext | ConfigObject[] | ConfigRecord;
export interface ConfigRecord {
  [key: string]: ConfigObject;
}

export type ConfigValueType = "string" | "int" | "bool" | "float";

/** One stored config value (Go's config.Value). */
export interface ConfigValue {
  /** Plain text, ciphertext (secure, not object) or JSON text (object). */
  value: string;
  secure: boolean;
  object: boolean;
  /** Set by `config set --type`; the value is then written as that YAML type. */
  type?: ConfigValueType;
}

export type PathSegment = string | number;

export function plainValue(text: string): ConfigValue {
  return { value: text, secure: false, object: false };
}
export function secureValue(ciphertext: string): ConfigValue {
  return { value: ciphertext, secure: true, object: false };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Ciphertext);
}

function newRecord(): ConfigRecord {
  return Object.create(null) as ConfigRecord;
}

/** Parses `a.b[0]["x.y"]` the way Pulumi's strict property-path parser does. */
export function parsePropertyPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  if (path.startsWith(".")) throw new Error("expected property path to start with a name or index");
  let rest = path;
  while (rest.length > 0) {
    if (rest[0] === ".") {
      rest = rest.slice(1);
      if (rest.length === 0) throw new Error("expected property path to end with a name or index");
      if (rest[0] === "[") throw new Error("expected property name after '.'");
      continue;
    }
    if (rest[0] === "[") {
      if (rest[1] === '"') {
        let key = "";
        let i = 2;
        for (;;) {
          if (i >= rest.length) throw new Error("missing closing quote in property name");
          if (rest[i] === '"') {
            i++;
            break;
          }
          if (rest[i] === "\\" && rest[i + 1] === '"') {
            key += '"';
            i += 2;
          } else {
            key += rest[i];
            i++;
          }
        }
        if (rest[i] !== "]") throw new Error("missing closing bracket in property access");
        out.push(key);
        rest = rest.slice(i + 1);
      } else {
        const close = rest.indexOf("]");
        if (close < 0) throw new Error("missing closing bracket in array index");
        const segment = rest.slice(1, close);
        if (segment === "*") out.push("*");
        else {
          if (!/^[+-]?\d+$/.test(segment)) throw new Error(`invalid array index: strconv.ParseInt: parsing "${segment}": invalid syntax`);
          out.push(Number.parseInt(segment, 10));
        }
        rest = rest.slice(close + 1);
      }
      continue;
    }
    let i = 0;
    while (i < rest.length && rest[i] !== "." && rest[i] !== "[") i++;
    out.push(rest.slice(0, i));
    rest = rest.slice(i);
  }
  return out;
}

/** Renders a path the way Go prints a PropertyPath in error messages. */
function formatPath(path: PathSegment[]): string {
  return `[${path.join(" ")}]`;
}

/** "true"/"false" and canonical integers become typed when set through `--path`, like Pulumi. */
export function coerceText(text: string): ConfigObject | undefined {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text.length > 1 && text[0] === "0") return undefined;
  if (/^[+-]?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  return undefined;
}

/** Any YAML/JSON-decoded value → the object model (a lone `{secure: "…"}` map is a secret). */
export function fromWire(v: unknown): ConfigObject {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Ciphertext) return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(fromWire);
  if (v instanceof Map) {
    const rec: Record<string, unknown> = {};
    for (const [k, x] of v) rec[String(k)] = x;
    return fromWire(rec);
  }
  if (isRecord(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "secure" && typeof v["secure"] === "string") return new Ciphertext(v["secure"]);
    const out = newRecord();
    for (const k of keys) out[k] = fromWire(v[k]);
    return out;
  }
  throw new Error(`unexpected config value of type ${typeof v}`);
}

/** The object model → a YAML/JSON-encodable tree with `{secure: ct}` leaves and sorted map keys. */
export function toWire(o: ConfigObject): unknown {
  if (o instanceof Ciphertext) return { secure: o.ciphertext };
  if (Array.isArray(o)) return o.map(toWire);
  if (isRecord(o)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) out[k] = toWire((o as ConfigRecord)[k]!);
    return out;
  }
  return o;
}

export function containsSecure(o: ConfigObject): boolean {
  if (o instanceof Ciphertext) return true;
  if (Array.isArray(o)) return o.some(containsSecure);
  if (isRecord(o)) return Object.values(o as ConfigRecord).some(containsSecure);
  return false;
}

/**
 * JSON the way Go's encoding/json marshals `any`: map keys sorted, `<`, `>`, `&`, U+2028/9 escaped.
 * Object values' text and the JSON handed to programs use this form, so it must match byte for byte.
 */
export function goJson(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (isRecord(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x).sort()) out[k] = sorted(x[k]);
      return out;
    }
    return x;
  };
  return JSON.stringify(sorted(v))
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Value → object model (Go's unmarshalObject). */
export function valueToObject(v: ConfigValue): ConfigObject {
  if (v.object) return fromWire(JSON.parse(v.value));
  if (v.secure) return new Ciphertext(v.value);
  switch (v.type) {
    case undefined:
    case "string":
      return v.value;
    case "int": {
      const n = Number.parseInt(v.value, 10);
      if (Number.isNaN(n)) throw new Error(`strconv.Atoi: parsing "${v.value}": invalid syntax`);
      return n;
    }
    case "bool":
      return ["1", "t", "T", "TRUE", "true", "True"].includes(v.value);
    case "float": {
      const f = Number(v.value);
      if (v.value.trim() === "" || Number.isNaN(f)) throw new Error(`strconv.ParseFloat: parsing "${v.value}": invalid syntax`);
      return f;
    }
  }
}

/** Object model → Value (Go's MarshalString). */
export function objectToValue(o: ConfigObject): ConfigValue {
  if (o instanceof Ciphertext) return secureValue(o.ciphertext);
  if (typeof o === "string") return plainValue(o);
  if (o === null || typeof o === "boolean" || typeof o === "number") return plainValue(JSON.stringify(o));
  return { value: goJson(toWire(o)), secure: containsSecure(o), object: true };
}

function coerceValue(v: ConfigValue): ConfigObject {
  if (v.secure || v.object || v.type !== undefined) return valueToObject(v);
  const c = coerceText(v.value);
  return c === undefined ? v.value : c;
}

/** Stack config: full key `ns:name` → value. Keys keep insertion order; writers sort. */
export type StackConfig = Map<string, ConfigValue>;

/** Splits a full key at its first colon. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf(":");
  if (i < 0) throw new Error(`could not parse ${key} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`);
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

function parseKeyPath(key: string): { path: PathSegment[]; rootKey: string } {
  const { namespace, name } = splitKey(key);
  let path: PathSegment[];
  try {
    path = parsePropertyPath(name);
  } catch (err) {
    throw new Error(`invalid config key path: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (path.length === 0) throw new Error("empty config key path");
  const first = path[0];
  if (typeof first !== "string") throw new Error("first path segement of config key must be a string");
  if (first === "") throw new Error("config key is empty");
  return { path, rootKey: `${namespace}:${first}` };
}

function getIn(o: ConfigObject, path: PathSegment[]): { found: boolean; value: ConfigObject } {
  let cur = o;
  for (const seg of path) {
    if (Array.isArray(cur)) {
      if (typeof seg !== "number" || seg < 0 || seg >= cur.length) return { found: false, value: null };
      cur = cur[seg]!;
    } else if (isRecord(cur)) {
      if (typeof seg !== "string" || !Object.hasOwn(cur, seg)) return { found: false, value: null };
      cur = (cur as ConfigRecord)[seg]!;
    } else {
      return { found: false, value: null };
    }
  }
  return { found: true, value: cur };
}

function newContainer(seg: PathSegment): ConfigObject {
  if (typeof seg === "number") return new Array<ConfigObject>(seg + 1).fill(null);
  return newRecord();
}

const SECURE_RESERVED = 'maps with the single key "secure" are reserved';

/** Go's object.Set: returns the updated node. `prefix` is the path already walked (for messages). */
function setIn(node: ConfigObject, prefix: PathSegment[], path: PathSegment[], leaf: ConfigObject): ConfigObject {
  if (path.length === 0) return leaf;
  const seg = path[0]!;
  let container = node;
  if (!Array.isArray(container) && !isRecord(container)) {
    if (container === null || prefix.length === 1) container = newContainer(seg);
    else throw new Error(`${formatPath(prefix)}: ${typeof seg === "number" ? "expected an array" : "expected a map"}`);
  }
  const here = [...prefix, seg];
  if (Array.isArray(container)) {
    if (typeof seg !== "number") throw new Error(`${formatPath(here)}: key for an array must be an int`);
    if (seg < 0 || seg > container.length) throw new Error(`${formatPath(here)}: array index out of range`);
    const arr = [...container];
    if (seg === arr.length) arr.push(null);
    arr[seg] = setIn(arr[seg]!, here, path.slice(1), leaf);
    return arr;
  }
  if (typeof seg !== "string") throw new Error(`${formatPath(here)}: key for a map must be a string`);
  const rec = container as ConfigRecord;
  if (path.length === 1 && Object.keys(rec).length === 0 && seg === "secure" && typeof leaf === "string") throw new Error(SECURE_RESERVED);
  const copy = newRecord();
  Object.assign(copy, rec);
  copy[seg] = setIn(Object.hasOwn(rec, seg) ? rec[seg]! : null, here, path.slice(1), leaf);
  return copy;
}

function deleteIn(node: ConfigObject, prefix: PathSegment[], path: PathSegment[]): ConfigObject {
  if (path.length === 0) return node;
  const seg = path[0]!;
  const here = [...prefix, seg];
  if (Array.isArray(node)) {
    if (typeof seg !== "number" || seg < 0 || seg >= node.length) return node;
    if (path.length === 1) return node.filter((_, i) => i !== seg);
    const arr = [...node];
    arr[seg] = deleteIn(arr[seg]!, here, path.slice(1));
    return arr;
  }
  if (isRecord(node)) {
    const rec = node as ConfigRecord;
    if (typeof seg !== "string" || !Object.hasOwn(rec, seg)) return node;
    const copy = newRecord();
    Object.assign(copy, rec);
    if (path.length === 1) {
      const others = Object.keys(rec).filter((k) => k !== seg);
      if (others.length === 1 && others[0] === "secure" && typeof rec["secure"] === "string") {
        throw new Error(`${formatPath(here)}: ${SECURE_RESERVED}`);
      }
      delete copy[seg];
      return copy;
    }
    copy[seg] = deleteIn(rec[seg]!, here, path.slice(1));
    return copy;
  }
  return node;
}

/** `config get [--path]`: the value at `key`, or undefined. */
export function configGet(config: StackConfig, key: string, path: boolean): ConfigValue | undefined {
  if (!path) return config.get(key);
  const { path: segs, rootKey } = parseKeyPath(key);
  const root = config.get(rootKey);
  if (segs.length === 1 || root === undefined) return root;
  const { found, value } = getIn(valueToObject(root), segs.slice(1));
  return found ? objectToValue(value) : undefined;
}

/** `config set [--path]`, mutating `config`. */
export function configSet(config: StackConfig, key: string, value: ConfigValue, path: boolean): void {
  if (!path) {
    config.set(key, value);
    return;
  }
  const { path: segs, rootKey } = parseKeyPath(key);
  if (segs.length === 1) {
    config.set(rootKey, value);
    return;
  }
  const leaf = coerceValue(value);
  const existing = config.get(rootKey);
  const root: ConfigObject = existing ? valueToObject(existing) : newContainer(segs[1]!);
  config.set(rootKey, objectToValue(setIn(root, segs.slice(0, 1), segs.slice(1), leaf)));
}

/** `config rm [--path]`, mutating `config`. Removing something absent is not an error. */
export function configRemove(config: StackConfig, key: string, path: boolean): void {
  if (!path) {
    config.delete(key);
    return;
  }
  const { path: segs, rootKey } = parseKeyPath(key);
  if (segs.length === 1) {
    config.delete(rootKey);
    return;
  }
  const existing = config.get(rootKey);
  if (!existing) return;
  config.set(rootKey, objectToValue(deleteIn(valueToObject(existing), segs.slice(0, 1), segs.slice(1))));
}

/** Every ciphertext inside a value, in a stable order. */
export function collectCiphertexts(v: ConfigValue): string[] {
  if (!v.secure) return [];
  const out: string[] = [];
  const walk = (o: ConfigObject): void => {
    if (o instanceof Ciphertext) out.push(o.ciphertext);
    else if (Array.isArray(o)) o.forEach(walk);
    else if (isRecord(o)) for (const k of Object.keys(o).sort()) walk((o as ConfigRecord)[k]!);
  };
  walk(valueToObject(v));
  return out;
}

/**
 * The plaintext text of a value (Go's Value.Value with a decrypter): strings as they are, objects
 * as Go JSON with secret leaves replaced by their plaintext. `plaintexts` maps ciphertext → text;
 * a blinding caller maps everything to "[secret]".
 */
export function valueText(v: ConfigValue, plaintext: (ciphertext: string) => string): string {
  if (!v.secure && !v.object && v.type === undefined) return v.value;
  const reveal = (o: ConfigObject): unknown => {
    if (o instanceof Ciphertext) return plaintext(o.ciphertext);
    if (Array.isArray(o)) return o.map(reveal);
    if (isRecord(o)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o)) out[k] = reveal((o as ConfigRecord)[k]!);
      return out;
    }
    return o;
  };
  const revealed = reveal(valueToObject(v));
  return typeof revealed === "string" ? revealed : goJson(revealed);
}

/** Re-encrypts a value with new ciphertexts (config cp, set-all --json of an object secret). */
export function mapCiphertexts(v: ConfigValue, fn: (ciphertext: string) => string): ConfigValue {
  if (!v.secure) return v;
  const walk = (o: ConfigObject): ConfigObject => {
    if (o instanceof Ciphertext) return new Ciphertext(fn(o.ciphertext));
    if (Array.isArray(o)) return o.map(walk);
    if (isRecord(o)) {
      const out = newRecord();
      for (const k of Object.keys(o)) out[k] = walk((o as ConfigRecord)[k]!);
      return out;
    }
    return o;
  };
  return objectToValue(walk(valueToObject(v)));
}
