import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { UpdateKind } from "@stackyard/protocol";
import { createEntries, openTemp, ref } from "./test-support.js";

test("history is newest first, pages are 1-based, and files use Pulumi's names and shape", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  assert.deepEqual(await backend.history(r), []);
  const kinds: UpdateKind[] = ["update", "refresh", "update", "destroy", "update"];
  for (const [i, kind] of kinds.entries()) {
    const session = await backend.beginUpdate(r, kind, {
      message: `run ${i}`,
      environment: { "exec.kind": "auto.local" },
      config: {
        "proj:plain": { string: "hello", secret: false, object: false },
        "proj:secret": { string: "v1:abc:def", secret: true, object: false },
        "proj:obj": { string: '{"a":1,"b":{"secure":"v1:x:y"}}', secret: true, object: true },
      },
    });
    if (i === 0) for (const e of createEntries("proj", "dev", 2)) await session.journal.append(e);
    await session.complete(i === 3 ? "failed" : "succeeded", i === 0 ? { create: 2 } : {});
  }

  const all = await backend.history(r);
  assert.deepEqual(all.map((h) => h.message), ["run 4", "run 3", "run 2", "run 1", "run 0"]);
  assert.deepEqual(all.map((h) => h.kind), ["update", "destroy", "update", "refresh", "update"]);
  assert.equal(all[1]!.result, "failed");
  assert.deepEqual(all[4]!.resourceChanges, { create: 2 });
  assert.equal(all[0]!.resourceChanges, undefined);
  assert.ok(all[0]!.startTime > 1_700_000_000 && all[0]!.endTime! >= all[0]!.startTime);
  assert.deepEqual(all[0]!.config["proj:obj"], { string: '{"a":1,"b":{"secure":"v1:x:y"}}', secret: true, object: true });
  assert.deepEqual(all[0]!.config["proj:secret"], { string: "v1:abc:def", secret: true, object: false });

  assert.deepEqual((await backend.history(r, 2, 1)).map((h) => h.message), ["run 4", "run 3"]);
  assert.deepEqual((await backend.history(r, 2, 2)).map((h) => h.message), ["run 2", "run 1"]);
  assert.deepEqual((await backend.history(r, 2, 3)).map((h) => h.message), ["run 0"]);
  assert.deepEqual(await backend.history(r, 2, 4), []);
  assert.deepEqual((await backend.history(r, 1, 0)).map((h) => h.message), ["run 4"], "page < 1 means page 1");

  const files = readdirSync(join(dir, ".pulumi/history/proj/dev")).sort();
  assert.equal(files.length, 10);
  for (const f of files) assert.match(f, /^dev-\d{19}\.(history|checkpoint)\.json$/);
  const onDisk = JSON.parse(readFileSync(join(dir, ".pulumi/history/proj/dev", files.find((f) => f.endsWith(".history.json"))!), "utf8"));
  assert.deepEqual(Object.keys(onDisk), ["kind", "startTime", "message", "environment", "config", "version", "result", "endTime", "resourceChanges"]);
  // config.Map on disk: plain strings, {secure}, and objects — what a Pulumi CLI reads.
  assert.deepEqual(onDisk.config, { "proj:plain": "hello", "proj:secret": { secure: "v1:abc:def" }, "proj:obj": { a: 1, b: { secure: "v1:x:y" } } });
  assert.equal(onDisk.version, 0);

  // Like Pulumi's DIY backend, earlier versions cannot be exported (only the service keeps them addressable).
  await assert.rejects(backend.exportDeployment(r, 1), /does not provide the ability to export previous deployments/);
  // ...but each update's checkpoint copy is on disk beside its history entry.
  const copy = files.find((f) => f.endsWith(".checkpoint.json"))!;
  const first = JSON.parse(readFileSync(join(dir, ".pulumi/history/proj/dev", copy), "utf8"));
  assert.equal(first.checkpoint.latest.resources.length, 2);

  const listed = await backend.listStacks({});
  assert.equal(listed[0]!.resourceCount, 2);
  assert.ok(Math.abs(listed[0]!.lastUpdate! - Date.now() / 1000) < 60);
});
