import { test } from "node:test";
import assert from "node:assert/strict";
import type { ResourceV3 } from "@stackyard/protocol";
import { deleteWaves, deletionDependencies } from "./delete-schedule.js";

const r = (name: string, extra: Partial<ResourceV3> = {}): ResourceV3 => ({ urn: `urn:pulumi:s::p::t::${name}`, type: "t", custom: true, ...extra });
const u = (name: string) => `urn:pulumi:s::p::t::${name}`;
const names = (waves: ResourceV3[][]) => waves.map((w) => w.map((x) => x.urn.split("::").pop()).sort());

test("dependents are deleted in earlier waves than what they depend on", () => {
  const a = r("a");
  const b = r("b", { dependencies: [u("a")] });
  const c = r("c", { parent: u("b") });
  const d = r("d");
  assert.deepEqual(names(deleteWaves([a, b, c, d])), [["c", "d"], ["b"], ["a"]]);
});

test("property dependencies, deletedWith and providers order deletes too", () => {
  const prov = r("prov", { type: "pulumi:providers:x" });
  const x = r("x", { provider: `${u("prov")}::id1`, propertyDependencies: { v: [u("y")] } });
  const y = r("y");
  const z = r("z", { deletedWith: u("x") });
  assert.deepEqual(deletionDependencies(x).sort(), [u("prov"), u("y")]);
  assert.deepEqual(names(deleteWaves([prov, x, y, z])), [["z"], ["x"], ["prov", "y"]]);
});

test("dependencies outside the condemned set do not hold anything back; cycles still end", () => {
  const a = r("a", { dependencies: [u("elsewhere")] });
  assert.deepEqual(names(deleteWaves([a])), [["a"]]);
  const p = r("p", { dependencies: [u("q")] });
  const q = r("q", { dependencies: [u("p")] });
  assert.deepEqual(names(deleteWaves([p, q])), [["p", "q"]]);
  assert.deepEqual(deleteWaves([]), []);
});
