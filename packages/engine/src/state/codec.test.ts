import { test } from "node:test";
import assert from "node:assert/strict";
import { SECRET_SIG, SIG_KEY, type DeploymentV3, type ResourceV3 } from "@stackyard/protocol";
import type { SecretsManager } from "../api.js";
import { StateCodec, blindSecrets } from "./codec.js";

/** Reversible, visibly non-plaintext, and counting how often it is asked to encrypt. */
function fakeSecrets() {
  const calls = { encrypt: 0, decrypt: 0 };
  let n = 0;
  const sm: SecretsManager = {
    type: "fake",
    state: {},
    async encrypt(plaintexts) {
      calls.encrypt += plaintexts.length;
      return plaintexts.map((p) => `ct${n++}:${Buffer.from(p).toString("base64")}`);
    },
    async decrypt(ciphertexts) {
      calls.decrypt += ciphertexts.length;
      return ciphertexts.map((c) => Buffer.from(c.slice(c.indexOf(":") + 1), "base64").toString());
    },
  };
  return { sm, calls };
}

const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });
const resource = (inputs: Record<string, unknown>, outputs: Record<string, unknown>): ResourceV3 => ({ urn: "urn:pulumi:s::p::t::r", type: "t", custom: true, inputs, outputs });

test("secrets are encrypted on the way into state and come back as plaintext envelopes", async () => {
  const { sm } = fakeSecrets();
  const codec = new StateCodec(sm);
  const encoded = await codec.encodeResource(resource({ pw: secret("hunter2"), plain: 1 }, { nested: [secret({ k: "v" })] }));
  const text = JSON.stringify(encoded);
  assert.ok(!text.includes("hunter2"));
  assert.match(text, /"ciphertext":"ct/);
  assert.equal(encoded.inputs?.["plain"], 1);

  const reader = new StateCodec(sm);
  const deployment: DeploymentV3 = { manifest: { time: "", magic: "", version: "" }, resources: [encoded] };
  const { resources } = await reader.decodeDeployment(deployment);
  assert.deepEqual(resources[0]!.inputs, { pw: secret("hunter2"), plain: 1 });
  assert.deepEqual(resources[0]!.outputs, { nested: [secret({ k: "v" })] });
});

test("an unchanged secret keeps its ciphertext instead of being encrypted again", async () => {
  const { sm, calls } = fakeSecrets();
  const first = await new StateCodec(sm).encodeResource(resource({ pw: secret("hunter2") }, {}));
  const codec = new StateCodec(sm);
  const { resources } = await codec.decodeDeployment({ manifest: { time: "", magic: "", version: "" }, resources: [first] });
  calls.encrypt = 0;
  const again = await codec.encodeResource(resources[0]!);
  assert.equal(calls.encrypt, 0);
  assert.deepEqual(again.inputs, first.inputs);
  // A new secret value is encrypted.
  const changed = await codec.encodeResource({ ...resources[0]!, inputs: { pw: secret("other") } });
  assert.equal(calls.encrypt, 1);
  assert.notDeepEqual(changed.inputs, first.inputs);
});

test("resources without secrets pass through untouched; pending operations are decoded too", async () => {
  const { sm, calls } = fakeSecrets();
  const codec = new StateCodec(sm);
  const plain = resource({ a: 1 }, { b: 2 });
  assert.equal(await codec.encodeResource(plain), plain);
  const pendingResource = await codec.encodeResource(resource({ pw: secret("p") }, {}));
  const decoded = await codec.decodeDeployment({ manifest: { time: "", magic: "", version: "" }, pending_operations: [{ resource: pendingResource, type: "creating" }] });
  assert.deepEqual(decoded.pending[0]!.resource.inputs, { pw: secret("p") });
  assert.equal(calls.decrypt, 1);
  assert.deepEqual(await codec.decodeDeployment(undefined), { resources: [], pending: [] });
});

test("blindSecrets hides secret values and leaves the rest alone", () => {
  const value = { a: 1, b: [secret("x")], c: { d: secret({ e: 1 }) } };
  assert.deepEqual(blindSecrets(value), {
    a: 1,
    b: [{ [SIG_KEY]: SECRET_SIG, ciphertext: "[secret]" }],
    c: { d: { [SIG_KEY]: SECRET_SIG, ciphertext: "[secret]" } },
  });
  const plain = { a: { b: 1 } };
  assert.equal(blindSecrets(plain), plain);
});
