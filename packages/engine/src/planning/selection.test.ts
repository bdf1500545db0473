import { test } from "node:test";
import assert from "node:assert/strict";
import type { ResourceV3 } from "@stackyard/protocol";
import { ExclusionTracker, excludedFromRefresh, keptByExcludes, urnMatcher } from "./selection.js";

const u = (name: string) => `urn:pulumi:s::p::t::${name}`;
const r = (name: string, extra: Partial<ResourceV3> = {}): ResourceV3 => ({ urn: u(name), type: "t", custom: true, ...extra });
const names = (urns: Iterable<string>) => [...urns].map((x) => x.split("::").pop()).sort();

// prov ← a ← b (parent a) ← c (depends on b);  d is unrelated but uses the same provider.
const prov = r("prov", { type: "pulumi:providers:x" });
const a = r("a", { provider: `${u("prov")}::id1` });
const b = r("b", { parent: u("a"), provider: `${u("prov")}::id1` });
const c = r("c", { dependencies: [u("b")], provider: `${u("prov")}::id1` });
const d = r("d", { provider: `${u("prov")}::id1` });
const all = [prov, a, b, c, d];

test("URN patterns match exactly or as globs", () => {
  const m = urnMatcher([u("a"), "urn:pulumi:s::p::t::c*"]);
  assert.ok(m(u("a")));
  assert.ok(m(u("c")) && m(u("cat")));
  assert.ok(!m(u("b")) && !m(u("ab")));
  assert.ok(!urnMatcher([])(u("a")));
});

test("during an update only the named resource is excluded, unless dependents are asked for", () => {
  const plain = new ExclusionTracker([u("b")], false);
  assert.deepEqual(all.filter((x) => plain.exclude(x)).map((x) => x.urn), [u("b")]);
  const widened = new ExclusionTracker([u("b")], true);
  assert.deepEqual(names(all.filter((x) => widened.exclude(x)).map((x) => x.urn)), ["b", "c"]);
  // Excluding a parent takes its children (and theirs) along; siblings sharing a provider stay.
  const parent = new ExclusionTracker([u("a")], true);
  assert.deepEqual(names(all.filter((x) => parent.exclude(x)).map((x) => x.urn)), ["a", "b", "c"]);
  assert.equal(new ExclusionTracker([], true).constrained, false);
});

test("deletes keep the excluded resources and everything they need", () => {
  // b needs its parent a and the provider; c and d may go.
  assert.deepEqual(names(keptByExcludes(all, [u("b")], false)), ["a", "b", "prov"]);
  // With dependents, c (which depends on b) is kept as well.
  assert.deepEqual(names(keptByExcludes(all, [u("b")], true)), ["a", "b", "c", "prov"]);
  assert.deepEqual(names(keptByExcludes(all, [u("d")], false)), ["d", "prov"]);
  assert.deepEqual(keptByExcludes(all, [], true).size, 0);
});

test("refresh skips the excluded resources, and their dependents when asked", () => {
  assert.deepEqual(names(excludedFromRefresh(all, [u("a")], false)), ["a"]);
  assert.deepEqual(names(excludedFromRefresh(all, [u("a")], true)), ["a", "b", "c"]);
  assert.deepEqual(names(excludedFromRefresh(all, [u("nothing")], true)), []);
});
