import { test } from "node:test";
import assert from "node:assert/strict";
import { applyIgnoreChanges, decideComponent, decideDiff, parsePropertyPath } from "./decide.js";
import type { DiffResult } from "../providers/provider-client.js";

const diff = (d: Partial<DiffResult>): DiffResult => ({ changes: "none", replaces: [], stables: [], deleteBeforeReplace: false, changedKeys: [], ...d });
const base = { oldInputs: {}, newInputs: {}, replaceOnChanges: [], deleteBeforeReplaceOption: undefined, forceReplace: false, hasInitErrors: false };

test("parsePropertyPath splits dots, indexes, quoted keys and wildcards", () => {
  assert.deepEqual(parsePropertyPath("a.b[0].c"), ["a", "b", 0, "c"]);
  assert.deepEqual(parsePropertyPath('tags["x.y"]'), ["tags", "x.y"]);
  assert.deepEqual(parsePropertyPath("list[*].name"), ["list", "*", "name"]);
  assert.deepEqual(parsePropertyPath("*"), ["*"]);
  assert.throws(() => parsePropertyPath("a[0"), /missing '\]'/);
});

test("decideDiff: none is same, some is update, replaces make a replacement", () => {
  assert.equal(decideDiff({ ...base, diff: diff({ changes: "none" }) }).kind, "same");
  assert.deepEqual(decideDiff({ ...base, diff: diff({ changes: "some", changedKeys: ["a"] }) }), { kind: "update", changedKeys: ["a"] });
  const r = decideDiff({ ...base, diff: diff({ changes: "some", changedKeys: ["a"], replaces: ["a"] }) });
  assert.equal(r.kind, "replace");
  assert.ok(r.kind === "replace" && r.replaceKeys.includes("a") && !r.deleteBeforeReplace);
});

test("decideDiff: unknown falls back to the engine's own input diff", () => {
  const same = decideDiff({ ...base, diff: diff({ changes: "unknown" }), oldInputs: { a: 1 }, newInputs: { a: 1 } });
  assert.equal(same.kind, "same");
  const upd = decideDiff({ ...base, diff: diff({ changes: "unknown" }), oldInputs: { a: 1 }, newInputs: { a: 2 } });
  assert.equal(upd.kind, "update");
  assert.ok(upd.kind === "update" && upd.changedKeys.includes("a"));
});

test("decideDiff: replaceOnChanges turns matching changes into replacements", () => {
  const named = decideDiff({ ...base, diff: diff({ changes: "some", changedKeys: ["tags", "size"] }), replaceOnChanges: ["tags"] });
  assert.ok(named.kind === "replace" && named.replaceKeys.includes("tags"));
  // Provider said "some" without naming keys: the inputs tell what changed.
  const anonymous = decideDiff({ ...base, diff: diff({ changes: "some" }), oldInputs: { tags: "x" }, newInputs: { tags: "y" }, replaceOnChanges: ["tags"] });
  assert.equal(anonymous.kind, "replace");
  const other = decideDiff({ ...base, diff: diff({ changes: "some", changedKeys: ["size"] }), replaceOnChanges: ["tags"] });
  assert.equal(other.kind, "update");
  const star = decideDiff({ ...base, diff: diff({ changes: "some", changedKeys: ["size"] }), replaceOnChanges: ["*"] });
  assert.equal(star.kind, "replace");
  const nested = decideDiff({
    ...base,
    diff: diff({ changes: "some", changedKeys: ["spec"], detailedDiff: { "spec.image": { diffKind: "update", inputDiff: true } } }),
    replaceOnChanges: ["spec.image"],
  });
  assert.ok(nested.kind === "replace" && nested.detailedDiff?.["spec.image"]?.diffKind === "update-replace");
});

test("decideDiff: --replace forces a replacement; deleteBeforeReplace option wins over the provider", () => {
  const forced = decideDiff({ ...base, diff: diff({ changes: "none" }), forceReplace: true });
  assert.equal(forced.kind, "replace");
  const provider = decideDiff({ ...base, diff: diff({ changes: "some", replaces: ["a"], deleteBeforeReplace: true }) });
  assert.ok(provider.kind === "replace" && provider.deleteBeforeReplace);
  const option = decideDiff({ ...base, diff: diff({ changes: "some", replaces: ["a"], deleteBeforeReplace: true }), deleteBeforeReplaceOption: false });
  assert.ok(option.kind === "replace" && !option.deleteBeforeReplace);
});

test("decideDiff: init errors force an update even without changes", () => {
  assert.equal(decideDiff({ ...base, diff: diff({ changes: "none" }), hasInitErrors: true }).kind, "update");
});

test("applyIgnoreChanges keeps old values, drops new-only ones, reports what it cannot apply", () => {
  const olds = { a: 1, nested: { x: 1, y: 2 }, list: [1, 2], deep: { z: 1 } };
  const news = { a: 2, b: 3, nested: { x: 9, y: 9 }, list: [5, 6] };
  // deep.z had a value, but the new inputs have no `deep` to put it back into.
  const { inputs, unapplied } = applyIgnoreChanges(olds, news, ["a", "b", "nested.x", "list[1]", "missing.path", "deep.z"]);
  assert.deepEqual(inputs, { a: 1, nested: { x: 1, y: 9 }, list: [5, 2] });
  assert.deepEqual(unapplied, ["deep.z"]);
  assert.deepEqual(news.a, 2, "the new inputs are not modified");
  assert.deepEqual(applyIgnoreChanges(olds, news, ["*"]).inputs, olds);
  assert.equal(applyIgnoreChanges(olds, news, []).inputs, news);
});

test("decideComponent: equal inputs are same, otherwise an update naming the keys", () => {
  assert.equal(decideComponent({ a: 1 }, { a: 1 }).kind, "same");
  const d = decideComponent({ a: 1 }, { a: 2, b: 1 });
  assert.ok(d.kind === "update" && d.changedKeys.join() === "a,b");
});
