import { test } from "node:test";
import assert from "node:assert/strict";
import type { SecretsManager } from "@stackyard/engine/api";
import type { DeploymentV3 } from "@stackyard/protocol";
import { displayOutputs, encryptPlaintextSecrets, formatMultiError, importProblems, revealDeploymentSecrets, stackOutputsOf, urnStack } from "./state-secrets.js";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const fake: SecretsManager = {
  type: "fake",
  state: {},
  encrypt: async (p) => p.map((x) => Buffer.from(x).toString("hex")),
  decrypt: async (c) => c.map((x) => Buffer.from(x, "hex").toString()),
};
const ct = (json: string) => ({ [SIG]: SECRET, ciphertext: Buffer.from(json).toString("hex") });

const deployment: DeploymentV3 = {
  manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "" },
  resources: [
    {
      urn: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
      custom: false,
      type: "pulumi:pulumi:Stack",
      outputs: { plain: 1, pw: ct('"s3cr3t"'), nested: { list: [ct('{"a":true}'), "x"] } },
    },
    { urn: "urn:pulumi:dev::p::my:R::r", custom: true, type: "my:R", parent: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev" },
  ],
};

test("stack outputs: masked at any depth, or decrypted from their JSON text", async () => {
  const outputs = stackOutputsOf(deployment);
  assert.deepEqual(await displayOutputs(outputs, undefined, false), { plain: 1, pw: "[secret]", nested: { list: ["[secret]", "x"] } });
  assert.deepEqual(await displayOutputs(outputs, fake, true), { plain: 1, pw: "s3cr3t", nested: { list: [{ a: true }, "x"] } });
  assert.deepEqual(stackOutputsOf(undefined), {});
});

test("export --show-secrets swaps ciphertext for plaintext; import encrypts it back", async () => {
  const revealed = await revealDeploymentSecrets(deployment, fake);
  const pw = (revealed.resources![0]!.outputs as Record<string, unknown>)["pw"];
  assert.deepEqual(pw, { [SIG]: SECRET, plaintext: '"s3cr3t"' });
  const again = await encryptPlaintextSecrets(revealed, fake);
  assert.deepEqual(again.resources![0]!.outputs, deployment.resources![0]!.outputs);
});

test("import checks resources belong to the stack", () => {
  assert.equal(urnStack("urn:pulumi:dev::p::t::n"), "dev");
  assert.deepEqual(importProblems(deployment, "dev"), []);
  assert.deepEqual(importProblems(deployment, "prod"), [
    "resource 'urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev' is from a different stack (dev != prod)",
    "resource 'urn:pulumi:dev::p::my:R::r' is from a different stack (dev != prod)",
  ]);
  assert.equal(formatMultiError(["a", "b"]), "2 errors occurred:\n\t* a\n\t* b\n\n");
});

test("a secret whose plaintext holds another secret is unwrapped completely", async () => {
  const inner = JSON.stringify({ k: ct('"deep"') });
  const outputs = { o: ct(inner), p: { [SIG]: SECRET, plaintext: "[1,2]" } };
  assert.deepEqual(await displayOutputs(outputs, fake, true), { o: { k: "deep" }, p: [1, 2] });
  assert.deepEqual(await displayOutputs(outputs, undefined, false), { o: "[secret]", p: "[secret]" });
  await assert.rejects(displayOutputs(outputs, undefined, true), /secrets manager is required/);
});
