/**
 * Resource options through a real program and the CLI: dependsOn ordering, protect, retainOnDelete,
 * ignoreChanges, replaceOnChanges, aliases, deletedWith, --target, --replace, --exclude, destroy order,
 * `destroy --exclude-protected` and `destroy --remove`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { TestProject, byName } from "./support.js";

interface Shape {
  ign: string;
  rocTags: string;
  renamed: boolean;
  withRetained: boolean;
  withOwner: boolean;
  withProtected: boolean;
  protect: boolean;
  t1: string;
  t2: string;
  baseValue?: string;
  dependentValue?: string;
}

function program(v: Shape): string {
  return `
const pulumi = require("@pulumi/pulumi");
const { Thing } = require("./thing");

const base = new Thing("base", { label: "base", value: ${JSON.stringify(v.baseValue ?? "b")}, sleepMs: 300 });
const dependent = new Thing("dependent", { label: "dependent", value: ${JSON.stringify(v.dependentValue ?? "d")} }, { dependsOn: [base] });
new Thing("ign", { label: "ign", value: ${JSON.stringify(v.ign)} }, { ignoreChanges: ["value"] });
new Thing("roc", { label: "roc", tags: ${JSON.stringify(v.rocTags)} }, { replaceOnChanges: ["tags"] });
${v.renamed
    ? `new Thing("new-name", { label: "renamed" }, { aliases: [{ name: "old-name" }] });`
    : `new Thing("old-name", { label: "renamed" });`}
${v.withRetained ? `new Thing("retained", { label: "retained" }, { retainOnDelete: true });` : ""}
${v.withOwner ? `const owner = new Thing("owner", { label: "owner" });
new Thing("owned", { label: "owned" }, { deletedWith: owner });` : ""}
${v.withProtected ? `new Thing("guarded", { label: "guarded" }, { protect: ${v.protect} });` : ""}
new Thing("t1", { label: "t1", value: ${JSON.stringify(v.t1)} });
new Thing("t2", { label: "t2", value: ${JSON.stringify(v.t2)} });
`;
}

const v1: Shape = { ign: "i1", rocTags: "x", renamed: false, withRetained: true, withOwner: true, withProtected: true, protect: true, t1: "1", t2: "1" };

let p: TestProject;
before(async () => {
  p = new TestProject("options", { "index.js": program(v1) });
  await p.init();
});
after(() => p?.cleanup());

const ops = () => p.ops().filter((l) => !l.startsWith("begin-"));

test("first up: dependsOn orders creates", async () => {
  await p.up();
  assert.deepEqual(await p.lastChanges(), { create: 12 });
  const log = ops();
  assert.ok(log.indexOf("create base") < log.indexOf("create dependent"), log.join(","));
  const dependent = byName(await p.resources(), "dependent");
  assert.deepEqual(dependent.dependencies, [p.urn("pulumi-nodejs:dynamic:Resource", "base")]);
  assert.equal(byName(await p.resources(), "guarded").protect, true);
});

test("ignoreChanges, replaceOnChanges, aliases, retainOnDelete and deletedWith in one update", async () => {
  const before = await p.resources();
  p.clearOps();
  p.write("index.js", program({ ...v1, ign: "i2", rocTags: "y", renamed: true, withRetained: false, withOwner: false }));
  await p.up();
  // roc replaced; retained, owner and owned deleted from state; everything else the same.
  assert.deepEqual(await p.lastChanges(), { same: 8, replace: 1, delete: 3 });
  const log = ops();
  const after = await p.resources();
  assert.equal(byName(after, "ign").inputs?.["value"], "i1", "ignored change must keep the old input");
  assert.ok(!log.some((l) => l.endsWith(" ign")), `ign must not be touched: ${log.join(",")}`);
  assert.notEqual(byName(after, "roc").id, byName(before, "roc").id);
  // The alias carries the resource over: same id, new URN, no provider call.
  assert.equal(byName(after, "new-name").id, byName(before, "old-name").id);
  assert.ok(!after.some((r) => r.urn.endsWith("::old-name")));
  assert.ok(!log.some((l) => l.endsWith(" renamed")), log.join(","));
  // retainOnDelete: gone from state but not deleted; deletedWith: its owner's delete covers it.
  assert.ok(!after.some((r) => r.urn.endsWith("::retained")));
  assert.ok(!log.includes("delete retained"));
  assert.ok(existsSync(join(p.cloud, `${byName(before, "retained").id}.json`)));
  assert.ok(log.includes("delete owner"));
  assert.ok(!log.includes("delete owned"), log.join(","));
});

test("a protected resource cannot be deleted; the state stays as it was", async () => {
  const before = await p.resources();
  p.write("index.js", program({ ...v1, ign: "i2", rocTags: "y", renamed: true, withRetained: false, withOwner: false, withProtected: false }));
  const run = await p.pulumi(["up", "--yes", "--skip-preview"], { expectCode: 255 });
  assert.match(run.stdout + run.stderr, /protected/);
  const after = await p.resources();
  assert.equal(byName(after, "guarded").id, byName(before, "guarded").id);
  assert.equal(after.length, before.length);
});

test("--target updates only the named resource; --replace replaces one", async () => {
  const shape = { ...v1, ign: "i2", rocTags: "y", renamed: true, withRetained: false, withOwner: false };
  p.write("index.js", program({ ...shape, t1: "2", t2: "2" }));
  p.clearOps();
  await p.up("--target", p.urn("pulumi-nodejs:dynamic:Resource", "t1"));
  assert.equal((await p.lastChanges())["update"], 1);
  let state = await p.resources();
  assert.equal(byName(state, "t1").outputs?.["value"], "2");
  assert.equal(byName(state, "t2").outputs?.["value"], "1");
  assert.deepEqual(ops(), ["update t1"]);

  p.write("index.js", program({ ...shape, t1: "2", t2: "1" }));
  const before = byName(state, "base");
  p.clearOps();
  await p.up("--replace", before.urn);
  assert.deepEqual(await p.lastChanges(), { same: 8, replace: 1 });
  state = await p.resources();
  assert.notEqual(byName(state, "base").id, before.id);
  assert.deepEqual(ops(), ["create base", "delete base"]);
});

test("--exclude leaves the named resource alone; --exclude-dependents also what depends on it", async () => {
  const shape = { ...v1, ign: "i2", rocTags: "y", renamed: true, withRetained: false, withOwner: false };
  const thing = (name: string) => p.urn("pulumi-nodejs:dynamic:Resource", name);
  p.write("index.js", program({ ...shape, t1: "3", t2: "3" }));
  p.clearOps();
  await p.up("--exclude", thing("t1"));
  assert.deepEqual(await p.lastChanges(), { same: 8, update: 1 });
  assert.deepEqual(ops(), ["update t2"]);
  let state = await p.resources();
  assert.equal(byName(state, "t1").outputs?.["value"], "2");
  assert.equal(byName(state, "t2").outputs?.["value"], "3");

  // base changes, and so does dependent (which dependsOn base): both are left out, t1 is not.
  p.write("index.js", program({ ...shape, t1: "3", t2: "3", baseValue: "b2", dependentValue: "d2" }));
  p.clearOps();
  await p.up("--exclude", thing("base"), "--exclude-dependents");
  assert.deepEqual(ops(), ["update t1"]);
  state = await p.resources();
  assert.equal(byName(state, "base").outputs?.["value"], "b");
  assert.equal(byName(state, "dependent").outputs?.["value"], "d");
  assert.equal(byName(state, "t1").outputs?.["value"], "3");
  // Without --exclude-dependents the dependent's change would show; with it the preview is clean.
  await p.pulumi(["preview", "--exclude", thing("base"), "--exclude-dependents", "--expect-no-changes"]);
  await p.pulumi(["preview", "--exclude", thing("base"), "--expect-no-changes"], { expectCode: 255 });
});

test("destroy --exclude-protected deletes dependents first and keeps the protected resource", async () => {
  p.clearOps();
  await p.pulumi(["destroy", "--yes", "--skip-preview", "--exclude-protected"]);
  const log = ops();
  assert.ok(log.indexOf("delete dependent") < log.indexOf("delete base"), log.join(","));
  const left = await p.resources();
  assert.ok(left.some((r) => r.urn.endsWith("::guarded")), "protected resource must remain");
  assert.ok(!left.some((r) => r.urn.endsWith("::base")));
  assert.ok(!log.includes("delete guarded"));
});

test("destroy --remove deletes the rest and removes the stack and its config", async () => {
  // Unprotect through the program, then destroy everything.
  p.write("index.js", program({ ...v1, ign: "i2", rocTags: "y", renamed: true, withRetained: false, withOwner: false, protect: false }));
  await p.pulumi(["config", "set", "some", "value"]);
  await p.up();
  assert.ok(existsSync(join(p.dir, "Pulumi.dev.yaml")));
  const out = await p.pulumi(["destroy", "--yes", "--skip-preview", "--remove"]);
  assert.match(out.stdout, /history and configuration removed/);
  assert.ok(!existsSync(join(p.dir, "Pulumi.dev.yaml")));
  const stacks = JSON.parse((await p.pulumi(["stack", "ls", "--json"])).stdout) as unknown[];
  assert.deepEqual(stacks, []);
  // Left behind in the "cloud": the retained resource, and the one its owner's delete stood for.
  const left = readdirSync(p.cloud).filter((f) => f.endsWith(".json")).map((f) => f.replace(/-[a-z0-9]+\.json$/, ""));
  assert.deepEqual(left.sort(), ["owned", "retained"]);
});
