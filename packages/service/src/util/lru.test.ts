import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteLru } from "./lru.js";

const v = (n: number) => ({ data: Buffer.alloc(n) });

test("evicts least recently used entries beyond the byte budget", () => {
  const lru = new ByteLru<string, { data: Buffer }>(10);
  lru.set("a", v(4));
  lru.set("b", v(4));
  assert.ok(lru.get("a"));
  lru.set("c", v(4));
  assert.equal(lru.get("b"), undefined);
  assert.ok(lru.get("a") && lru.get("c"));
  assert.equal(lru.totalBytes, 8);
  lru.set("huge", v(11));
  assert.equal(lru.get("huge"), undefined);
  lru.set("a", v(1));
  assert.equal(lru.totalBytes, 5);
  lru.delete("c");
  assert.equal(lru.totalBytes, 1);
});
