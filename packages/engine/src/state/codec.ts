/**
 * Turns in-memory resource state (secrets as plaintext envelopes) into checkpoint state (secrets as
 * ciphertext) and back. Ciphertexts read from state are remembered per envelope, so an unchanged
 * secret is written back byte-for-byte instead of being re-encrypted on every update.
 */
import { SECRET_SIG, SIG_KEY, type DeploymentV3, type OperationV2, type ResourceV3 } from "@stackyard/protocol";
import type { SecretsManager } from "../api.js";
import { isObject, isSecret, unwrapSecrets, type PropertyObject } from "../properties/values.js";

type Envelope = { [SIG_KEY]: string; value: unknown };

export class StateCodec {
  private readonly knownCiphertexts = new WeakMap<object, string>();

  constructor(readonly secrets: SecretsManager) {}

  async decodeDeployment(deployment: DeploymentV3 | undefined): Promise<{ resources: ResourceV3[]; pending: OperationV2[] }> {
    if (!deployment) return { resources: [], pending: [] };
    const resources = deployment.resources ?? [];
    const pending = deployment.pending_operations ?? [];
    const ciphertexts: string[] = [];
    const collect = (v: unknown) => collectCiphertexts(v, ciphertexts);
    for (const r of resources) {
      collect(r.inputs);
      collect(r.outputs);
    }
    for (const op of pending) {
      collect(op.resource.inputs);
      collect(op.resource.outputs);
    }
    if (ciphertexts.length === 0) return { resources, pending };
    const plaintexts = await this.secrets.decrypt(ciphertexts);
    const byCiphertext = new Map<string, string>();
    ciphertexts.forEach((c, i) => byCiphertext.set(c, plaintexts[i]!));
    const decode = (m: PropertyObject | undefined) => (m ? (this.decodeValue(m, byCiphertext) as PropertyObject) : m);
    const decodeResource = (r: ResourceV3): ResourceV3 => {
      const out = { ...r };
      if (r.inputs) out.inputs = decode(r.inputs)!;
      if (r.outputs) out.outputs = decode(r.outputs)!;
      return out;
    };
    return {
      resources: resources.map(decodeResource),
      pending: pending.map((op) => ({ ...op, resource: decodeResource(op.resource) })),
    };
  }

  private decodeValue(v: unknown, byCiphertext: Map<string, string>): unknown {
    if (Array.isArray(v)) return v.map((x) => this.decodeValue(x, byCiphertext));
    if (!isObject(v)) return v;
    if (v[SIG_KEY] === SECRET_SIG) {
      let plaintext: string;
      if (typeof v["ciphertext"] === "string") plaintext = byCiphertext.get(v["ciphertext"]) ?? "null";
      else if (typeof v["plaintext"] === "string") plaintext = v["plaintext"];
      else throw new Error("secret value has neither ciphertext nor plaintext");
      const envelope: Envelope = { [SIG_KEY]: SECRET_SIG, value: this.decodeValue(JSON.parse(plaintext), byCiphertext) };
      if (typeof v["ciphertext"] === "string") this.knownCiphertexts.set(envelope, v["ciphertext"]);
      return envelope;
    }
    const out: PropertyObject = {};
    for (const key in v) out[key] = this.decodeValue(v[key], byCiphertext);
    return out;
  }

  /** Encodes one resource for the checkpoint. */
  async encodeResource(r: ResourceV3): Promise<ResourceV3> {
    const pending: { envelope: object; plaintext: string }[] = [];
    const hasIn = r.inputs !== undefined && collectSecretsToEncrypt(r.inputs, pending, this.knownCiphertexts);
    const hasOut = r.outputs !== undefined && collectSecretsToEncrypt(r.outputs, pending, this.knownCiphertexts);
    if (!hasIn && !hasOut) return r;
    const ciphertexts = pending.length > 0 ? await this.secrets.encrypt(pending.map((p) => p.plaintext)) : [];
    pending.forEach((p, i) => this.knownCiphertexts.set(p.envelope, ciphertexts[i]!));
    const out = { ...r };
    if (hasIn) out.inputs = this.encodeValue(r.inputs) as PropertyObject;
    if (hasOut) out.outputs = this.encodeValue(r.outputs) as PropertyObject;
    return out;
  }

  private encodeValue(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.encodeValue(x));
    if (!isObject(v)) return v;
    if (isSecret(v)) return { [SIG_KEY]: SECRET_SIG, ciphertext: this.knownCiphertexts.get(v) };
    const out: PropertyObject = {};
    for (const key in v) out[key] = this.encodeValue(v[key]);
    return out;
  }
}

function collectCiphertexts(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) collectCiphertexts(x, out);
  } else if (isObject(v)) {
    if (v[SIG_KEY] === SECRET_SIG && typeof v["ciphertext"] === "string") out.push(v["ciphertext"]);
    else for (const key in v) collectCiphertexts(v[key], out);
  }
}

/** Returns true if any secret was found; queues those without a known ciphertext. */
function collectSecretsToEncrypt(
  v: unknown,
  out: { envelope: object; plaintext: string }[],
  known: WeakMap<object, string>,
): boolean {
  if (Array.isArray(v)) {
    let found = false;
    for (const x of v) found = collectSecretsToEncrypt(x, out, known) || found;
    return found;
  }
  if (!isObject(v)) return false;
  if (isSecret(v)) {
    if (!known.has(v)) out.push({ envelope: v, plaintext: JSON.stringify(unwrapSecrets(v.value) ?? null) });
    return true;
  }
  let found = false;
  for (const key in v) found = collectSecretsToEncrypt(v[key], out, known) || found;
  return found;
}

/** Replaces secret values by the blinded form used in event metadata. */
export function blindSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(blindSecrets);
  if (!isObject(v)) return v;
  if (isSecret(v)) return { [SIG_KEY]: SECRET_SIG, ciphertext: "[secret]" };
  let out: PropertyObject | undefined;
  for (const key in v) {
    const inner = blindSecrets(v[key]);
    if (inner !== v[key]) (out ??= { ...v })[key] = inner;
  }
  return out ?? v;
}
