/**
 * Failures leave a consistent state: a program that throws, a provider whose create fails, and a
 * CLI killed with SIGKILL in the middle of a create (the pending operation is reported by the next
 * run and resolved by refresh).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TestProject, byName } from "./support.js";

function program(extra: string, prologue = ""): string {
  return `
const pulumi = require("@pulumi/pulumi");
const { Thing } = require("./thing");
${prologue}
new Thing("steady", { label: "steady", value: "s" });
${extra}
`;
}

let p: TestProject;
before(async () => {
  p = new TestProject("failures", { "index.js": program("") });
  await p.init();
  await p.up();
});
after(() => p?.cleanup());

test("a program that throws exits 255 with its message; the next up works", async () => {
  // On Node 20 this used to take 20-30 s: the SDK's util.inspect of the error loops in Node's
  // markNodeModules; the engine's inspect guard (engine/src/program/node20-inspect-guard.ts) avoids it.
  p.write("index.js", program(`new Thing("extra", { label: "extra" });`, `throw new pulumi.RunError("the program gave up: xyzzy");`));
  const run = await p.pulumi(["up", "--yes", "--skip-preview"], { expectCode: 255 });
  assert.match(run.stdout + run.stderr, /the program gave up: xyzzy/);
  const state = await p.exportState();
  assert.equal(state.deployment.pending_operations, undefined);
  assert.ok(byName(state.deployment.resources ?? [], "steady"), "a failed program deletes nothing");
  // Whatever the failed run managed to create is deleted by the next good one.
  p.write("index.js", program(""));
  await p.up();
  const resources = await p.resources();
  assert.ok(!resources.some((r) => r.urn.endsWith("::extra")), "what the failed run created is deleted by the next one");
});

test("a failing provider create exits 255 with the provider's message; nothing pending", async () => {
  p.write("index.js", program(`new Thing("broken", { label: "broken", failCreate: "quota exceeded: plugh" });\nnew Thing("fine", { label: "fine" });`));
  const run = await p.pulumi(["up", "--yes", "--skip-preview"], { expectCode: 255 });
  assert.match(run.stdout + run.stderr, /quota exceeded: plugh/);
  assert.match(run.stdout, /Resources:/);
  const state = await p.exportState();
  assert.equal(state.deployment.pending_operations, undefined);
  assert.ok(!(state.deployment.resources ?? []).some((r) => r.urn.endsWith("::broken")));
  p.write("index.js", program(`new Thing("fine", { label: "fine" });`));
  await p.up();
  assert.ok(byName(await p.resources(), "fine").id);
});

test("SIGKILL mid-create leaves a pending operation that the next run reports and refresh resolves", async () => {
  p.clearOps();
  p.write("index.js", program(`new Thing("fine", { label: "fine" });\nnew Thing("slow", { label: "slow", sleepMs: 60000 });`));
  const run = await p.spawnUntilOp(["up", "--yes", "--skip-preview"], "begin-create slow");
  process.kill(-run.child.pid!, "SIGKILL");
  await run.closed;

  // Once the dead process's lock is broken, the stack's state (checkpoint plus the journal the dead
  // update left, replayed) records the interrupted create.
  await p.pulumi(["cancel", "--yes"], { expectCode: undefined }).catch(() => undefined);
  const pending = (await p.exportState()).deployment.pending_operations ?? [];
  assert.deepEqual(pending.map((op) => [op.type, op.resource.urn.split("::").pop()]), [["creating", "slow"]]);
  JSON.parse(p.checkpointText()); // and the stack file itself is whole JSON

  // The next run reports it.
  p.write("index.js", program(`new Thing("fine", { label: "fine" });\nnew Thing("slow", { label: "slow" });`));
  const next = await p.up();
  assert.match(next.stdout + next.stderr, /pending operations? from previous deployment/);
  assert.match(next.stdout + next.stderr, /slow, interrupted while creating/);
  assert.ok(byName(await p.resources(), "slow").id);
  assert.ok(byName(await p.resources(), "steady").id, "nothing recorded before the kill is lost");

  // A pending create survives an update (the resource may exist); refresh clears it.
  await p.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
  const after = await p.exportState();
  assert.equal(after.deployment.pending_operations, undefined);
  const again = await p.up();
  assert.doesNotMatch(again.stdout + again.stderr, /pending operation/);
});
