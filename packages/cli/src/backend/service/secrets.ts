/**
 * The "service" secrets manager: the service holds each stack's key, the CLI sends plaintexts and
 * keeps the ciphertexts it gets back verbatim. Both directions are cached in-process so unchanged
 * secrets are not sent again on every checkpoint.
 */
import type { SecretsManager } from "@stackyard/engine/api";
import type { BatchDecryptResponse, BatchEncryptResponse, EncryptValueResponse } from "@stackyard/protocol";
import type { ServiceClient } from "./client.js";
import { stackPath, type StackRef } from "./paths.js";

export interface ServiceSecretsState {
  url: string;
  owner: string;
  project: string;
  stack: string;
}

const toBase64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const fromBase64 = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

export class ServiceSecretsManager implements SecretsManager {
  readonly type = "service";
  readonly state: ServiceSecretsState;
  private readonly ciphertexts = new Map<string, string>();
  private readonly plaintexts = new Map<string, string>();

  constructor(
    private readonly client: ServiceClient,
    private readonly ref: StackRef,
    private readonly batchEncrypt: boolean,
  ) {
    this.state = { url: client.baseUrl, owner: ref.organization, project: ref.project, stack: ref.name };
  }

  private remember(plaintext: string, ciphertext: string): void {
    this.ciphertexts.set(plaintext, ciphertext);
    this.plaintexts.set(ciphertext, plaintext);
  }

  async encrypt(plaintexts: string[]): Promise<string[]> {
    const missing = [...new Set(plaintexts.filter((p) => !this.ciphertexts.has(p)))];
    if (missing.length > 0) {
      const path = stackPath(this.ref);
      if (this.batchEncrypt) {
        const res = await this.client.call<BatchEncryptResponse>("POST", `${path}/batch-encrypt`, {
          body: { plaintexts: missing.map(toBase64) },
          gzip: true,
          retry: true,
        });
        if (res.ciphertexts.length !== missing.length) throw new Error("the service returned the wrong number of ciphertexts");
        missing.forEach((p, i) => this.remember(p, res.ciphertexts[i]!));
      } else {
        for (const p of missing) {
          const res = await this.client.call<EncryptValueResponse>("POST", `${path}/encrypt`, { body: { plaintext: toBase64(p) }, retry: true });
          this.remember(p, res.ciphertext);
        }
      }
    }
    return plaintexts.map((p) => this.ciphertexts.get(p)!);
  }

  async decrypt(ciphertexts: string[]): Promise<string[]> {
    const missing = [...new Set(ciphertexts.filter((c) => !this.plaintexts.has(c)))];
    if (missing.length > 0) {
      const res = await this.client.call<BatchDecryptResponse>("POST", `${stackPath(this.ref)}/batch-decrypt`, {
        body: { ciphertexts: missing },
        gzip: true,
        retry: true,
      });
      for (const c of missing) {
        const p = res.plaintexts[c];
        if (p === undefined) throw new Error("the service did not decrypt every ciphertext it was sent");
        this.remember(fromBase64(p), c);
      }
    }
    return ciphertexts.map((c) => this.plaintexts.get(c)!);
  }
}
