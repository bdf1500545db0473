import { test } from "node:test";
import assert from "node:assert/strict";
import { JournalReplayer, SECRET_SIG, SIG_KEY, type DeploymentV3, type JournalEntry, type ResourceV3 } from "@stackyard/protocol";
import type { JournalSink, SecretsManager } from "../api.js";
import { StateCodec } from "./codec.js";
import { JournalWriter } from "./journal-writer.js";

const secrets: SecretsManager = {
  type: "fake",
  state: {},
  encrypt: async (p) => p.map((x) => `enc:${Buffer.from(x).toString("base64")}`),
  decrypt: async (c) => c.map((x) => Buffer.from(x.slice(4), "base64").toString()),
};

class MemorySink implements JournalSink {
  readonly entries: JournalEntry[] = [];
  async append(entry: JournalEntry): Promise<void> {
    // Entries arrive one by one; a slow sink must not reorder them.
    await new Promise((r) => setTimeout(r, entry.sequenceID % 2));
    this.entries.push(entry);
  }
}

const r = (name: string, extra: Partial<ResourceV3> = {}): ResourceV3 => ({ urn: `urn:pulumi:dev::p::t::${name}`, type: "t", custom: true, inputs: {}, outputs: {}, ...extra });
const names = (d: DeploymentV3) => (d.resources ?? []).map((x) => x.urn.split("::").pop());

function replay(base: DeploymentV3 | undefined, entries: JournalEntry[]): DeploymentV3 {
  const replayer = new JournalReplayer(base, "3.270.0");
  for (const e of entries) replayer.add(e);
  return replayer.deployment().deployment;
}

test("a create, an update, a delete and a replacement replay to the expected state", async () => {
  const base: DeploymentV3 = { manifest: { time: "", magic: "", version: "" }, resources: [r("keep"), r("upd"), r("gone"), r("old-copy")] };
  const sink = new MemorySink();
  const w = new JournalWriter(sink, new StateCodec(secrets));
  const create = w.nextOperationId();
  await w.begin(create, "creating", r("new"));
  await w.success(create, { state: r("new", { id: "n1" }) });
  const update = w.nextOperationId();
  await w.begin(update, "updating", r("upd"));
  await w.success(update, { state: r("upd", { outputs: { v: 2 } }), removeOld: 1 });
  const del = w.nextOperationId();
  await w.begin(del, "deleting", r("gone"));
  await w.success(del, { removeOld: 2 });
  const replace = w.nextOperationId();
  await w.success(replace, { state: r("old-copy", { id: "fresh" }), deleteOld: 3 });
  await w.flush();

  assert.deepEqual(sink.entries.map((e) => e.sequenceID), sink.entries.map((_, i) => i + 1));
  const state = replay(base, sink.entries);
  assert.deepEqual(names(state).sort(), ["keep", "new", "old-copy", "old-copy", "upd"]);
  assert.deepEqual(state.resources!.find((x) => x.urn.endsWith("::upd"))!.outputs, { v: 2 });
  assert.equal(state.resources!.filter((x) => x.delete).length, 1, "the replaced copy is marked for deletion");
  assert.equal(state.pending_operations, undefined);
});

test("a begun operation without an outcome is a pending operation; a failure clears it", async () => {
  const sink = new MemorySink();
  const w = new JournalWriter(sink, new StateCodec(secrets));
  const failed = w.nextOperationId();
  await w.begin(failed, "creating", r("a"));
  await w.failure(failed);
  const interrupted = w.nextOperationId();
  await w.begin(interrupted, "creating", r("b"));
  const state = replay(undefined, sink.entries);
  assert.deepEqual(state.pending_operations?.map((op) => [op.type, op.resource.urn.split("::").pop()]), [["creating", "b"]]);
  assert.equal(state.resources, undefined);
});

test("secrets reach the sink encrypted; outputs and refresh entries replace states", async () => {
  const sink = new MemorySink();
  const w = new JournalWriter(sink, new StateCodec(secrets));
  const base: DeploymentV3 = { manifest: { time: "", magic: "", version: "" }, resources: [r("refreshed"), r("vanished")] };
  const op = w.nextOperationId();
  await w.success(op, { state: r("comp", { custom: false, outputs: {} }) });
  await w.outputs(w.nextOperationId(), op, r("comp", { custom: false, outputs: { pw: { [SIG_KEY]: SECRET_SIG, value: "hunter2" } } }));
  await w.refreshSuccess(w.nextOperationId(), 0, r("refreshed", { outputs: { drift: true } }));
  await w.refreshSuccess(w.nextOperationId(), 1, undefined);
  assert.ok(!JSON.stringify(sink.entries).includes("hunter2"));
  const state = replay(base, sink.entries);
  assert.deepEqual(names(state).sort(), ["comp", "refreshed"]);
  assert.deepEqual(state.resources!.find((x) => x.urn.endsWith("::comp"))!.outputs, { pw: { [SIG_KEY]: SECRET_SIG, ciphertext: `enc:${Buffer.from('"hunter2"').toString("base64")}` } });
  assert.deepEqual(state.resources!.find((x) => x.urn.endsWith("::refreshed"))!.outputs, { drift: true });
});

test("without a sink nothing is written and nothing fails", async () => {
  const w = new JournalWriter(undefined, new StateCodec(secrets));
  assert.equal(w.enabled, false);
  await w.begin(w.nextOperationId(), "creating", r("a"));
  await w.flush();
});
