import { test } from "node:test";
import assert from "node:assert/strict";
import type { SecretsManager } from "@stackyard/engine/api";
import { createHash } from "node:crypto";
import type { ResourceV3, UpdateInfo } from "@stackyard/protocol";
import { historyJson, initialDeployment, resourceTreeRows, stackListEntries } from "./stack.js";
import { renderTable } from "../workspace/output.js";

const r = (urn: string, type: string, parent?: string, id?: string): ResourceV3 => ({ urn, type, custom: Boolean(id), ...(parent ? { parent } : {}), ...(id ? { id } : {}) });

test("resource tree like `pulumi stack`, with IDs under their rows", () => {
  const stack = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev";
  const rows = resourceTreeRows(
    [r(stack, "pulumi:pulumi:Stack"), r("urn:pulumi:dev::p::my:C::c", "my:C", stack), r("urn:pulumi:dev::p::my:C$x:R::r1", "x:R", "urn:pulumi:dev::p::my:C::c", "i1"), r("urn:pulumi:dev::p::x:R::r2", "x:R", stack)],
    false,
    true,
  );
  assert.ok(rows);
  assert.equal(
    renderTable(["TYPE", "NAME"], rows, "    "),
    "    TYPE                 NAME\n    pulumi:pulumi:Stack  p-dev\n    ├─ my:C              c\n    │  └─ x:R            r1\n    │        ID: i1\n    └─ x:R               r2\n",
  );
  assert.equal(resourceTreeRows([r("urn:pulumi:dev::p::x:R::a", "x:R", "urn:missing")], false, false), undefined);
});

test("stack ls entries: sorted, current marked, DIY omits updateInProgress", () => {
  const ref = (name: string) => ({ organization: "organization", project: "p", name });
  const entries = stackListEntries([{ ref: ref("b"), lastUpdate: 1700000000, resourceCount: 3 }, { ref: ref("a") }], (x) => x.name, "b", false);
  assert.deepEqual(entries, [
    { name: "a", current: false },
    { name: "b", current: true, lastUpdate: "2023-11-14T22:13:20.000Z", resourceCount: 3 },
  ]);
  const svc = stackListEntries([{ ref: ref("c"), lastUpdate: 1, updateInProgress: true }], (x) => x.name, undefined, true);
  assert.deepEqual(svc, [{ name: "c", current: false, updateInProgress: true }]);
});

test("history JSON: in-progress entries have no endTime/resourceChanges; secrets blinded or decrypted", async () => {
  const sm: SecretsManager = { type: "t", state: {}, encrypt: async (p) => p, decrypt: async (c) => c.map((x) => x.toUpperCase()) };
  const updates: UpdateInfo[] = [
    { kind: "update", startTime: 10, message: "m", environment: { a: "b" }, config: { "p:s": { string: "ct", secret: true, object: false } }, result: "in-progress" },
    { kind: "destroy", startTime: 0, endTime: 5, message: "", environment: {}, config: { "p:o": { string: '{"k":1}', secret: false, object: true } }, version: 2, result: "succeeded", resourceChanges: { delete: 1 } },
  ];
  const blind = await historyJson(updates, undefined);
  assert.deepEqual(blind[0], { version: 0, kind: "update", startTime: "1970-01-01T00:00:10.000Z", message: "m", environment: { a: "b" }, config: { "p:s": { secret: true } }, result: "in-progress" });
  assert.deepEqual(blind[1], {
    version: 2,
    kind: "destroy",
    startTime: "1970-01-01T00:00:00.000Z",
    message: "",
    environment: {},
    config: { "p:o": { value: '{"k":1}', objectValue: { k: 1 }, secret: false } },
    result: "succeeded",
    endTime: "1970-01-01T00:00:05.000Z",
    resourceChanges: { delete: 1 },
  });
  assert.deepEqual((await historyJson(updates, sm))[0]!.config, { "p:s": { value: "CT", secret: true } });
  const failing: SecretsManager = { ...sm, decrypt: async () => Promise.reject(new Error("nope")) };
  assert.deepEqual((await historyJson(updates, failing))[0]!.config, { "p:s": { value: "ERROR_UNABLE_TO_DECRYPT", secret: true } });
});

test("a new stack's initial state: manifest magic is sha256 of the version", () => {
  const d = initialDeployment({ type: "passphrase", state: { salt: "s" }, encrypt: async (p) => p, decrypt: async (c) => c }, new Date(0));
  assert.deepEqual(d, {
    version: 3,
    deployment: {
      manifest: { time: "1970-01-01T00:00:00.000Z", magic: createHash("sha256").update("v3.270.0").digest("hex"), version: "v3.270.0" },
      secrets_providers: { type: "passphrase", state: { salt: "s" } },
    },
  });
  assert.match(d.deployment.manifest.magic, /^[0-9a-f]{64}$/);
});
