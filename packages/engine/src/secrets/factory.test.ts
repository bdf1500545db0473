import { test } from "node:test";
import assert from "node:assert/strict";
import type { SecretsManager } from "../api.js";
import { Base64SecretsManager, secretsManagerForStack, secretsManagerFromState, validateSecretsProvider } from "./factory.js";
import { LockedPassphraseSecretsManager, PASSPHRASE_NOT_SET } from "./passphrase.js";

const PULUMI_STATE = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==";
const env = { PULUMI_CONFIG_PASSPHRASE: "password" };

const fakeService: SecretsManager = {
  type: "service",
  state: { url: "https://x", owner: "o", project: "p", stack: "s" },
  encrypt: async (p) => p.map((x) => `svc:${x}`),
  decrypt: async (c) => c.map((x) => x.slice(4)),
};

test("existing salt: opens it, settings unchanged", async () => {
  const r = await secretsManagerForStack({ encryptionsalt: PULUMI_STATE }, { env, defaultProvider: "passphrase" });
  assert.equal(r.changed, false);
  assert.equal(r.manager.type, "passphrase");
  assert.deepEqual(r.settings, { encryptionsalt: PULUMI_STATE });
});

test("no provider info on DIY: creates a salt and asks the caller to save", async () => {
  const r = await secretsManagerForStack({}, { env, defaultProvider: "passphrase" });
  assert.equal(r.changed, true);
  assert.match(r.settings.encryptionsalt ?? "", /^v1:.+:v1:.+:.+$/);
  assert.deepEqual(r.manager.state, { salt: r.settings.encryptionsalt });
});

test("creating a salt without a passphrase fails with Pulumi's message", async () => {
  await assert.rejects(secretsManagerForStack({}, { env: {}, defaultProvider: "passphrase" }), { message: PASSPHRASE_NOT_SET });
});

test("explicit passphrase provider drops secretsprovider like Pulumi", async () => {
  const r = await secretsManagerForStack({ secretsprovider: "passphrase" }, { env, defaultProvider: "service", service: () => fakeService });
  assert.equal(r.manager.type, "passphrase");
  assert.equal(r.settings.secretsprovider, undefined);
  assert.ok(r.settings.encryptionsalt);
});

test("service provider comes from the hook; without a hook it is a clear error", async () => {
  const r = await secretsManagerForStack({}, { env, defaultProvider: "service", service: () => fakeService });
  assert.equal(r.manager, fakeService);
  const r2 = await secretsManagerForStack({ secretsprovider: "service" }, { env, defaultProvider: "passphrase", service: () => fakeService });
  assert.equal(r2.manager, fakeService);
  await assert.rejects(secretsManagerForStack({ secretsprovider: "service" }, { env, defaultProvider: "passphrase" }), /service backend/);
});

test("no settings but a checkpoint provider: recovers the salt from state", async () => {
  const r = await secretsManagerForStack({}, { env, defaultProvider: "passphrase", stateProviders: { type: "passphrase", state: { salt: PULUMI_STATE } } });
  assert.equal(r.changed, true);
  assert.equal(r.settings.encryptionsalt, PULUMI_STATE);
});

test("from state: locked on wrong passphrase, b64, unknown types", async () => {
  const locked = await secretsManagerFromState({ type: "passphrase", state: { salt: PULUMI_STATE } }, { env: { PULUMI_CONFIG_PASSPHRASE: "x" } });
  assert.ok(locked instanceof LockedPassphraseSecretsManager);
  const b64 = await secretsManagerFromState({ type: "b64" }, {});
  assert.ok(b64 instanceof Base64SecretsManager);
  assert.deepEqual(await b64.encrypt(['"s"']), ["InMi"]);
  await assert.rejects(secretsManagerFromState({ type: "cloud" }, {}), /unknown secrets provider type 'cloud'/);
  await assert.rejects(secretsManagerFromState({ type: "passphrase", state: {} }, { env }), /missing its salt/);
});

test("secrets provider validation", () => {
  for (const ok of [undefined, "", "default", "passphrase", "service"]) validateSecretsProvider(ok);
  assert.throws(() => validateSecretsProvider("awskms://alias/x"), /not supported by Stackyard/);
  assert.throws(() => validateSecretsProvider("rot13"), /unknown secrets provider type 'rot13'/);
});
