/**
 * One stack's life with a dynamic provider: create, update in place, replace (create-before-delete
 * and delete-before-replace), delete, components with registerOutputs, stack outputs, secrets in
 * state and in Pulumi.<stack>.yaml, refresh detecting drift, `up --refresh`, the human display.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestProject, byName, previewSummary } from "./support.js";

const SECRET_CONFIG = "hunter2-config-plaintext";
const SECRET_LITERAL = "literal-secret-plaintext";

function program(v: { upd: string; cbdKind: string; dbrKind: string; withGone: boolean; member: string }): string {
  return `
const pulumi = require("@pulumi/pulumi");
const { Thing } = require("./thing");
const cfg = new pulumi.Config();

class Group extends pulumi.ComponentResource {
  constructor(name, args, opts) {
    super("test:index:Group", name, {}, opts);
    this.member = new Thing(name + "-member", { label: name + "-member", value: args.value }, { parent: this });
    this.registerOutputs({ memberId: this.member.id, size: 1 });
  }
}

const keep = new Thing("keep", { label: "keep", value: "k1" });
new Thing("upd", { label: "upd", value: ${JSON.stringify(v.upd)} });
new Thing("cbd", { label: "cbd", kind: ${JSON.stringify(v.cbdKind)} });
new Thing("dbr", { label: "dbr", kind: ${JSON.stringify(v.dbrKind)} }, { deleteBeforeReplace: true });
${v.withGone ? `new Thing("gone", { label: "gone" });` : ""}
const group = new Group("grp", { value: ${JSON.stringify(v.member)} });
new Thing("sec", { label: "sec", value: cfg.requireSecret("dbPassword") });

exports.keepId = keep.id;
exports.memberId = group.member.id;
exports.plain = cfg.require("plain");
exports.password = cfg.requireSecret("dbPassword");
exports.literal = pulumi.secret(${JSON.stringify(SECRET_LITERAL)});
`;
}

const v1 = { upd: "u1", cbdKind: "a", dbrKind: "a", withGone: true, member: "m1" };
const v2 = { upd: "u2", cbdKind: "b", dbrKind: "b", withGone: false, member: "m1" };

let p: TestProject;
before(async () => {
  p = new TestProject("lifecycle", { "index.js": program(v1) });
  await p.init();
  await p.pulumi(["config", "set", "plain", "visible"]);
  await p.pulumi(["config", "set", "--secret", "dbPassword", SECRET_CONFIG]);
});
after(() => p?.cleanup());

test("create: every resource is created once and counted", async () => {
  const out = await p.up();
  assert.deepEqual(await p.lastChanges(), { create: 9 });
  assert.match(out.stdout, /Resources:\n\s+\+ 9 created/);
  assert.match(out.stdout, /Duration: \d+s/);
  assert.match(out.stdout, /\+ {2}pulumi-nodejs:dynamic:Resource keep created/);
  const resources = await p.resources();
  const creates = p.ops().filter((l) => l.startsWith("create "));
  assert.equal(creates.length, 7);
  assert.ok(byName(resources, "keep").id);
});

test("components record registerOutputs and stack outputs are readable", async () => {
  const resources = await p.resources();
  const group = byName(resources, "grp");
  const member = byName(resources, "grp-member");
  assert.equal(group.type, "test:index:Group");
  assert.equal(member.parent, group.urn);
  assert.ok(member.urn.includes("test:index:Group$pulumi-nodejs:dynamic:Resource::grp-member"));
  assert.deepEqual(group.outputs, { memberId: member.id, size: 1 });
  const outputs = JSON.parse((await p.pulumi(["stack", "output", "--json"])).stdout) as Record<string, unknown>;
  assert.deepEqual(outputs, { keepId: byName(resources, "keep").id, memberId: member.id, plain: "visible", password: "[secret]", literal: "[secret]" });
  const shown = JSON.parse((await p.pulumi(["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, unknown>;
  assert.equal(shown["password"], SECRET_CONFIG);
  assert.equal(shown["literal"], SECRET_LITERAL);
});

test("secrets stay encrypted in the checkpoint and in Pulumi.dev.yaml", async () => {
  const checkpoint = p.checkpointText();
  assert.ok(!checkpoint.includes(SECRET_CONFIG), "config secret in plaintext in the checkpoint");
  assert.ok(!checkpoint.includes(SECRET_LITERAL), "pulumi.secret in plaintext in the checkpoint");
  const state = JSON.parse(checkpoint) as { checkpoint: { latest: { resources: { urn: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } } };
  const stack = state.checkpoint.latest.resources.find((r) => r.urn.endsWith("::lifecycle-dev"))!;
  const literal = stack.outputs!["literal"] as Record<string, unknown>;
  assert.equal(literal["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
  assert.match(String(literal["ciphertext"]), /^v1:/);
  const sec = state.checkpoint.latest.resources.find((r) => r.urn.endsWith("::sec"))!;
  assert.match(String((sec.inputs!["value"] as Record<string, unknown>)["ciphertext"]), /^v1:/);
  const settings = readFileSync(join(p.dir, "Pulumi.dev.yaml"), "utf8");
  assert.ok(!settings.includes(SECRET_CONFIG));
  assert.match(settings, /lifecycle:dbPassword:\n\s+secure: v1:/);
  // The secret reached the provider as its plaintext value.
  const files = p.ops().length;
  assert.ok(files > 0);
});

test("preview --json and the display show update, replace and delete", async () => {
  p.write("index.js", program(v2));
  const json = await p.pulumi(["preview", "--json"]);
  assert.deepEqual(previewSummary(json.stdout), { same: 5, update: 1, replace: 2, delete: 1 });
  const human = await p.pulumi(["preview", "--diff"]);
  assert.match(human.stdout, /Previewing update \(dev\)/);
  assert.match(human.stdout, /~ value: "u1" => "u2"/);
  assert.match(human.stdout, /~ kind\s*: "a" => "b"/);
  assert.match(human.stdout, /\+-\s*pulumi-nodejs:dynamic:Resource: \(replace\)/);
  assert.match(human.stdout, /~ 1 to update/);
  assert.match(human.stdout, /- 1 to delete/);
  assert.match(human.stdout, /\+-2 to replace/);
  assert.match(human.stdout, /5 unchanged/);
  assert.deepEqual(p.ops().filter((l) => !l.startsWith("begin-")).length, 7, "preview must not call create/update/delete");
});

test("update in place, replace create-before-delete and delete-before-replace, delete", async () => {
  p.clearOps();
  const before = await p.resources();
  await p.up();
  assert.deepEqual(await p.lastChanges(), { same: 5, update: 1, replace: 2, delete: 1 });
  const ops = p.ops().filter((l) => !l.startsWith("begin-"));
  assert.ok(ops.includes("update upd"));
  assert.ok(ops.includes("delete gone"));
  // Default replacement: the new copy exists before the old one goes.
  assert.ok(ops.indexOf("create cbd") < ops.indexOf("delete cbd"), ops.join(","));
  // deleteBeforeReplace: the old copy goes first.
  assert.ok(ops.indexOf("delete dbr") < ops.indexOf("create dbr"), ops.join(","));
  const after = await p.resources();
  assert.equal(byName(after, "upd").outputs?.["generation"], 2);
  assert.notEqual(byName(after, "cbd").id, byName(before, "cbd").id);
  assert.notEqual(byName(after, "dbr").id, byName(before, "dbr").id);
  assert.equal(byName(after, "keep").id, byName(before, "keep").id);
  assert.ok(!after.some((r) => r.urn.endsWith("::gone")));
  assert.ok(!after.some((r) => r.delete), "no resource left marked for deletion");
  // A second run changes nothing.
  await p.up();
  assert.deepEqual(await p.lastChanges(), { same: 8 });
});

test("refresh detects drift, and up --refresh repairs it", async () => {
  const upd = byName(await p.resources(), "upd");
  const file = join(p.cloud, `${upd.id}.json`);
  const drift = () => writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), value: "drifted" }));
  drift();
  await p.pulumi(["refresh", "--yes", "--skip-preview"]);
  assert.deepEqual(await p.lastChanges(), { same: 7, update: 1 });
  assert.equal(byName(await p.resources(), "upd").outputs?.["value"], "drifted");
  // The program still says u2: an up now updates it back.
  p.clearOps();
  await p.up();
  assert.deepEqual(await p.lastChanges(), { same: 7, update: 1 });
  assert.ok(p.ops().includes("update upd"));
  // Drift again; `up --refresh` sees it without a separate refresh.
  drift();
  p.clearOps();
  await p.up("--refresh");
  assert.ok(p.ops().includes("update upd"), `up --refresh did not repair drift: ${p.ops().join(",")}`);
  assert.equal(byName(await p.resources(), "upd").outputs?.["value"], "u2");
});

test("destroy deletes everything, children before parents", async () => {
  p.clearOps();
  const out = await p.pulumi(["destroy", "--yes", "--skip-preview"]);
  assert.match(out.stdout, /Destroying \(dev\)/);
  assert.match(out.stdout, /- 8 deleted/);
  assert.deepEqual(await p.lastChanges(), { delete: 8 });
  assert.deepEqual(await p.resources(), []);
  const deletes = p.ops().filter((l) => l.startsWith("delete "));
  assert.equal(deletes.length, 6);
});
