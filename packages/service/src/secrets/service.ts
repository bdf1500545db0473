import { randomBytes } from "node:crypto";
import type { Db } from "../db/db.js";
import { badRequest } from "../http/errors.js";
import { open, seal } from "./keyring.js";

/** Per-stack data keys (wrapped under the master key at rest), and encrypt/decrypt with them. */
export class SecretsService {
  private readonly keys = new Map<number, Buffer>();

  constructor(private readonly db: Db, private readonly master: Buffer) {}

  private aad(stackId: number): Buffer {
    return Buffer.from(`stackyard-stack:${stackId}`);
  }

  async dataKey(stackId: number): Promise<Buffer> {
    const cached = this.keys.get(stackId);
    if (cached) return cached;
    let row = await this.db.one<{ wrapped_key: Buffer }>("SELECT wrapped_key FROM stack_keys WHERE stack_id = ?", [stackId]);
    if (!row) {
      // Two first encrypts may race; the first insert wins and both read it back.
      await this.db.run("INSERT INTO stack_keys (stack_id, wrapped_key) VALUES (?, ?) ON CONFLICT (stack_id) DO NOTHING", [
        stackId, seal(this.master, randomBytes(32), this.aad(stackId)),
      ]);
      row = await this.db.one<{ wrapped_key: Buffer }>("SELECT wrapped_key FROM stack_keys WHERE stack_id = ?", [stackId]);
    }
    const key = open(this.master, Buffer.from(row!.wrapped_key), this.aad(stackId));
    if (!key) throw new Error(`the data key of stack ${stackId} does not open with this master key`);
    this.keys.set(stackId, key);
    return key;
  }

  forget(stackId: number): void {
    this.keys.delete(stackId);
  }

  async encrypt(stackId: number, plaintexts: readonly string[]): Promise<string[]> {
    const key = await this.dataKey(stackId);
    return plaintexts.map((p) => seal(key, decodeBase64(p, "plaintext")).toString("base64"));
  }

  async decrypt(stackId: number, ciphertexts: readonly string[]): Promise<string[]> {
    const key = await this.dataKey(stackId);
    return ciphertexts.map((c) => {
      const plain = open(key, decodeBase64(c, "ciphertext"));
      if (!plain) throw badRequest("invalid ciphertext: it was not produced by this stack's key");
      return plain.toString("base64");
    });
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64(s: string, what: string): Buffer {
  if (!BASE64.test(s) || s.length % 4 !== 0) throw badRequest(`${what} is not valid base64`);
  return Buffer.from(s, "base64");
}
