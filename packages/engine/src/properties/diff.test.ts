import { test } from "node:test";
import assert from "node:assert/strict";
import { SECRET_SIG, SIG_KEY } from "@stackyard/protocol";
import { asReplace, diffInputs } from "./diff.js";

test("diffInputs names changed top-level keys and detailed paths", () => {
  const d = diffInputs({ a: 1, nested: { x: 1, y: [1, 2] }, gone: true }, { a: 2, nested: { x: 1, y: [1, 3] }, added: "n" });
  assert.deepEqual(d.changedKeys, ["a", "added", "gone", "nested"]);
  assert.deepEqual(d.detailedDiff, {
    a: { diffKind: "update", inputDiff: true },
    "nested.y[1]": { diffKind: "update", inputDiff: true },
    gone: { diffKind: "delete", inputDiff: true },
    added: { diffKind: "add", inputDiff: true },
  });
});

test("diffInputs ignores __provider and secretness; quotes odd keys", () => {
  const secret = { [SIG_KEY]: SECRET_SIG, value: "s" };
  assert.deepEqual(diffInputs({ __provider: "a", p: "s" }, { __provider: "b", p: secret }).changedKeys, []);
  const d = diffInputs({ m: { "a.b": 1 } }, { m: { "a.b": 2 } });
  assert.deepEqual(Object.keys(d.detailedDiff), ['m["a.b"]']);
});

test("asReplace marks kinds as replacements", () => {
  assert.equal(asReplace("add"), "add-replace");
  assert.equal(asReplace("delete"), "delete-replace");
  assert.equal(asReplace("update"), "update-replace");
  assert.equal(asReplace("update-replace"), "update-replace");
});
