/**
 * Service secrets: each stack gets its own AES-256-GCM data key, stored wrapped (encrypted) under
 * the master key. The master key never enters the database, so a copy of the database alone
 * reveals no secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const VERSION = 1;
const IV = 12;
const TAG = 16;

export function loadMasterKey(dataDir: string, fromEnv = process.env["STACKYARD_MASTER_KEY"]): Buffer {
  if (fromEnv) {
    const key = Buffer.from(fromEnv, "base64");
    if (key.length !== 32) throw new Error("STACKYARD_MASTER_KEY must be 32 bytes, base64-encoded");
    return key;
  }
  const file = join(dataDir, "master.key");
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/** `[version][iv][tag][ciphertext]`; `aad` binds a wrapped key to its stack. */
export function seal(key: Buffer, plaintext: Buffer, aad?: Buffer): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (aad) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Undoes `seal`; undefined when the bytes were not sealed with this key (or were altered). */
export function open(key: Buffer, sealed: Buffer, aad?: Buffer): Buffer | undefined {
  if (sealed.length < 1 + IV + TAG || sealed[0] !== VERSION) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(1, 1 + IV));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(1 + IV, 1 + IV + TAG));
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV + TAG)), decipher.final()]);
  } catch {
    return undefined;
  }
}
