import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServiceStackRef } from "./paths.js";
import { OrderedUploader } from "./update-session.js";

test("stack names: stack, org/stack and org/project/stack, as the Pulumi CLI reads them", () => {
  assert.deepEqual(parseServiceStackRef("dev", "web", "acme"), { organization: "acme", project: "web", name: "dev" });
  assert.deepEqual(parseServiceStackRef("other/dev", "web", "acme"), { organization: "other", project: "web", name: "dev" });
  assert.deepEqual(parseServiceStackRef("other/api/dev", undefined, "acme"), { organization: "other", project: "api", name: "dev" });
  assert.throws(() => parseServiceStackRef("dev", undefined, "acme"), /fully qualified stack name/);
  assert.throws(() => parseServiceStackRef("a/b/c/d", "web", "acme"), /could not parse/);
  assert.throws(() => parseServiceStackRef("acme/web/bad name", "web", "acme"), /alphanumeric/);
  assert.throws(() => parseServiceStackRef("x/dev", "web", "acme"), /invalid organization name 'x'/);
});

test("uploads in order; what queues during a request goes in the next one", async () => {
  const sent: number[][] = [];
  let release!: () => void;
  const uploader = new OrderedUploader<number>(100, async (items) => {
    sent.push(items);
    if (sent.length === 1) await new Promise<void>((r) => (release = r));
  });
  const first = uploader.push(1);
  const later = [uploader.push(2), uploader.push(3), uploader.push(4)];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent, [[1]], "the first entry goes alone while the others wait");
  release();
  await Promise.all([first, ...later]);
  assert.deepEqual(sent, [[1], [2, 3, 4]]);
  await uploader.drained();
});

test("batches are capped, and after a failure every later item fails too", async () => {
  const sent: number[][] = [];
  const uploader = new OrderedUploader<number>(2, async (items) => {
    sent.push(items);
    if (items.includes(3)) throw new Error("lease lost");
  });
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => uploader.push(n)));
  assert.deepEqual(sent, [[1], [2, 3]], "the batch after the failed one is never sent");
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "rejected", "rejected", "rejected"]);
  await assert.rejects(uploader.push(6), /lease lost/);
  assert.match(String(uploader.failed), /lease lost/);
});
