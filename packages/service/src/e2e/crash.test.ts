/** kill -9 of the service mid-update loses no acknowledged checkpoint; the CLI's retries then succeed. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ADMIN_TOKEN, apiClient, beginUpdate, type Api } from "../testing/harness.js";
import { POSTGRES_SKIP, freshPostgresDatabase } from "../testing/postgres.js";

const CHILD = fileURLToPath(new URL("../testing/child-service.js", import.meta.url));

/** Where the service keeps its data: SQLite in the data dir, or a PostgreSQL database. */
interface Store {
  database?: string;
  drop(): Promise<void>;
}

async function spawnService(dataDir: string, store: Store): Promise<{ child: ChildProcess; api: Api }> {
  const child = spawn(process.execPath, [CHILD, dataDir, ADMIN_TOKEN, store.database ?? ""], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", (l) => resolve(l));
    child.once("exit", (code) => reject(new Error(`service exited with ${code}`)));
  });
  return { child, api: apiClient(line.trim(), ADMIN_TOKEN) };
}

function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

const stateText = (n: number) =>
  `{"version":3,"deployment":{"manifest":{"time":"t","magic":"","version":"v3.260.0"},"resources":[${Array.from({ length: n }, (_, i) => `{"urn":"urn:pulumi:dev::web::t::r${i}","custom":true,"id":"${i}","type":"t"}`).join(",")}]}}`;

function delta(prev: string, next: string, seq: number) {
  const a = Buffer.from(prev);
  const b = Buffer.from(next);
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return {
    version: 3, sequenceNumber: seq, checkpointHash: createHash("sha256").update(b).digest("hex"),
    deploymentDelta: [{ Span: { uri: "", start: { line: 1, column: 1, offset: p }, end: { line: 1, column: 1, offset: a.length - s } }, NewText: b.subarray(p, b.length - s).toString() }],
  };
}

/** A service over one data dir and store, which a test kills with SIGKILL and restarts. */
interface CrashableService {
  api: Api;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

async function withCrashableService(openStore: () => Promise<Store>, run: (svc: CrashableService) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "stackyard-crash-"));
  const store = await openStore();
  let current = await spawnService(dataDir, store);
  try {
    await run({
      api: (...args) => current.api(...args),
      kill: () => killHard(current.child),
      restart: async () => {
        current = await spawnService(dataDir, store);
      },
    });
  } finally {
    await killHard(current.child).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    await store.drop();
  }
}

function crashSuite(name: string, openStore: () => Promise<Store>, skip: string | false = false): void {
describe(name, { skip }, () => {
  test("kill -9 mid-update: acknowledged checkpoints survive, retries and completion succeed after restart", async () => {
    await withCrashableService(openStore, async (svc) => {
      const base = "/api/stacks/stackyard/web/dev";
      assert.equal((await svc.api("POST", "/api/stacks/stackyard/web", { body: { stackName: "dev" } })).status, 200);
      const u = await beginUpdate(svc.api, base);
      const lease = { leaseToken: u.lease, gzip: true };
      assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointverbatim`, { ...lease, body: `{"version":3,"untypedDeployment":${stateText(1)},"sequenceNumber":1}` })).status, 204);
      const d2 = delta(stateText(1), stateText(2), 2);
      assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: d2 })).status, 204);
      assert.equal((await svc.api("POST", `${base}/update/${u.id}/events/batch`, { ...lease, body: { events: [{ sequence: 0, timestamp: 1, stdoutEvent: { message: "x", color: "raw" } }] } })).status, 204);

      // A request in flight when the process dies: the CLI would see a network error and retry it.
      const d3 = delta(stateText(2), stateText(3), 3);
      const inflight = svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: d3 }).catch((e: unknown) => e);
      await svc.kill();
      await inflight;

      await svc.restart();
      // The acknowledged state is there while the update still runs.
      const mid = await svc.api("GET", `${base}/export`);
      assert.ok(mid.text === stateText(2) || mid.text === stateText(3), mid.text);
      // The CLI's retry of the interrupted delta succeeds whether or not it landed before the kill.
      assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: d3 })).status, 204);
      assert.equal((await svc.api("POST", `${base}/update/${u.id}/renew_lease`, { leaseToken: u.lease, body: { token: "", duration: 300 } })).status, 200);
      const d4 = delta(stateText(3), stateText(4), 4);
      assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: d4 })).status, 204);
      assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
      assert.equal((await svc.api("GET", `${base}/export`)).text, stateText(4));
      const h = await svc.api("GET", `${base}/updates`);
      assert.equal(h.json.updates[0].result, "succeeded");

      // And a stack locked by a dead CLI is not stuck forever: a new update still conflicts while the lease lives.
      const next = await beginUpdate(svc.api, base);
      await svc.kill();
      await svc.restart();
      const again = await svc.api("POST", `${base}/update`, { body: { name: "web", runtime: "nodejs", main: "", description: "", options: { dryRun: false }, config: {}, metadata: {} } });
      assert.equal(again.status, 409);
      assert.match(again.json.message, new RegExp(next.id));
    });
  });

  test("kill -9 while full checkpoints stream in: the last acknowledged one survives; the CLI's retry of the lost one lands", async () => {
    await withCrashableService(openStore, async (svc) => {
      const base = "/api/stacks/stackyard/web/full";
      assert.equal((await svc.api("POST", "/api/stacks/stackyard/web", { body: { stackName: "full" } })).status, 200);
      const u = await beginUpdate(svc.api, base);
      const body = (n: number) => `{"isInvalid":false,${stateText(n).slice(1)}`;
      // The CLI saves after every step and waits for each answer; the process dies at an arbitrary
      // moment in that stream (after a few saves were acknowledged, with one in flight).
      let acknowledged = 0;
      let inFlight = 0;
      const writer = (async () => {
        for (let n = 1; ; n++) {
          inFlight = n;
          const r = await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, gzip: true, body: body(n) }).catch(() => undefined);
          if (!r) return;
          assert.equal(r.status, 204);
          acknowledged = n;
        }
      })();
      while (acknowledged < 5) await new Promise((r) => setTimeout(r, 1));
      await svc.kill();
      await writer;
      assert.equal(inFlight, acknowledged + 1);

      await svc.restart();
      const mid = await svc.api("GET", `${base}/export`);
      assert.ok(mid.text === stateText(acknowledged) || mid.text === stateText(inFlight), `acknowledged ${acknowledged}, got ${mid.text.length} bytes`);
      // the CLI retries the save it saw fail, then carries on and completes
      assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, gzip: true, body: body(inFlight) })).status, 204);
      assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, gzip: true, body: body(inFlight + 1) })).status, 204);
      assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
      assert.equal((await svc.api("GET", `${base}/export`)).text, stateText(inFlight + 1));
      assert.deepEqual((await svc.api("GET", `${base}/resources/count`)).json, { resourceCount: inFlight + 1, version: 1 });
    });
  });

  test("kill -9 mid-update with journal entries: the restarted service replays the stored journal at completion", async () => {
    await withCrashableService(openStore, async (svc) => {
      const base = "/api/stacks/stackyard/web/journal";
      assert.equal((await svc.api("POST", "/api/stacks/stackyard/web", { body: { stackName: "journal" } })).status, 200);
      const u = await beginUpdate(svc.api, base, { journalVersion: 1 });
      assert.equal(u.journalVersion, 1);
      const res = (i: number) => ({ urn: `urn:pulumi:journal::web::t::r${i}`, custom: true, id: String(i), type: "t" });
      const batch = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, k) => from + k).flatMap((i) => [
          { version: 1, kind: 0, sequenceID: 2 * i + 1, operationID: i, removeOld: null, removeNew: null, operation: { resource: res(i), type: "creating" } },
          { version: 1, kind: 1, sequenceID: 2 * i + 2, operationID: i, removeOld: null, removeNew: null, state: res(i) },
        ]);
      const url = `${base}/update/${u.id}/journalentries`;
      assert.equal((await svc.api("PATCH", url, { leaseToken: u.lease, gzip: true, body: { entries: batch(0, 3) } })).status, 204);
      await svc.kill();
      await svc.restart();
      // the CLI retries its last batch, then carries on
      assert.equal((await svc.api("PATCH", url, { leaseToken: u.lease, gzip: true, body: { entries: batch(0, 3) } })).status, 204);
      assert.equal((await svc.api("PATCH", url, { leaseToken: u.lease, gzip: true, body: { entries: batch(3, 5) } })).status, 204);
      assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
      const ex = await svc.api("GET", `${base}/export`);
      assert.deepEqual(ex.json.deployment.resources.map((r: { id: string }) => r.id), ["0", "1", "2", "3", "4"]);
    });
  });
});
}

crashSuite("crash recovery on SQLite", async () => ({ drop: async () => undefined }));
crashSuite("crash recovery on PostgreSQL", async () => {
  const db = await freshPostgresDatabase();
  return { database: db.url, drop: db.drop };
}, POSTGRES_SKIP);
