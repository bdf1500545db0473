import { test } from "node:test";
import assert from "node:assert/strict";
import type { SecretsManager } from "@stackyard/engine/api";
import { applyProjectConfig, buildEngineConfig, configJson, configTexts, decryptAll, historyConfig } from "./config-map.js";
import { configSet, plainValue, secureValue, type StackConfig } from "./config-value.js";
import { parseProject } from "./project.js";

/** Reversible fake: ciphertext is "enc(" + plaintext + ")". */
const fake: SecretsManager & { calls: number } = {
  type: "fake",
  state: {},
  calls: 0,
  async encrypt(p) {
    return p.map((x) => `enc(${x})`);
  },
  async decrypt(c) {
    this.calls++;
    return c.map((x) => x.slice(4, -1));
  },
};

test("project defaults fill gaps, values for other namespaces, missing required keys", () => {
  const project = parseProject({
    name: "p",
    runtime: "nodejs",
    config: { size: "small", "aws:region": "us-east-1", req: { type: "string" }, obj: { default: { a: [1] } } },
  });
  const stack: StackConfig = new Map([["p:size", plainValue("big")]]);
  const { config, missing } = applyProjectConfig(project, stack);
  assert.deepEqual(config.get("p:size"), plainValue("big"));
  assert.deepEqual(config.get("aws:region"), plainValue("us-east-1"));
  assert.deepEqual(config.get("p:obj"), { value: '{"a":[1]}', secure: false, object: true });
  assert.deepEqual(missing, ["req"]);
  assert.equal(stack.size, 1);
});

test("engine config: decrypted in one batch, objects as JSON text, secret flags, validation", async () => {
  const project = parseProject({ name: "p", runtime: "nodejs", config: { n: { type: "integer" }, s: { type: "string", secret: true } } });
  const stack: StackConfig = new Map();
  configSet(stack, "p:n", plainValue("3"), false);
  configSet(stack, "p:s", secureValue("enc(pw)"), false);
  configSet(stack, "p:o.k", plainValue("v"), true);
  configSet(stack, "p:o.secret", secureValue("enc(x)"), true);
  fake.calls = 0;
  const cfg = await buildEngineConfig(project, "dev", stack, fake);
  assert.equal(fake.calls, 1);
  assert.deepEqual(cfg, {
    "p:n": { value: "3", secret: false },
    "p:s": { value: "pw", secret: true },
    "p:o": { value: '{"k":"v","secret":"x"}', secret: true },
  });
  await assert.rejects(buildEngineConfig(project, "dev", new Map([["p:s", secureValue("enc(a)")]]), fake), /Stack 'dev' is missing configuration value 'n'/);
  const bad: StackConfig = new Map([["p:n", plainValue("x")], ["p:s", secureValue("enc(a)")]]);
  await assert.rejects(buildEngineConfig(project, "dev", bad, fake), /Stack 'dev' with configuration key 'n' must be of type 'integer'/);
  const plain: StackConfig = new Map([["p:n", plainValue("1")], ["p:s", plainValue("a")]]);
  await assert.rejects(buildEngineConfig(project, "dev", plain, fake), /must be encrypted as it's secret/);
});

test("config --json shapes with and without --show-secrets", async () => {
  const c: StackConfig = new Map();
  configSet(c, "p:k", secureValue("enc(v)"), false);
  configSet(c, "p:a", plainValue("x"), false);
  configSet(c, "p:key7.subKey2", plainValue("value8"), true);
  assert.deepEqual(configJson(c, configTexts(c, "blind"), false), {
    "p:a": { value: "x", secret: false },
    "p:k": { secret: true },
    "p:key7": { value: '{"subKey2":"value8"}', objectValue: { subKey2: "value8" }, secret: false },
  });
  const shown = configJson(c, configTexts(c, await decryptAll(c.values(), fake)), true);
  assert.deepEqual(shown["p:k"], { value: "v", secret: true });
  assert.equal(JSON.stringify(shown["p:key7"]), '{"value":"{\\"subKey2\\":\\"value8\\"}","objectValue":{"subKey2":"value8"},"secret":false}');
  assert.equal(configTexts(c, "blind").get("p:k"), "[secret]");
  assert.deepEqual(historyConfig(c)["p:k"], { string: "enc(v)", secret: true, object: false });
});
