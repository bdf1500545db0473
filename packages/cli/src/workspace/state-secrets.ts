/**
 * Secrets inside checkpoint property values (§5.2): `{sig: SECRET_SIG, ciphertext}` whose
 * plaintext is the JSON text of the inner value. Revealing for `stack output` / `export
 * --show-secrets`, masking, and re-encrypting plaintext secrets on `stack import`.
 */
import type { SecretsManager } from "@stackyard/engine/api";
import type { DeploymentV3, ResourceV3, UntypedDeployment } from "@stackyard/protocol";
import { SECRET_MASK, SECRET_SIG, SIG_KEY } from "@stackyard/protocol";

type Json = unknown;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isSecretObject(v: unknown): v is Record<string, unknown> {
  return isObject(v) && v[SIG_KEY] === SECRET_SIG;
}

/** Applies `fn` to every property map of a deployment (inputs/outputs of resources and pending ops). */
function mapPropertyMaps(d: DeploymentV3, fn: (props: Record<string, unknown>) => Record<string, unknown>): DeploymentV3 {
  const mapResource = (r: ResourceV3): ResourceV3 => ({
    ...r,
    ...(r.inputs ? { inputs: fn(r.inputs) } : {}),
    ...(r.outputs ? { outputs: fn(r.outputs) } : {}),
  });
  return {
    ...d,
    ...(d.resources ? { resources: d.resources.map(mapResource) } : {}),
    ...(d.pending_operations ? { pending_operations: d.pending_operations.map((op) => ({ ...op, resource: mapResource(op.resource) })) } : {}),
  };
}

/** Calls `fn` for every secret object in `v` (without descending into secrets). */
function forEachSecret(v: Json, fn: (secret: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) v.forEach((x) => forEachSecret(x, fn));
  else if (isObject(v)) {
    if (isSecretObject(v)) fn(v);
    else for (const x of Object.values(v)) forEachSecret(x, fn);
  }
}

/** `v` rebuilt with every secret object replaced by `fn(secret)`. */
function mapSecrets(v: Json, fn: (secret: Record<string, unknown>) => Json): Json {
  if (Array.isArray(v)) return v.map((x) => mapSecrets(x, fn));
  if (!isObject(v)) return v;
  if (isSecretObject(v)) return fn(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = mapSecrets(x, fn);
  return out;
}

function forEachDeploymentSecret(d: DeploymentV3, fn: (secret: Record<string, unknown>) => void): void {
  mapPropertyMaps(d, (props) => {
    forEachSecret(props, fn);
    return props;
  });
}

function mapDeploymentSecrets(d: DeploymentV3, fn: (secret: Record<string, unknown>) => Json): DeploymentV3 {
  return mapPropertyMaps(d, (props) => mapSecrets(props, fn) as Record<string, unknown>);
}

function ciphertextsIn(v: Json): Set<string> {
  const out = new Set<string>();
  forEachSecret(v, (s) => {
    if (typeof s["ciphertext"] === "string") out.add(s["ciphertext"]);
  });
  return out;
}

async function decryptBatch(cts: string[], sm: SecretsManager): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (cts.length === 0) return out;
  const pts = await sm.decrypt(cts);
  cts.forEach((ct, i) => out.set(ct, pts[i]!));
  return out;
}

/** `stack export --show-secrets`: every `ciphertext` becomes `plaintext` (same JSON text Pulumi encrypted). */
export async function revealDeploymentSecrets(d: DeploymentV3, sm: SecretsManager): Promise<DeploymentV3> {
  const cts = new Set<string>();
  forEachDeploymentSecret(d, (s) => {
    if (typeof s["ciphertext"] === "string") cts.add(s["ciphertext"]);
  });
  const plain = await decryptBatch([...cts], sm);
  return mapDeploymentSecrets(d, (s) => (typeof s["ciphertext"] === "string" ? { [SIG_KEY]: SECRET_SIG, plaintext: plain.get(s["ciphertext"]) } : s));
}

/** The root stack resource's outputs (what `stack output` shows); `{}` when there is none. */
export function stackOutputsOf(d: DeploymentV3 | undefined): Record<string, unknown> {
  const stack = d?.resources?.find((r) => r.type === "pulumi:pulumi:Stack" && !r.parent);
  return stack?.outputs ?? {};
}

/**
 * Outputs as people see them: secrets decrypted and unwrapped (`showSecrets`) or replaced by
 * "[secret]" at any depth. No secrets manager is needed when masking.
 */
export async function displayOutputs(outputs: Record<string, unknown>, sm: SecretsManager | undefined, showSecrets: boolean): Promise<Record<string, unknown>> {
  if (!showSecrets) return mapSecrets(outputs, () => SECRET_MASK) as Record<string, unknown>;
  let result: Json = outputs;
  // A secret's plaintext is JSON that may itself hold secrets; unwrap until none are left.
  for (;;) {
    const cts = ciphertextsIn(result);
    let found = false;
    forEachSecret(result, () => (found = true));
    if (!found) return result as Record<string, unknown>;
    if (cts.size > 0 && !sm) throw new Error("a secrets manager is required to show secret outputs");
    const plain = sm ? await decryptBatch([...cts], sm) : new Map<string, string>();
    result = mapSecrets(result, (s) => {
      if (typeof s["plaintext"] === "string") return JSON.parse(s["plaintext"]) as Json;
      if (typeof s["ciphertext"] === "string") return JSON.parse(plain.get(s["ciphertext"])!) as Json;
      return "value" in s ? s["value"] : null;
    });
  }
}

/** True when any property value still carries a `plaintext` secret (an export made with --show-secrets). */
export function hasPlaintextSecrets(d: DeploymentV3): boolean {
  let found = false;
  forEachDeploymentSecret(d, (s) => {
    if (typeof s["plaintext"] === "string") found = true;
  });
  return found;
}

/** `stack import`: plaintext secrets become ciphertext made by `sm`. */
export async function encryptPlaintextSecrets(d: DeploymentV3, sm: SecretsManager): Promise<DeploymentV3> {
  const pts = new Set<string>();
  forEachDeploymentSecret(d, (s) => {
    if (typeof s["plaintext"] === "string") pts.add(s["plaintext"]);
  });
  const list = [...pts];
  const cts = list.length > 0 ? await sm.encrypt(list) : [];
  const byPlain = new Map(list.map((p, i) => [p, cts[i]!]));
  return mapDeploymentSecrets(d, (s) => (typeof s["plaintext"] === "string" ? { [SIG_KEY]: SECRET_SIG, ciphertext: byPlain.get(s["plaintext"]) } : s));
}

/** The stack part of a URN (`urn:pulumi:<stack>::<project>::…`). */
export function urnStack(urn: string): string {
  const rest = urn.startsWith("urn:pulumi:") ? urn.slice("urn:pulumi:".length) : urn;
  const i = rest.indexOf("::");
  return i < 0 ? rest : rest.slice(0, i);
}

/** Pulumi's `stack import` checks: resources must belong to the target stack (warnings under --force). */
export function importProblems(d: DeploymentV3, stackName: string): string[] {
  const problems: string[] = [];
  for (const r of d.resources ?? []) {
    const s = urnStack(r.urn);
    if (s !== stackName) problems.push(`resource '${r.urn}' is from a different stack (${s} != ${stackName})`);
  }
  return problems;
}

/** hashicorp/go-multierror's text, which Pulumi prints for a refused import. */
export function formatMultiError(messages: string[]): string {
  const head = messages.length === 1 ? "1 error occurred:" : `${messages.length} errors occurred:`;
  return `${head}\n${messages.map((m) => `\t* ${m}`).join("\n")}\n\n`;
}

export function isUntypedDeployment(v: unknown): v is UntypedDeployment {
  return isObject(v) && typeof v["version"] === "number" && isObject(v["deployment"]);
}
