import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { DeploymentV3, JournalEntry, VersionedCheckpoint } from "@stackyard/protocol";
import { JournalEntryKind, JournalReplayer } from "@stackyard/protocol";
import { openDiyBackend } from "./index.js";
import { META, createEntries, openTemp, ref, resource } from "./test-support.js";

const ENGINE = "v3.270.0";
const STACK_FILE = ".pulumi/stacks/proj/dev.json";

function withoutTime(d: DeploymentV3): DeploymentV3 {
  return { ...d, manifest: { ...d.manifest, time: "<t>" } };
}

function readStackFile(dir: string): VersionedCheckpoint {
  return JSON.parse(readFileSync(join(dir, STACK_FILE), "utf8")) as VersionedCheckpoint;
}

test("the final checkpoint equals JournalReplayer's fold of the same entries", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  // Start from a non-empty base so removeOld indexes matter.
  const first = await backend.beginUpdate(r, "update", META);
  for (const e of createEntries("proj", "dev", 5)) await first.journal.append(e);
  await first.complete("succeeded", { create: 5 });

  const base = (await backend.exportDeployment(r)).deployment;
  const entries: JournalEntry[] = [
    // Update thing-0 (base index 0): begin, then success replacing the old state.
    { version: 1, kind: JournalEntryKind.Begin, sequenceID: 1, operationID: 1, removeOld: null, removeNew: null,
      operation: { resource: resource("proj", "dev", 0), type: "updating" } },
    { version: 1, kind: JournalEntryKind.Success, sequenceID: 2, operationID: 1, removeOld: 0, removeNew: null,
      state: { ...resource("proj", "dev", 0), outputs: { changed: true } } },
    // Delete thing-4 (base index 4).
    { version: 1, kind: JournalEntryKind.Begin, sequenceID: 3, operationID: 2, removeOld: null, removeNew: null,
      operation: { resource: resource("proj", "dev", 4), type: "deleting" } },
    { version: 1, kind: JournalEntryKind.Success, sequenceID: 4, operationID: 2, removeOld: 4, removeNew: null },
    // A create that fails.
    { version: 1, kind: JournalEntryKind.Begin, sequenceID: 5, operationID: 3, removeOld: null, removeNew: null,
      operation: { resource: resource("proj", "dev", 9), type: "creating" } },
    { version: 1, kind: JournalEntryKind.Failure, sequenceID: 6, operationID: 3, removeOld: null, removeNew: null },
    ...createEntries("proj", "dev", 40).slice(20).map((e, i) => ({ ...e, sequenceID: 7 + i, operationID: 100 + e.operationID })),
  ];
  const session = await backend.beginUpdate(r, "update", META);
  assert.deepEqual(session.base, base);
  for (const e of entries) await session.journal.append(e);
  await session.complete("failed", { update: 1, delete: 1, create: 10 });

  const expected = new JournalReplayer(base, ENGINE);
  for (const e of entries) expected.add(e);
  const want = expected.deployment();
  const file = readStackFile(dir);
  assert.equal(file.version, want.version);
  assert.deepEqual(withoutTime(file.checkpoint.latest!), withoutTime(want.deployment));
  assert.equal(existsSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl")), false, "journal removed on complete");
  // .bak holds the state this update started from.
  const bak = JSON.parse(readFileSync(join(dir, `${STACK_FILE}.bak`), "utf8")) as VersionedCheckpoint;
  assert.deepEqual(bak.checkpoint.latest, base);
  // Pulumi also keeps a copy in backups/ after every update.
  assert.equal(readdirSync(join(dir, ".pulumi/backups/proj/dev")).filter((f) => /^dev\.\d+\.json$/.test(f)).length, 2);
});

test("checkpoints are Pulumi's format: version, stack, latest, manifest magic", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  for (const e of createEntries("proj", "dev", 3)) await session.journal.append(e);
  await session.complete("succeeded", { create: 3 });
  const raw = readFileSync(join(dir, STACK_FILE), "utf8");
  const file = JSON.parse(raw) as VersionedCheckpoint;
  assert.deepEqual(Object.keys(file), ["version", "checkpoint"]);
  assert.equal(file.version, 3);
  assert.equal(file.checkpoint.stack, "organization/proj/dev");
  const m = file.checkpoint.latest!.manifest;
  assert.equal(m.version, ENGINE);
  assert.equal(m.magic, createHash("sha256").update(m.version).digest("hex"));
  assert.match(m.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  for (const res of file.checkpoint.latest!.resources!) {
    assert.equal(typeof res.urn, "string");
    assert.equal(typeof res.type, "string");
    assert.equal(typeof res.custom, "boolean");
  }
  assert.ok(!raw.includes("\n"), "compact JSON, as Pulumi's DIY marshaler writes");
});

test("long updates rewrite the stack file mid-flight with what has been journaled so far", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  const entries = createEntries("proj", "dev", 200);
  for (const e of entries.slice(0, 301)) await session.journal.append(e);
  assert.ok(session.compactions >= 3, `expected several rewrites, got ${session.compactions}`);
  const mid = readStackFile(dir);
  const onDisk = mid.checkpoint.latest!;
  // Whatever was last rewritten is a prefix of the replay: resources created so far, in order.
  const n = onDisk.resources?.length ?? 0;
  assert.ok(n > 0 && n <= 150);
  assert.deepEqual(onDisk.resources, entries.filter((e) => e.state).slice(0, n).map((e) => e.state));
  // Another reader sees that same rewritten state and does not disturb the live journal.
  const reader = await openDiyBackend(`file://${dir}`, { env: {} });
  assert.equal((await reader.exportDeployment(r)).deployment.resources?.length, n);
  assert.ok(existsSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl")));
  for (const e of entries.slice(301)) await session.journal.append(e);
  await session.complete("succeeded", { create: 200 });
  assert.equal((await reader.exportDeployment(r)).deployment.resources?.length, 200);
});

const here = fileURLToPath(new URL(".", import.meta.url));

/** Runs an update in a child process that SIGKILLs itself after `count` creates and one unfinished create. */
function crashingChild(dir: string, count: number): { compactions: number } {
  const script = `
    import { openDiyBackend } from ${JSON.stringify(pathToFileURL(join(here, "index.js")).href)};
    import { createEntries, META } from ${JSON.stringify(pathToFileURL(join(here, "test-support.js")).href)};
    const backend = await openDiyBackend(${JSON.stringify(`file://${dir}`)}, { env: {} });
    const ref = { organization: "organization", project: "proj", name: "dev" };
    const session = await backend.beginUpdate(ref, "update", META);
    const entries = createEntries("proj", "dev", ${count + 1});
    for (const e of entries.slice(0, -1)) await session.journal.append(e);
    process.stdout.write(JSON.stringify({ compactions: session.compactions }));
    process.kill(process.pid, "SIGKILL");
  `;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(res.signal, "SIGKILL", res.stderr);
  return JSON.parse(res.stdout) as { compactions: number };
}

test("a killed update is replayed on next open: nothing acknowledged is lost, the unfinished op is pending", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const { compactions } = crashingChild(dir, 60);
  assert.ok(compactions > 0, "the crash happens after the stack file was rewritten, so recovery must use .bak");
  assert.ok(existsSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl")));

  const fresh = await openDiyBackend(`file://${dir}`, { env: {} });
  // Merely looking at the stack replays the abandoned journal.
  assert.equal((await fresh.getStack(r))?.resourceCount, 60);
  assert.equal(existsSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl")), false);
  const recovered = (await fresh.exportDeployment(r)).deployment;
  assert.equal(recovered.resources?.length, 60);
  assert.deepEqual(
    recovered.pending_operations?.map((op) => [op.type, op.resource.urn]),
    [["creating", "urn:pulumi:dev::proj::test:index:Thing::thing-60"]],
  );
  assert.equal(existsSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl")), false);
  // The dead process's lock was reclaimed, so a new update can start and sees the recovered base.
  const session = await fresh.beginUpdate(r, "update", META);
  assert.equal(session.base?.resources?.length, 60);
  assert.equal(session.base?.pending_operations?.length, 1);
  await session.complete("succeeded", {});
  // A crash writes no history entry; the completed update does.
  assert.equal((await fresh.history(r)).length, 1);
});

test("a crash before any rewrite replays onto the untouched stack file; a torn last line is ignored", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const seed = await backend.beginUpdate(r, "update", META);
  for (const e of createEntries("proj", "dev", 50)) await seed.journal.append(e);
  await seed.complete("succeeded", {});

  const session = await backend.beginUpdate(r, "refresh", META);
  const update: JournalEntry = {
    version: 1, kind: JournalEntryKind.Success, sequenceID: 1, operationID: 1, removeOld: 3, removeNew: null,
    state: { ...resource("proj", "dev", 46), outputs: { refreshed: true } },
  };
  await session.journal.append(update);
  assert.equal(session.compactions, 0);
  appendFileSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl"), '{"version":1,"kind":1,"sequ');
  // The process "dies": its lock is broken with cancel, as a user would after a crash.
  await backend.cancelUpdate(r);

  const recovered = (await backend.exportDeployment(r)).deployment;
  assert.equal(recovered.resources?.length, 50);
  assert.deepEqual(recovered.resources![0]!.outputs, { refreshed: true });
  assert.equal(recovered.pending_operations, undefined);
});

test("a journal whose base no longer matches the state is discarded, not replayed", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  for (const e of createEntries("proj", "dev", 2)) await session.journal.append(e);
  await backend.cancelUpdate(r);
  // Someone replaces the state (and its backup) underneath the abandoned journal.
  const replaced: VersionedCheckpoint = {
    version: 3,
    checkpoint: { stack: "organization/proj/dev", latest: { manifest: { time: "2026-02-02T00:00:00Z", magic: "", version: "" } } },
  };
  writeFileSync(join(dir, STACK_FILE), JSON.stringify(replaced));
  writeFileSync(join(dir, `${STACK_FILE}.bak`), JSON.stringify(replaced));
  const out = (await backend.exportDeployment(r)).deployment;
  assert.equal(out.resources, undefined);
  assert.equal(existsSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl")), false);
});

test("appends after complete are refused; an entry the replayer rejects never reaches the journal", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  const bad = { version: 1, kind: 99, sequenceID: 1, operationID: 1, removeOld: null, removeNew: null } as unknown as JournalEntry;
  await assert.rejects(session.journal.append(bad), /unknown journal entry kind 99/);
  const lines = readFileSync(join(dir, ".pulumi/stacks/proj/dev.journal.jsonl"), "utf8").trim().split("\n");
  assert.equal(lines.length, 1, "only the header");
  await session.complete("succeeded", {});
  await assert.rejects(session.journal.append(createEntries("proj", "dev", 1)[0]!), /after the update completed/);
});
