import { protocolSuite } from "./protocol-suite.js";
import { startTestService } from "../testing/harness.js";
import { POSTGRES_SKIP, freshPostgresDatabase, startPostgresTestService } from "../testing/postgres.js";

/** The same protocol suite on PostgreSQL (runs when STACKYARD_TEST_POSTGRES_URL is set). */
protocolSuite("CLI protocol on PostgreSQL", () => startPostgresTestService(), POSTGRES_SKIP);

import { test } from "node:test";
import assert from "node:assert/strict";
import { beginUpdate, deployment, resource } from "../testing/harness.js";

test("two service processes share one PostgreSQL database: a lock and an update span both", { skip: POSTGRES_SKIP }, async () => {
  const pgdb = await freshPostgresDatabase();
  const masterKey = Buffer.alloc(32, 7).toString("base64");
  const [a, b] = await Promise.all([startTestService({ database: pgdb.url, masterKey }), startTestService({ database: pgdb.url, masterKey })]);
  try {
    const base = "/api/stacks/stackyard/web/shared";
    assert.equal((await a.api("POST", "/api/stacks/stackyard/web", { body: { stackName: "shared" } })).status, 200);
    assert.equal((await b.api("GET", base)).status, 200);
    const u = await beginUpdate(a.api, base);
    const conflict = await b.api("POST", `${base}/update`, { body: { options: { dryRun: false } } });
    assert.equal(conflict.status, 409);
    const enc = await a.api("POST", `${base}/encrypt`, { body: { plaintext: Buffer.from("s").toString("base64") } });
    assert.equal((await b.api("POST", `${base}/decrypt`, { body: { ciphertext: enc.json.ciphertext } })).json.plaintext, Buffer.from("s").toString("base64"));
    // checkpoints alternate between processes; each sees the other's writes
    const d1 = deployment([resource("shared", "a")]);
    const d2 = deployment([resource("shared", "a"), resource("shared", "b")]);
    assert.equal((await a.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, body: { version: 3, deployment: d1 } })).status, 204);
    assert.deepEqual((await b.api("GET", `${base}/export`)).json.deployment, d1);
    assert.equal((await b.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, body: { version: 3, deployment: d2 } })).status, 204);
    assert.deepEqual((await a.api("GET", `${base}/export`)).json.deployment, d2);
    assert.equal((await b.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
    assert.equal((await a.api("GET", base)).json.version, 1);
    assert.deepEqual((await a.api("GET", `${base}/export`)).json.deployment, d2);

    // two processes starting updates on one stack at the same moment: exactly one wins
    for (let round = 0; round < 5; round++) {
      const body = { options: { dryRun: false } };
      const [ca, cb] = await Promise.all([a.api("POST", `${base}/update`, { body }), b.api("POST", `${base}/update`, { body })]);
      const [sa, sb] = await Promise.all([
        a.api("POST", `${base}/update/${ca.json.updateID}`, { body: {} }),
        b.api("POST", `${base}/update/${cb.json.updateID}`, { body: {} }),
      ]);
      assert.deepEqual([sa.status, sb.status].sort(), [200, 409]);
      const winner = sa.status === 200 ? { id: ca.json.updateID, lease: sa.json.token } : { id: cb.json.updateID, lease: sb.json.token };
      assert.equal((await a.api("POST", `${base}/update/${winner.id}/complete`, { leaseToken: winner.lease, body: { status: "succeeded" } })).status, 204);
    }
    assert.equal((await b.api("GET", base)).json.version, 6);
  } finally {
    await a.stop();
    await b.stop();
    await pgdb.drop();
  }
});
