import { test } from "node:test";
import assert from "node:assert/strict";
import { randomSeed } from "./random-seed.js";

test("random seeds are 32 bytes and never repeat across pool refills", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const seed = randomSeed();
    assert.equal(seed.length, 32);
    const hex = seed.toString("hex");
    assert.ok(!seen.has(hex), `seed ${i} repeated`);
    seen.add(hex);
  }
});

test("a seed handed out is not overwritten when the pool refills", () => {
  const first = randomSeed();
  const copy = Buffer.from(first);
  for (let i = 0; i < 600; i++) randomSeed();
  assert.deepEqual(first, copy);
});
