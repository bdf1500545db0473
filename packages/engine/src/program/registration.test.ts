import { test } from "node:test";
import assert from "node:assert/strict";
import { aliasUrn, parseDuration } from "./registration.js";

test("parseDuration reads Go durations", () => {
  assert.equal(parseDuration(""), 0);
  assert.equal(parseDuration("10s"), 10);
  assert.equal(parseDuration("5m"), 300);
  assert.equal(parseDuration("1h30m"), 5400);
  assert.equal(parseDuration("1.5s"), 1.5);
  assert.equal(parseDuration("250ms"), 0.25);
  assert.throws(() => parseDuration("5 minutes"), /invalid duration/);
  assert.throws(() => parseDuration("10"), /invalid duration/);
});

test("aliasUrn fills an alias spec from the resource's own identity", () => {
  const self = { stack: "dev", project: "p", type: "t:m:R", name: "new", parent: "" };
  assert.equal(aliasUrn({ urn: "urn:pulumi:x::y::z::w" }, self), "urn:pulumi:x::y::z::w");
  assert.equal(aliasUrn({ name: "old" }, self), "urn:pulumi:dev::p::t:m:R::old");
  assert.equal(aliasUrn({ type: "t:m:Old", stack: "prod", project: "q" }, self), "urn:pulumi:prod::q::t:m:Old::new");
  const child = { ...self, parent: "urn:pulumi:dev::p::c:m:Comp::parent" };
  assert.equal(aliasUrn({ name: "old" }, child), "urn:pulumi:dev::p::c:m:Comp$t:m:R::old");
  assert.equal(aliasUrn({ name: "old", noParent: true }, child), "urn:pulumi:dev::p::t:m:R::old");
  assert.equal(aliasUrn({ parentUrn: "urn:pulumi:dev::p::o:m:Other::o" }, child), "urn:pulumi:dev::p::o:m:Other$t:m:R::new");
});
