/** Journal ingestion: entries stored per sequence, replayed over the base state at completion. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeploymentV3, JournalEntry, ResourceV3 } from "@stackyard/protocol";
import { openDb } from "../db/db.js";
import { migrate } from "../db/migrations.js";
import { createServices } from "../index.js";
import { validateJournalEntries } from "./lifecycle.js";

const r = (name: string, extra: Partial<ResourceV3> = {}): ResourceV3 => ({ urn: `urn:pulumi:dev::web::t::${name}`, custom: true, id: name, type: "t", ...extra });

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "stackyard-journal-"));
  const db = await openDb(undefined, dir);
  await migrate(db);
  const s = await createServices(db, dir);
  await s.identity.bootstrap({ adminToken: "pul-x", adminLogin: "admin", orgName: "acme" });
  const p = await s.identity.authenticate("pul-x");
  const ref = await s.stacks.create(p, "acme", "web", { stackName: "dev" });
  const cleanup = async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { s, p, ref, cleanup };
}

test("journal entries replay over the base state: removals, replacements, additions, retries, out-of-order batches", async () => {
  const { s, p, ref, cleanup } = await setup();
  try {
    const base: DeploymentV3 = { manifest: { time: "t", magic: "", version: "v3.0.0" }, resources: [r("keep"), r("gone"), r("changed", { outputs: { v: 1 } })] };
    await s.updates.importState(p, ref, Buffer.from(JSON.stringify({ version: 3, deployment: base })));
    const fresh = async () => ({ org: ref.org, stack: (await s.stacks.store.byId(ref.stack.id))! });

    const id = await s.updates.create(p, await fresh(), "update", { name: "web", runtime: "nodejs", main: "", description: "", options: { dryRun: false } });
    const started = await s.updates.start(await fresh(), id, { journalVersion: 3 }, "pulumi-cli/1 (3.261.0; linux)");
    assert.equal(started.journalVersion, 1, "never more than the service supports");
    const u = (await s.updates.store.byId(id))!;

    const e = (sequenceID: number, operationID: number, kind: number, more: Partial<JournalEntry> = {}): JournalEntry =>
      ({ version: 1, kind, sequenceID, operationID, removeOld: null, removeNew: null, ...more }) as JournalEntry;
    const batchA = [
      e(1, 0, 0, { operation: { resource: r("gone"), type: "deleting" } }),
      e(2, 0, 1, { removeOld: 1 }),
      e(3, 1, 0, { operation: { resource: r("changed"), type: "updating" } }),
    ];
    const batchB = [
      e(4, 1, 1, { removeOld: 2, state: r("changed", { outputs: { v: 2 } }) }),
      e(5, 2, 0, { operation: { resource: r("new"), type: "creating" } }),
      e(6, 2, 1, { state: r("new") }),
      e(7, 3, 0, { operation: { resource: r("broken"), type: "creating" } }),
      e(8, 3, 2),
    ];
    await s.updates.journalEntries(u, batchB);
    await s.updates.journalEntries(u, batchA);
    await s.updates.journalEntries(u, batchA);
    await s.updates.complete(u, "succeeded");

    const state = JSON.parse((await s.updates.currentState((await fresh()).stack)).toString()) as { deployment: DeploymentV3 };
    assert.deepEqual(state.deployment.resources?.map((x) => x.urn.split("::").pop()), ["changed", "new", "keep"]);
    assert.deepEqual(state.deployment.resources?.[0]?.outputs, { v: 2 });
    assert.equal(state.deployment.pending_operations, undefined);
    assert.equal(state.deployment.manifest.version, "v3.261.0");
    assert.equal((await fresh()).stack.resource_count, 3);
  } finally {
    await cleanup();
  }
});

test("a failed journaled update still records its partial state as the new version, unfinished operations pending", async () => {
  const { s, p, ref, cleanup } = await setup();
  try {
    const fresh = async () => ({ org: ref.org, stack: (await s.stacks.store.byId(ref.stack.id))! });
    const id = await s.updates.create(p, await fresh(), "update", { name: "web", runtime: "nodejs", main: "", description: "", options: { dryRun: false } });
    await s.updates.start(await fresh(), id, { journalVersion: 1 }, undefined);
    const u = (await s.updates.store.byId(id))!;
    await s.updates.journalEntries(u, [
      { version: 1, kind: 0, sequenceID: 1, operationID: 0, removeOld: null, removeNew: null, operation: { resource: r("a"), type: "creating" } },
      { version: 1, kind: 1, sequenceID: 2, operationID: 0, removeOld: null, removeNew: null, state: r("a") },
      { version: 1, kind: 0, sequenceID: 3, operationID: 1, removeOld: null, removeNew: null, operation: { resource: r("b"), type: "creating" } },
    ]);
    await s.updates.complete(u, "failed");
    const stack = (await fresh()).stack;
    assert.equal(stack.version, 1);
    const state = JSON.parse((await s.updates.stateAtVersion(stack, 1)).toString()) as { deployment: DeploymentV3 };
    assert.deepEqual(state.deployment.resources?.map((x) => x.id), ["a"]);
    assert.deepEqual(state.deployment.pending_operations?.map((o) => [o.resource.id, o.type]), [["b", "creating"]]);
  } finally {
    await cleanup();
  }
});

test("journal validation refuses what the replayer cannot apply", () => {
  assert.throws(() => validateJournalEntries({}), /must be an array/);
  assert.throws(() => validateJournalEntries([{ version: 3, kind: 0, sequenceID: 1, operationID: 0 }]), /version 3/);
  assert.throws(() => validateJournalEntries([{ version: 1, kind: 9, sequenceID: 1, operationID: 0 }]), /kind 9 \(snippets\)/);
  assert.throws(() => validateJournalEntries([{ version: 2, kind: 1, sequenceID: 1, operationID: 0, newStatePatches: [] }]), /newStatePatches/);
  assert.throws(() => validateJournalEntries([{ version: 1, kind: 1, sequenceID: "1", operationID: 0 }]), /integer/);
  assert.equal(validateJournalEntries([{ version: 2, kind: 7, sequenceID: 1, operationID: 0 }]).length, 1);
});

test("a live replay follows an unbroken run of sequence ids and refuses gaps", async () => {
  const { JournalReplayer } = await import("@stackyard/protocol");
  const { LiveJournal } = await import("./lifecycle.js");
  const e = (sequenceID: number, operationID: number, state?: ResourceV3): JournalEntry =>
    ({ version: 1, kind: 1, sequenceID, operationID, removeOld: null, removeNew: null, ...(state ? { state } : {}) }) as JournalEntry;
  const live = new LiveJournal(new JournalReplayer(undefined, "v3.0.0"));
  assert.equal(live.feed([e(2, 1, r("b")), e(1, 0, r("a"))]), true, "a batch may arrive unsorted");
  assert.equal(live.feed([e(2, 1, r("b")), e(3, 2, r("c"))]), true, "retried entries are skipped");
  assert.equal(live.covers(3, 3), true);
  assert.equal(live.covers(4, 4), false, "entries written by another process");
  assert.deepEqual(live.replayer.deployment().deployment.resources?.map((x) => x.id), ["a", "b", "c"]);
  assert.equal(live.feed([e(5, 4, r("e"))]), false, "a gap cannot be replayed in order");
});
