import { test } from "node:test";
import assert from "node:assert/strict";
import type { ByteCounts } from "./index.js";
import { META, createEntries, openTemp, ref } from "./test-support.js";

async function bytesForUpdate(t: { after(fn: () => void): void }, resources: number): Promise<ByteCounts & { entries: number }> {
  const { backend } = await openTemp(t);
  const r = ref("bench", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  const entries = createEntries("bench", "dev", resources, 64);
  for (const e of entries) await session.journal.append(e);
  await session.complete("succeeded", { create: resources });
  const exported = await backend.exportDeployment(r);
  assert.equal(exported.deployment.resources?.length, resources);
  return { ...session.byteCounts(), entries: entries.length };
}

test("bytes written per update grow linearly with the stack, not quadratically", async (t) => {
  const small = await bytesForUpdate(t, 1_000);
  const large = await bytesForUpdate(t, 10_000);
  const ratio = large.total / small.total;
  t.diagnostic(`N=1000: ${JSON.stringify(small)}`);
  t.diagnostic(`N=10000: ${JSON.stringify(large)}`);
  t.diagnostic(`ratio ${ratio.toFixed(2)}; per resource ${(small.total / 1000).toFixed(0)} B vs ${(large.total / 10000).toFixed(0)} B`);
  // Rewriting the checkpoint per entry would make this ~100x; linear persistence keeps it near 10x.
  assert.ok(ratio < 20, `ratio ${ratio}`);
  assert.ok(ratio > 5, `ratio ${ratio} is implausibly small: is anything being written?`);
  // Every entry is written exactly once, so the journal share is itself linear.
  assert.ok(large.journal / small.journal < 11);
  // A rewrite happens only after at least its predecessor's size in journal bytes, so rewrites
  // (each at most that predecessor plus the growth since) cost at most twice the journal.
  assert.ok(large.checkpoint < 2 * large.journal, `checkpoint bytes ${large.checkpoint} vs journal ${large.journal}`);
});
