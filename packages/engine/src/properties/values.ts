/**
 * Property values in memory use the wire encoding itself: plain JSON plus sig-keyed objects
 * (secrets carry their plaintext `value`). Providers, programs and state all speak dialects of this
 * form, so keeping it avoids converting every value at every hop.
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

export type PropertyObject = Record<string, unknown>;

export function isObject(v: unknown): v is PropertyObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function sigOf(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  const sig = v[SIG_KEY];
  return typeof sig === "string" ? sig : undefined;
}

export function isSecret(v: unknown): v is { value: unknown } {
  return sigOf(v) === SECRET_SIG;
}

export function makeSecret(value: unknown): PropertyObject {
  return isSecret(value) ? (value as PropertyObject) : { [SIG_KEY]: SECRET_SIG, value };
}

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN_VALUE;
}

export function isAssetOrArchive(v: unknown): boolean {
  const sig = sigOf(v);
  return sig === ASSET_SIG || sig === ARCHIVE_SIG;
}

export function isResourceReference(v: unknown): v is { urn: string; id?: string; packageVersion?: string } {
  return sigOf(v) === RESOURCE_REFERENCE_SIG;
}

export function isOutputValue(v: unknown): v is { value?: unknown; secret?: boolean; dependencies?: string[] } {
  return sigOf(v) === OUTPUT_VALUE_SIG;
}

/** True if an unknown appears anywhere inside. */
export function containsUnknowns(v: unknown): boolean {
  if (v === UNKNOWN_VALUE) return true;
  if (Array.isArray(v)) return v.some(containsUnknowns);
  if (isObject(v)) {
    if (sigOf(v) === OUTPUT_VALUE_SIG && !("value" in v)) return true;
    for (const key in v) if (containsUnknowns(v[key])) return true;
  }
  return false;
}

export function containsSecrets(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(containsSecrets);
  if (isObject(v)) {
    const sig = sigOf(v);
    if (sig === SECRET_SIG) return true;
    if (sig === OUTPUT_VALUE_SIG && v["secret"] === true) return true;
    for (const key in v) if (containsSecrets(v[key])) return true;
  }
  return false;
}

/** Removes secret envelopes, keeping their plaintext (for providers that do not accept secrets). */
export function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const inner = unwrapSecrets(v[i]);
      if (inner !== v[i]) (out ??= v.slice())[i] = inner;
    }
    return out ?? v;
  }
  if (isObject(v)) {
    if (isSecret(v)) return unwrapSecrets(v.value);
    let out: PropertyObject | undefined;
    for (const key in v) {
      const inner = unwrapSecrets(v[key]);
      if (inner !== v[key]) (out ??= { ...v })[key] = inner;
    }
    return out ?? v;
  }
  return v;
}

export function unwrapSecretsInMap(m: PropertyObject): PropertyObject {
  return unwrapSecrets(m) as PropertyObject;
}

/**
 * Output values (sent when the monitor advertises `outputValues`) become what they stand for:
 * their value, secret-wrapped if secret, or unknown. Dependencies are collected for the caller.
 */
export function resolveOutputValues(v: unknown, dependencies?: Set<string>): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const inner = resolveOutputValues(v[i], dependencies);
      if (inner !== v[i]) (out ??= v.slice())[i] = inner;
    }
    return out ?? v;
  }
  if (isObject(v)) {
    if (isOutputValue(v)) {
      for (const dep of v.dependencies ?? []) dependencies?.add(dep);
      const inner = "value" in v ? resolveOutputValues(v.value, dependencies) : UNKNOWN_VALUE;
      return v.secret ? makeSecret(inner) : inner;
    }
    let out: PropertyObject | undefined;
    for (const key in v) {
      const inner = resolveOutputValues(v[key], dependencies);
      if (inner !== v[key]) (out ??= { ...v })[key] = inner;
    }
    return out ?? v;
  }
  return v;
}

/** Structural equality, treating secret envelopes as their plaintext (secretness is not a change). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isSecret(a)) return deepEqual(a.value, b);
  if (isSecret(b)) return deepEqual(a, b.value);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    let count = 0;
    for (const key in a) {
      if (a[key] === undefined) continue;
      count++;
      if (!(key in b) || !deepEqual(a[key], b[key])) return false;
    }
    for (const key in b) if (b[key] !== undefined) count--;
    return count === 0;
  }
  return false;
}

/** Wraps the listed top-level output keys as secrets (additionalSecretOutputs). */
export function markSecretOutputs(outputs: PropertyObject, keys: readonly string[]): PropertyObject {
  if (keys.length === 0) return outputs;
  const out = { ...outputs };
  for (const key of keys) if (key in out && out[key] !== undefined) out[key] = makeSecret(out[key]);
  return out;
}

/**
 * For providers that cannot accept secrets: every output whose same-named input held a secret is
 * re-marked secret, so a secret never leaves the engine as plaintext because a provider dropped it.
 */
export function remarkSecretOutputs(inputs: PropertyObject, outputs: PropertyObject): PropertyObject {
  let out: PropertyObject | undefined;
  for (const key in outputs) {
    const input = inputs[key];
    if (input === undefined || !containsSecrets(input) || isSecret(outputs[key])) continue;
    (out ??= { ...outputs })[key] = makeSecret(outputs[key]);
  }
  return out ?? outputs;
}
