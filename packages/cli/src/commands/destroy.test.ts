import { test } from "node:test";
import assert from "node:assert/strict";
import { unprotectedTargets } from "./destroy.js";

const stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
const prov = "urn:pulumi:dev::p::pulumi:providers:x::default";
const r = (name: string) => `urn:pulumi:dev::p::x:index:R::${name}`;

test("--exclude-protected keeps protected resources and everything they need", () => {
  const resources = [
    { urn: stack },
    { urn: prov, parent: stack },
    { urn: r("db"), parent: stack, provider: `${prov}::abc-123` },
    { urn: r("vault"), parent: stack, protect: true, dependencies: [r("db")], provider: `${prov}::abc-123` },
    { urn: r("web"), parent: stack, dependencies: [r("db")] },
    { urn: r("cache"), parent: stack },
  ];
  assert.deepEqual(unprotectedTargets(resources), { targets: [r("web"), r("cache")], kept: 4 });
  assert.deepEqual(unprotectedTargets(resources, [r("cache"), r("db")]).targets, [r("cache")]);
  assert.deepEqual(unprotectedTargets([{ urn: stack }, { urn: r("v"), parent: stack, protect: true }]), { targets: [], kept: 2 });
});
