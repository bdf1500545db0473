/**
 * The passphrase secrets manager, byte-compatible with Pulumi's: PBKDF2-HMAC-SHA256 (1,000,000
 * iterations, 32-byte key) and AES-256-GCM with a 12-byte nonce, ciphertext text
 * `v1:<b64 nonce>:<b64 ciphertext‖tag>`, state `v1:<b64 salt>:<encrypt("pulumi")>`.
 */
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { SecretsManager } from "../api.js";

export const PASSPHRASE_TYPE = "passphrase";
export const PBKDF2_ITERATIONS = 1_000_000;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 8;
/** The known plaintext encrypted into the state string so a wrong passphrase is detected on load. */
const VERIFIER = "pulumi";

export const INCORRECT_PASSPHRASE = "incorrect passphrase";
export const DECRYPT_INCORRECT_PASSPHRASE =
  "failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set " +
  "PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase";
export const ENCRYPT_INCORRECT_PASSPHRASE =
  "failed to encrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set " +
  "PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase";
export const PASSPHRASE_NOT_SET =
  "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables";

/** Raised when the passphrase does not unlock a state string. */
export class IncorrectPassphraseError extends Error {
  constructor() {
    super(INCORRECT_PASSPHRASE);
  }
}

/** The state kept in `secrets_providers.state` for type "passphrase". */
export interface PassphraseState {
  salt: string;
}

// PBKDF2 with a million rounds costs ~0.5s; every CLI call and every engine operation may need
// the key several times (config, state, history), so derive once per (passphrase, salt) per process.
const keyCache = new Map<string, Promise<Buffer>>();

export function deriveKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  const cacheKey = `${salt.toString("base64")}\u0000${passphrase}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = new Promise<Buffer>((ok, fail) =>
      pbkdf2(passphrase, salt, PBKDF2_ITERATIONS, KEY_BYTES, "sha256", (err, derived) => (err ? fail(err) : ok(derived))),
    );
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** AES-256-GCM with a fresh random nonce per value; synchronous because it is cheap once the key exists. */
export function encryptWithKey(key: Buffer, plaintext: string, nonce: Buffer = randomBytes(NONCE_BYTES)): string {
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1:${nonce.toString("base64")}:${body.toString("base64")}`;
}

/** Throws on a malformed value or an authentication failure (wrong key). */
export function decryptWithKey(key: Buffer, ciphertext: string): string {
  const parts = ciphertext.split(":");
  if (parts.length !== 3) throw new Error("invalid ciphertext");
  if (parts[0] !== "v1") throw new Error("unknown ciphertext version");
  const nonce = Buffer.from(parts[1]!, "base64");
  const body = Buffer.from(parts[2]!, "base64");
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new Error("invalid ciphertext");
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
}

/** Splits `v1:SALT:v1:NONCE:CT` at its first two colons. */
export function parseSaltState(state: string): { salt: Buffer; verifier: string } {
  const first = state.indexOf(":");
  const second = first < 0 ? -1 : state.indexOf(":", first + 1);
  if (first < 0 || second < 0) throw new Error("malformed state value");
  if (state.slice(0, first) !== "v1") throw new Error("unknown state version");
  return { salt: Buffer.from(state.slice(first + 1, second), "base64"), verifier: state.slice(second + 1) };
}

/**
 * An unlocked passphrase manager. It remembers ciphertext↔plaintext pairs it has seen so that
 * re-encrypting an unchanged secret yields the same ciphertext and state files do not churn.
 */
export class PassphraseSecretsManager implements SecretsManager {
  readonly type = PASSPHRASE_TYPE;
  readonly state: PassphraseState;
  private readonly plainToCipher = new Map<string, string>();
  private readonly cipherToPlain = new Map<string, string>();

  constructor(
    readonly saltState: string,
    private readonly key: Buffer,
  ) {
    this.state = { salt: saltState };
  }

  encryptOne(plaintext: string): string {
    const known = this.plainToCipher.get(plaintext);
    if (known !== undefined) return known;
    const ciphertext = encryptWithKey(this.key, plaintext);
    this.remember(plaintext, ciphertext);
    return ciphertext;
  }

  decryptOne(ciphertext: string): string {
    const known = this.cipherToPlain.get(ciphertext);
    if (known !== undefined) return known;
    let plaintext: string;
    try {
      plaintext = decryptWithKey(this.key, ciphertext);
    } catch (err) {
      throw new Error(`failed to decrypt: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.remember(plaintext, ciphertext);
    return plaintext;
  }

  async encrypt(plaintexts: string[]): Promise<string[]> {
    return plaintexts.map((p) => this.encryptOne(p));
  }

  async decrypt(ciphertexts: string[]): Promise<string[]> {
    return ciphertexts.map((c) => this.decryptOne(c));
  }

  private remember(plaintext: string, ciphertext: string): void {
    this.plainToCipher.set(plaintext, ciphertext);
    this.cipherToPlain.set(ciphertext, plaintext);
  }
}

/**
 * A manager whose passphrase did not match: it keeps the state (so state round-trips losslessly)
 * but refuses to encrypt or decrypt, with Pulumi's messages.
 */
export class LockedPassphraseSecretsManager implements SecretsManager {
  readonly type = PASSPHRASE_TYPE;
  readonly state: PassphraseState;
  constructor(readonly saltState: string) {
    this.state = { salt: saltState };
  }
  async encrypt(plaintexts: string[]): Promise<string[]> {
    if (plaintexts.length === 0) return [];
    throw new Error(ENCRYPT_INCORRECT_PASSPHRASE);
  }
  async decrypt(ciphertexts: string[]): Promise<string[]> {
    if (ciphertexts.length === 0) return [];
    throw new Error(DECRYPT_INCORRECT_PASSPHRASE);
  }
}

export type Env = Record<string, string | undefined>;

/**
 * PULUMI_CONFIG_PASSPHRASE (an empty value is a valid passphrase), else the trimmed contents of
 * PULUMI_CONFIG_PASSPHRASE_FILE; there is no prompt, so anything else is Pulumi's non-interactive error.
 */
export async function readPassphrase(env: Env = process.env, cwd: string = process.cwd()): Promise<string> {
  const direct = env["PULUMI_CONFIG_PASSPHRASE"];
  if (direct !== undefined) return direct;
  const file = env["PULUMI_CONFIG_PASSPHRASE_FILE"];
  if (file) {
    let text: string;
    try {
      text = await readFile(resolve(cwd, file), "utf8");
    } catch (err) {
      throw new Error(`unable to read PULUMI_CONFIG_PASSPHRASE_FILE: ${err instanceof Error ? err.message : String(err)}`);
    }
    return text.trim();
  }
  throw new Error(PASSPHRASE_NOT_SET);
}

/** Unlocks `state` with `passphrase`; throws IncorrectPassphraseError when the verifier does not decrypt to "pulumi". */
export async function unlockPassphraseState(passphrase: string, state: string): Promise<PassphraseSecretsManager> {
  const { salt, verifier } = parseSaltState(state);
  const key = await deriveKey(passphrase, salt);
  let check: string | undefined;
  try {
    check = decryptWithKey(key, verifier);
  } catch {
    check = undefined;
  }
  if (check !== VERIFIER) throw new IncorrectPassphraseError();
  return new PassphraseSecretsManager(state, key);
}

/** A new salt and its state string for a new stack (or a passphrase rotation). */
export async function createPassphraseState(passphrase: string): Promise<PassphraseSecretsManager> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(passphrase, salt);
  const state = `v1:${salt.toString("base64")}:${encryptWithKey(key, VERIFIER)}`;
  return new PassphraseSecretsManager(state, key);
}

/**
 * Opens a passphrase manager for an existing state string, reading the passphrase from the
 * environment. `onIncorrect: "locked"` mirrors Pulumi when loading state from a checkpoint (errors
 * surface only if a secret is actually touched); "error" mirrors loading from stack config.
 */
export async function openPassphraseSecretsManager(
  state: string,
  options: { env?: Env; cwd?: string; onIncorrect?: "error" | "locked" } = {},
): Promise<SecretsManager> {
  const passphrase = await readPassphrase(options.env, options.cwd);
  try {
    return await unlockPassphraseState(passphrase, state);
  } catch (err) {
    if (err instanceof IncorrectPassphraseError && options.onIncorrect === "locked") {
      return new LockedPassphraseSecretsManager(state);
    }
    throw err;
  }
}
