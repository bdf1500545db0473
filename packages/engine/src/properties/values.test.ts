import { test } from "node:test";
import assert from "node:assert/strict";
import { OUTPUT_VALUE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN_VALUE } from "@stackyard/protocol";
import {
  containsSecrets,
  containsUnknowns,
  deepEqual,
  makeSecret,
  markSecretOutputs,
  remarkSecretOutputs,
  resolveOutputValues,
  unwrapSecrets,
} from "./values.js";

const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

test("secrets: wrap once, detect deep, unwrap deep without copying untouched values", () => {
  const s = makeSecret("x");
  assert.equal(makeSecret(s), s);
  assert.ok(containsSecrets({ a: [1, { b: s }] }));
  assert.ok(containsSecrets({ o: { [SIG_KEY]: OUTPUT_VALUE_SIG, secret: true } }));
  assert.ok(!containsSecrets({ a: [1, "s"] }));
  const plain = { a: [1, 2] };
  assert.equal(unwrapSecrets(plain), plain);
  assert.deepEqual(unwrapSecrets({ a: [secret(secret("deep"))], b: 1 }), { a: ["deep"], b: 1 });
});

test("unknowns are found anywhere, including unresolved output values", () => {
  assert.ok(containsUnknowns({ a: [UNKNOWN_VALUE] }));
  assert.ok(containsUnknowns({ a: { [SIG_KEY]: OUTPUT_VALUE_SIG } }));
  assert.ok(!containsUnknowns({ a: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: 1 } }));
});

test("resolveOutputValues yields values, secrets and unknowns, and collects dependencies", () => {
  const deps = new Set<string>();
  const resolved = resolveOutputValues(
    {
      known: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: 1, dependencies: ["urn:a"] },
      hidden: { [SIG_KEY]: OUTPUT_VALUE_SIG, value: "s", secret: true },
      pending: { [SIG_KEY]: OUTPUT_VALUE_SIG, dependencies: ["urn:b"] },
      plain: "p",
    },
    deps,
  );
  assert.deepEqual(resolved, { known: 1, hidden: secret("s"), pending: UNKNOWN_VALUE, plain: "p" });
  assert.deepEqual([...deps].sort(), ["urn:a", "urn:b"]);
});

test("deepEqual treats secrets as their plaintext and undefined members as absent", () => {
  assert.ok(deepEqual({ a: secret(1) }, { a: 1 }));
  assert.ok(deepEqual({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(!deepEqual({ a: [1, 2] }, { a: [1] }));
  assert.ok(!deepEqual({ a: 1 }, { a: "1" }));
  assert.ok(!deepEqual([1], { 0: 1 }));
});

test("markSecretOutputs and remarkSecretOutputs", () => {
  assert.deepEqual(markSecretOutputs({ a: 1, b: 2 }, ["a", "missing"]), { a: secret(1), b: 2 });
  const outs = { a: "x", b: "y", c: secret("z") };
  assert.deepEqual(remarkSecretOutputs({ a: secret("x"), b: "y", c: secret("z") }, outs), { a: secret("x"), b: "y", c: secret("z") });
  const untouched = { b: "y" };
  assert.equal(remarkSecretOutputs({ b: "y" }, untouched), untouched);
});
