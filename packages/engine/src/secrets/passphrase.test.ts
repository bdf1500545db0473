import { test } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, pbkdf2Sync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPassphraseState,
  DECRYPT_INCORRECT_PASSPHRASE,
  decryptWithKey,
  deriveKey,
  encryptWithKey,
  IncorrectPassphraseError,
  LockedPassphraseSecretsManager,
  openPassphraseSecretsManager,
  parseSaltState,
  PASSPHRASE_NOT_SET,
  readPassphrase,
  unlockPassphraseState,
} from "./passphrase.js";

// A state string written by the Go CLI (Pulumi's own passphrase manager tests) for the passphrase "password".
const PULUMI_STATE = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==";

test("a state written by Pulumi unlocks with its passphrase and is rejected with another", async () => {
  const sm = await unlockPassphraseState("password", PULUMI_STATE);
  assert.equal(sm.type, "passphrase");
  assert.deepEqual(sm.state, { salt: PULUMI_STATE });
  await assert.rejects(unlockPassphraseState("wrong", PULUMI_STATE), IncorrectPassphraseError);
  await assert.rejects(unlockPassphraseState("wrong", PULUMI_STATE), /^Error: incorrect passphrase$/);
});

test("known vector: key, nonce and ciphertext match an independent node:crypto computation", async () => {
  const salt = Buffer.from("0102030405060708", "hex");
  const nonce = Buffer.from("000102030405060708090a0b", "hex");
  const expectedKey = pbkdf2Sync("s3cret-phrase", salt, 1_000_000, 32, "sha256");
  const key = await deriveKey("s3cret-phrase", salt);
  assert.equal(key.toString("hex"), expectedKey.toString("hex"));

  const c = createCipheriv("aes-256-gcm", expectedKey, nonce);
  const body = Buffer.concat([c.update('"hello"', "utf8"), c.final(), c.getAuthTag()]);
  const expected = `v1:${nonce.toString("base64")}:${body.toString("base64")}`;
  assert.equal(encryptWithKey(key, '"hello"', nonce), expected);
  assert.equal(decryptWithKey(key, expected), '"hello"');

  // And the other direction: what we write, plain node:crypto can read.
  const ours = encryptWithKey(key, "pulumi");
  const [, n, b] = ours.split(":");
  const raw = Buffer.from(b!, "base64");
  const d = createDecipheriv("aes-256-gcm", expectedKey, Buffer.from(n!, "base64"));
  d.setAuthTag(raw.subarray(raw.length - 16));
  assert.equal(Buffer.concat([d.update(raw.subarray(0, raw.length - 16)), d.final()]).toString(), "pulumi");
});

test("new state has the five-part form, an 8-byte salt, and round-trips secrets", async () => {
  const sm = await createPassphraseState("test");
  assert.match(sm.saltState, /^v1:[A-Za-z0-9+/]+=*:v1:[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/);
  assert.equal(parseSaltState(sm.saltState).salt.length, 8);
  const cts = await sm.encrypt(["a", "", '"x"', "ünïcødé"]);
  for (const ct of cts) assert.match(ct, /^v1:[^:]+:[^:]+$/);
  assert.deepEqual(await sm.decrypt(cts), ["a", "", '"x"', "ünïcødé"]);
  // Reopening the state with the same passphrase decrypts what the first manager wrote.
  const again = await unlockPassphraseState("test", sm.saltState);
  assert.deepEqual(await again.decrypt(cts), ["a", "", '"x"', "ünïcødé"]);
  // A fresh nonce per new plaintext, but a decrypted value re-encrypts to the same ciphertext (no churn).
  const [c1, c2] = await again.encrypt(["fresh", "fresh"]);
  assert.equal(c1, c2);
  assert.equal((await again.encrypt(["a"]))[0], cts[0]);
  const other = await unlockPassphraseState("test", sm.saltState);
  assert.notEqual((await createPassphraseState("test")).saltState, sm.saltState);
  assert.notEqual((await other.encrypt(["b"]))[0], (await (await unlockPassphraseState("test", sm.saltState)).encrypt(["b"]))[0]);
});

test("tampered ciphertext fails to decrypt", async () => {
  const sm = await unlockPassphraseState("password", PULUMI_STATE);
  const [ct] = await sm.encrypt(["value"]);
  const parts = ct!.split(":");
  const body = Buffer.from(parts[2]!, "base64");
  body[0] = body[0]! ^ 1;
  await assert.rejects(sm.decrypt([`v1:${parts[1]}:${body.toString("base64")}`]), /failed to decrypt/);
});

test("passphrase sources: env (empty allowed), then file (trimmed), else Pulumi's error", async () => {
  assert.equal(await readPassphrase({ PULUMI_CONFIG_PASSPHRASE: "" }), "");
  assert.equal(await readPassphrase({ PULUMI_CONFIG_PASSPHRASE: "a", PULUMI_CONFIG_PASSPHRASE_FILE: "/nope" }), "a");
  const dir = mkdtempSync(join(tmpdir(), "pp-"));
  writeFileSync(join(dir, "pass.txt"), "password\n");
  assert.equal(await readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: "pass.txt" }, dir), "password");
  await assert.rejects(readPassphrase({}), { message: PASSPHRASE_NOT_SET });
  await assert.rejects(readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: "" }), { message: PASSPHRASE_NOT_SET });
  await assert.rejects(readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: join(dir, "missing") }), /unable to read PULUMI_CONFIG_PASSPHRASE_FILE/);
});

test("a wrong passphrase gives an error, or a locked manager that fails only when used", async () => {
  await assert.rejects(openPassphraseSecretsManager(PULUMI_STATE, { env: { PULUMI_CONFIG_PASSPHRASE: "nope" } }), /incorrect passphrase/);
  const locked = await openPassphraseSecretsManager(PULUMI_STATE, { env: { PULUMI_CONFIG_PASSPHRASE: "nope" }, onIncorrect: "locked" });
  assert.ok(locked instanceof LockedPassphraseSecretsManager);
  assert.deepEqual(locked.state, { salt: PULUMI_STATE });
  assert.deepEqual(await locked.decrypt([]), []);
  await assert.rejects(locked.decrypt(["v1:a:b"]), { message: DECRYPT_INCORRECT_PASSPHRASE });
  await assert.rejects(locked.encrypt(["x"]), /^Error: failed to encrypt: incorrect passphrase/);
  const ok = await openPassphraseSecretsManager(PULUMI_STATE, { env: { PULUMI_CONFIG_PASSPHRASE: "password" } });
  assert.deepEqual(await ok.decrypt(await ok.encrypt(["z"])), ["z"]);
});

test("key derivation is cached per process", async () => {
  const salt = Buffer.from("a1a2a3a4a5a6a7a8", "hex");
  const t0 = performance.now();
  await deriveKey("cache-me", salt);
  const first = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < 20; i++) await deriveKey("cache-me", salt);
  const cached = performance.now() - t1;
  assert.ok(cached < first / 5, `cached ${cached}ms vs first ${first}ms`);
});
