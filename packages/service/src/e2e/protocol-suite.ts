/** The CLI protocol end to end over HTTP (service-protocol.md §12 facts), for any database. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { TestService } from "../testing/harness.js";
import { beginUpdate, deployment, programRequest, resource } from "../testing/harness.js";

const ORG = "stackyard";

export function protocolSuite(name: string, start: () => Promise<TestService>, skip: string | false = false): void {
describe(name, { skip }, () => {
let svc: TestService;
before(async () => {
  svc = await start();
});
after(async () => {
  await svc?.stop();
});

async function newStack(name: string, project = "web"): Promise<string> {
  const r = await svc.api("POST", `/api/stacks/${ORG}/${project}`, { body: { stackName: name, tags: { "pulumi:project": project } } });
  assert.equal(r.status, 200, r.text);
  return `/api/stacks/${ORG}/${project}/${name}`;
}

test("capabilities advertise delta checkpoints, batch encryption, schema v4 and journaling", async () => {
  const r = await svc.api("GET", "/api/capabilities", { token: null });
  assert.equal(r.status, 200);
  const caps = r.json.capabilities as { capability: string; version?: number; configuration?: Record<string, unknown> }[];
  const delta = caps.find((c) => c.capability === "delta-checkpoint-uploads-v2");
  assert.equal(delta?.version, 2);
  assert.equal(typeof delta?.configuration?.["checkpointCutoffSizeBytes"], "number");
  assert.deepEqual(caps.find((c) => c.capability === "deployment-schema-version"), { capability: "deployment-schema-version", version: 1, configuration: { version: 4 } });
  assert.ok(caps.some((c) => c.capability === "batch-encrypt"));
  assert.ok(caps.some((c) => c.capability === "journal-entries"));
});

test("401 with a {code, message} body without a valid token; unknown routes 404 with the error body", async () => {
  for (const token of [null, "pul-wrong"]) {
    const r = await svc.api("GET", "/api/user", { token });
    assert.equal(r.status, 401);
    assert.equal(r.json.code, 401);
    assert.equal(typeof r.json.message, "string");
  }
  const nf = await svc.api("GET", "/api/no/such/route");
  assert.equal(nf.status, 404);
  assert.equal(nf.json.code, 404);
  const bad = await svc.api("POST", `/api/stacks/${ORG}/web`, { body: "{not json" });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 400);
});

test("user and default organization", async () => {
  const u = await svc.api("GET", "/api/user");
  assert.equal(u.status, 200);
  assert.equal(u.json.githubLogin, "admin");
  assert.deepEqual(u.json.organizations.map((o: { githubLogin: string }) => o.githubLogin), [ORG]);
  const d = await svc.api("GET", "/api/user/organizations/default");
  assert.deepEqual(d.json, { GitHubLogin: ORG });
});

test("stack create / duplicate 409 / get / list / tags / export of a new stack", async () => {
  const base = await newStack("dev");
  const dup = await svc.api("POST", `/api/stacks/${ORG}/web`, { body: { stackName: "dev" } });
  assert.equal(dup.status, 409);
  assert.match(dup.json.message, /already exists/);
  const g = await svc.api("GET", base);
  assert.equal(g.status, 200);
  assert.equal(g.json.activeUpdate, "");
  assert.equal(g.json.version, 0);
  assert.deepEqual([g.json.orgName, g.json.projectName, g.json.stackName], [ORG, "web", "dev"]);
  assert.equal("config" in g.json, false);
  const missing = await svc.api("GET", `/api/stacks/${ORG}/web/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.json.code, 404);

  const ls = await svc.api("GET", "/api/user/stacks?project=web");
  assert.ok(ls.json.stacks.some((s: { stackName: string; projectName: string }) => s.stackName === "dev" && s.projectName === "web"));
  const none = await svc.api("GET", "/api/user/stacks?project=nothing-here");
  assert.deepEqual(none.json, { stacks: [] });

  const ex = await svc.api("GET", `${base}/export`);
  assert.equal(ex.status, 200);
  assert.ok(ex.json.version >= 1);
  assert.equal(typeof ex.json.deployment.manifest, "object");

  assert.equal((await svc.api("PATCH", `${base}/tags`, { body: { "pulumi:project": "web", owner: "team-a" } })).status, 204);
  assert.equal((await svc.api("PATCH", `${base}/tags`, { body: { owner: "team-b" } })).status, 204);
  assert.deepEqual((await svc.api("GET", base)).json.tags, { owner: "team-b" });
  const badTag = await svc.api("PATCH", `${base}/tags`, { body: { "bad tag!": "x" } });
  assert.equal(badTag.status, 400);
});

test("full checkpoint (gzip) → complete → export returns it; history, status, events, idempotent complete", async () => {
  const base = await newStack("full");
  const u = await beginUpdate(svc.api, base);
  assert.equal(u.version, 1);
  assert.equal(u.journalVersion, 0);
  assert.ok(u.lease.length > 0);

  const dep = deployment([resource("full", "a"), resource("full", "b")]);
  const cp = await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, gzip: true, body: { isInvalid: false, version: 3, deployment: dep } });
  assert.equal(cp.status, 204, cp.text);
  // an API token on a lease route is refused; so is a wrong lease token
  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { body: { version: 3, deployment: dep } })).status, 401);
  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: "nope", body: { version: 3, deployment: dep } })).status, 401);

  const events = [
    { sequence: 0, timestamp: 1, preludeEvent: { config: {} } },
    { sequence: 2, timestamp: 1, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 2 }, PolicyPacks: {}, isPreview: false } },
    { sequence: 1, timestamp: 1, stdoutEvent: { message: "hi", color: "raw" } },
  ];
  assert.equal((await svc.api("POST", `${base}/update/${u.id}/events/batch`, { leaseToken: u.lease, gzip: true, body: { events } })).status, 204);
  assert.equal((await svc.api("POST", `${base}/update/${u.id}/events/batch`, { leaseToken: u.lease, gzip: true, body: { events } })).status, 204);

  const running = await svc.api("GET", `${base}/update/${u.id}`);
  assert.equal(running.json.status, "running");
  assert.equal(typeof running.json.continuationToken, "string");
  const stack = await svc.api("GET", base);
  assert.equal(stack.json.activeUpdate, u.id);
  assert.equal(stack.json.currentOperation.kind, "update");
  assert.equal(stack.json.currentOperation.author, "admin");

  const renew = await svc.api("POST", `${base}/update/${u.id}/renew_lease`, { leaseToken: u.lease, body: { token: "", duration: 300 } });
  assert.equal(renew.status, 200);
  assert.ok(renew.json.token.length > 0);

  assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
  assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);

  const ex = await svc.api("GET", `${base}/export`);
  assert.deepEqual(ex.json, { version: 3, deployment: dep });
  const exv = await svc.api("GET", `${base}/export/1`);
  assert.deepEqual(exv.json, { version: 3, deployment: dep });
  assert.equal((await svc.api("GET", `${base}/export/7`)).status, 404);

  const ev = await svc.api("GET", `${base}/update/${u.id}/events`);
  assert.deepEqual(ev.json.events.map((e: { sequence: number }) => e.sequence), [0, 1, 2]);
  assert.equal(ev.json.continuationToken, null);
  const done = await svc.api("GET", `${base}/update/${u.id}`);
  assert.equal(done.json.status, "succeeded");
  assert.equal("continuationToken" in done.json, false);

  const h = await svc.api("GET", `${base}/updates?pageSize=1&page=1`);
  assert.equal(h.json.updates.length, 1);
  const info = h.json.updates[0];
  assert.equal(info.kind, "update");
  assert.equal(info.result, "succeeded");
  assert.equal(info.version, 1);
  assert.deepEqual(info.resourceChanges, { create: 2 });
  assert.equal(typeof info.startTime, "number");
  assert.equal(typeof info.endTime, "number");
  assert.deepEqual(info.environment, { "exec.kind": "cli" });

  const s = await svc.api("GET", base);
  assert.equal(s.json.version, 1);
  assert.equal("currentOperation" in s.json, false);
  const list = await svc.api("GET", "/api/user/stacks?project=web");
  const summary = list.json.stacks.find((x: { stackName: string }) => x.stackName === "full");
  assert.equal(summary.resourceCount, 2);
  assert.ok(summary.lastUpdate > 0);
});

test("previews: token, unchanged version, no lock, no history", async () => {
  const base = await newStack("prev");
  const c = await svc.api("POST", `${base}/preview`, { body: programRequest(true) });
  const s = await svc.api("POST", `${base}/update/${c.json.updateID}`, { body: { tags: null, journalVersion: 1 } });
  assert.equal(s.status, 200);
  assert.ok(s.json.token);
  assert.equal(s.json.version, 0);
  assert.equal(s.json.journalVersion, 0);
  // a real update may run beside a preview
  const real = await beginUpdate(svc.api, base);
  assert.equal(real.version, 1);
  assert.equal((await svc.api("POST", `${base}/update/${c.json.updateID}/complete`, { leaseToken: s.json.token, body: { status: "succeeded" } })).status, 204);
  assert.equal((await svc.api("POST", `${base}/update/${real.id}/complete`, { leaseToken: real.lease, body: { status: "succeeded" } })).status, 204);
  const h = await svc.api("GET", `${base}/updates`);
  assert.deepEqual(h.json.updates.map((u: { kind: string }) => u.kind), ["update"]);
  const pv = await svc.api("GET", `${base}/updates/latest/previews`);
  assert.equal(pv.status, 200);
});

test("a second update on a locked stack gets 409 naming the holder and the lease expiry, at create and at start", async () => {
  const base = await newStack("locked");
  const first = await beginUpdate(svc.api, base);
  const created = await svc.api("POST", `${base}/update`, { body: programRequest(false) });
  assert.equal(created.status, 409);
  assert.ok(created.json.message.startsWith("Conflict: Another update is currently in progress."), created.json.message);
  assert.match(created.json.message, /locked by admin/);
  assert.match(created.json.message, /lease expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
  // a dry run created before the lock may not start a real run; a real one created earlier is refused at start
  const preCreated = await svc.api("POST", `${base}/refresh`, { body: programRequest(true) });
  assert.equal(preCreated.status, 200);
  await svc.api("POST", `${base}/update/${first.id}/cancel`);
  const second = await svc.api("POST", `${base}/update`, { body: programRequest(false) });
  assert.equal(second.status, 200);
  const third = await beginUpdate(svc.api, base);
  const startSecond = await svc.api("POST", `${base}/update/${second.json.updateID}`, { body: {} });
  assert.equal(startSecond.status, 409);
  assert.ok(startSecond.json.message.startsWith("Conflict: Another update is currently in progress."));
  assert.match(startSecond.json.message, new RegExp(third.id));
  // cancel: later lease calls are refused with 403, and a second cancel is a 409
  assert.equal((await svc.api("POST", `${base}/update/${third.id}/cancel`)).status, 204);
  assert.equal((await svc.api("POST", `${base}/update/${third.id}/renew_lease`, { leaseToken: third.lease, body: { token: "", duration: 300 } })).status, 403);
  assert.equal((await svc.api("PATCH", `${base}/update/${third.id}/checkpoint`, { leaseToken: third.lease, body: { version: 3, deployment: deployment([]) } })).status, 403);
  assert.equal((await svc.api("POST", `${base}/update/${third.id}/cancel`)).status, 409);
  const h = await svc.api("GET", `${base}/updates`);
  assert.deepEqual(h.json.updates.map((u: { result: string }) => u.result), ["failed", "failed"]);
});

test("verbatim + delta checkpoints: byte-exact export, hash mismatch refused, retry idempotent, verbatim fallback", async () => {
  const base = await newStack("delta");
  const u = await beginUpdate(svc.api, base);
  const lease = { leaseToken: u.lease, gzip: true };
  // non-ASCII text makes byte offsets differ from string offsets
  const v1 = `{"version":3,"deployment":{"manifest":{"time":"t","magic":"","version":"v3"},"resources":[{"urn":"urn:pulumi:delta::web::t::ä","custom":false,"type":"t"}]}}`;
  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointverbatim`, { ...lease, body: `{"version":3,"untypedDeployment":${v1},"sequenceNumber":1}` })).status, 204);
  const oldBuf = Buffer.from(v1);
  const insertAt = oldBuf.indexOf("]}}");
  const added = `,{"urn":"urn:pulumi:delta::web::t::ö","custom":false,"type":"t"}`;
  const v2 = Buffer.concat([oldBuf.subarray(0, insertAt), Buffer.from(added), oldBuf.subarray(insertAt)]);
  const hash = createHash("sha256").update(v2).digest("hex");
  const delta = { version: 3, checkpointHash: hash, sequenceNumber: 2, deploymentDelta: [{ Span: { uri: "", start: { line: 1, column: 1, offset: insertAt }, end: { line: 1, column: 1, offset: insertAt } }, NewText: added }] };

  const wrong = await svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: { ...delta, checkpointHash: "0".repeat(64) } });
  assert.ok(wrong.status >= 400 && wrong.status < 500);
  assert.equal(wrong.json.code, wrong.status);
  assert.deepEqual(JSON.parse((await svc.api("GET", `${base}/export`)).text), JSON.parse(v1));

  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: delta })).status, 204);
  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: delta })).status, 204);
  assert.equal((await svc.api("GET", `${base}/export`)).text, v2.toString());

  // a delta not built on the stored state is refused; the CLI then sends a verbatim with that number
  const gap = await svc.api("PATCH", `${base}/update/${u.id}/checkpointdelta`, { ...lease, body: { ...delta, sequenceNumber: 5 } });
  assert.equal(gap.status, 409);
  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointverbatim`, { ...lease, body: `{"version":3,"untypedDeployment":${v1},"sequenceNumber":5}` })).status, 204);
  // a late retry of an older verbatim does not roll the state back
  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpointverbatim`, { ...lease, body: `{"version":3,"untypedDeployment":${v2},"sequenceNumber":2}` })).status, 204);
  assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
  assert.equal((await svc.api("GET", `${base}/export`)).text, v1);
});

test("journal entries: start returns journalVersion 1 only when asked; entries replay into the snapshot at completion", async () => {
  const base = await newStack("journal");
  const plain = await beginUpdate(svc.api, base);
  assert.equal(plain.journalVersion, 0);
  const rej = await svc.api("PATCH", `${base}/update/${plain.id}/journalentries`, { leaseToken: plain.lease, body: { entries: [] } });
  assert.equal(rej.status, 400);
  await svc.api("POST", `${base}/update/${plain.id}/complete`, { leaseToken: plain.lease, body: { status: "succeeded" } });

  const u = await beginUpdate(svc.api, base, { journalVersion: 1 });
  assert.equal(u.journalVersion, 1);
  const a = resource("journal", "a");
  const b = resource("journal", "b");
  const batch1 = [
    { version: 1, kind: 0, sequenceID: 1, operationID: 0, removeOld: null, removeNew: null, operation: { resource: a, type: "creating" } },
    { version: 1, kind: 1, sequenceID: 2, operationID: 0, removeOld: null, removeNew: null, state: a },
    { version: 1, kind: 0, sequenceID: 3, operationID: 1, removeOld: null, removeNew: null, operation: { resource: b, type: "creating" } },
  ];
  const url = `${base}/update/${u.id}/journalentries`;
  assert.equal((await svc.api("PATCH", url, { leaseToken: u.lease, gzip: true, body: { entries: batch1 } })).status, 204);
  // while running, export shows the replayed state with the unfinished operation pending
  const mid = (await svc.api("GET", `${base}/export`)).json;
  assert.deepEqual(mid.deployment.resources.map((r: { urn: string }) => r.urn), [a.urn]);
  assert.equal(mid.deployment.pending_operations[0].resource.urn, b.urn);
  // retried batch is a no-op
  assert.equal((await svc.api("PATCH", url, { leaseToken: u.lease, gzip: true, body: { entries: batch1 } })).status, 204);
  const batch2 = [{ version: 1, kind: 1, sequenceID: 4, operationID: 1, removeOld: null, removeNew: null, state: b }];
  assert.equal((await svc.api("PATCH", url, { leaseToken: u.lease, gzip: true, body: { entries: batch2 } })).status, 204);
  const unsupported = await svc.api("PATCH", url, { leaseToken: u.lease, body: { entries: [{ version: 2, kind: 10, sequenceID: 9, operationID: 9 }] } });
  assert.equal(unsupported.status, 400);
  assert.match(unsupported.json.message, /kind 10 \(state-migration\) is not supported/);
  assert.equal((await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, body: { version: 3, deployment: deployment([]) } })).status, 400);
  assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
  const ex = (await svc.api("GET", `${base}/export`)).json;
  assert.deepEqual(ex.deployment.resources, [a, b]);
  assert.equal(ex.deployment.pending_operations, undefined);
  assert.equal(ex.deployment.manifest.version, "v3.260.0");
  const count = await svc.api("GET", `${base}/resources/count`);
  assert.deepEqual(count.json, { resourceCount: 2, version: 2 });
});

test("import, history kind import, delete refuses a stack with resources unless forced", async () => {
  const base = await newStack("imp");
  const dep = deployment([resource("imp", "x")]);
  const r = await svc.api("POST", `${base}/import`, { gzip: true, body: { version: 3, deployment: dep } });
  assert.equal(r.status, 200, r.text);
  assert.equal(typeof r.json.updateId, "string");
  const st = await svc.api("GET", `${base}/update/${r.json.updateId}`);
  assert.deepEqual(st.json, { status: "succeeded", events: [] });
  assert.equal((await svc.api("GET", `${base}/updates`)).json.updates[0].kind, "import");
  assert.deepEqual((await svc.api("GET", `${base}/export`)).json, { version: 3, deployment: dep });
  const tooNew = await svc.api("POST", `${base}/import`, { body: { version: 9, deployment: dep } });
  assert.equal(tooNew.status, 400);

  const del = await svc.api("DELETE", `${base}?force=false`);
  assert.equal(del.status, 400);
  assert.equal(del.json.message, "Bad Request: Stack still contains resources.");
  assert.equal((await svc.api("DELETE", `${base}?force=true`)).status, 204);
  assert.equal((await svc.api("GET", base)).status, 404);
});

test("service secrets: encrypt/decrypt round trip, batch order, batch-decrypt map, bad ciphertext 400, rename keeps secrets", async () => {
  const base = await newStack("sec");
  const pt = Buffer.from("hunter2").toString("base64");
  const enc = await svc.api("POST", `${base}/encrypt`, { body: { plaintext: pt } });
  assert.equal(enc.status, 200);
  assert.notEqual(enc.json.ciphertext, pt);
  const dec = await svc.api("POST", `${base}/decrypt`, { body: { ciphertext: enc.json.ciphertext } });
  assert.equal(dec.json.plaintext, pt);

  const pts = ["a", "bb", "", "dddd"].map((x) => Buffer.from(x).toString("base64"));
  const be = await svc.api("POST", `${base}/batch-encrypt`, { gzip: true, body: { plaintexts: pts } });
  assert.equal(be.json.ciphertexts.length, 4);
  const bd = await svc.api("POST", `${base}/batch-decrypt`, { gzip: true, body: { ciphertexts: be.json.ciphertexts } });
  assert.deepEqual(be.json.ciphertexts.map((c: string) => bd.json.plaintexts[c]), pts);

  const bad = await svc.api("POST", `${base}/decrypt`, { body: { ciphertext: Buffer.from("garbage-garbage-garbage-garbage-garbage").toString("base64") } });
  assert.equal(bad.status, 400);
  // another stack's key does not open this stack's ciphertext
  const other = await newStack("sec2");
  assert.equal((await svc.api("POST", `${other}/decrypt`, { body: { ciphertext: enc.json.ciphertext } })).status, 400);

  assert.equal((await svc.api("POST", `${base}/decrypt/log-decryption`, { body: { secretName: "k" } })).status, 204);
  assert.equal((await svc.api("POST", `${base}/rename`, { body: { newName: "sec-renamed", newProject: "web" } })).status, 204);
  assert.equal((await svc.api("GET", base)).status, 404);
  const renamed = `/api/stacks/${ORG}/web/sec-renamed`;
  assert.equal((await svc.api("GET", renamed)).status, 200);
  assert.equal((await svc.api("POST", `${renamed}/decrypt`, { body: { ciphertext: enc.json.ciphertext } })).json.plaintext, pt);
  // the old name still answers secrets calls (state written before the rename names it)
  assert.equal((await svc.api("POST", `${base}/decrypt`, { body: { ciphertext: enc.json.ciphertext } })).json.plaintext, pt);
  assert.equal((await svc.api("GET", `${renamed}/updates`)).json.updates[0].kind, "rename");
});

test("rename rewrites the service secrets provider in state; rename onto an existing stack is 409", async () => {
  const base = await newStack("mv");
  await newStack("taken");
  const sp = { type: "service", state: { url: svc.url, owner: ORG, project: "web", stack: "mv" } };
  await svc.api("POST", `${base}/import`, { body: { version: 3, deployment: deployment([], { secrets_providers: sp }) } });
  assert.equal((await svc.api("POST", `${base}/rename`, { body: { newName: "taken", newProject: "web" } })).status, 409);
  assert.equal((await svc.api("POST", `${base}/rename`, { body: { newName: "mv2", newProject: "web2" } })).status, 204);
  const ex = await svc.api("GET", `/api/stacks/${ORG}/web2/mv2/export`);
  assert.deepEqual(ex.json.deployment.secrets_providers.state, { url: svc.url, owner: ORG, project: "web2", stack: "mv2" });
});

test("responses are never br/deflate encoded and errors always carry code = status", async () => {
  const r = await svc.api("GET", `/api/stacks/${ORG}/web/missing/export`, { headers: { "Accept-Encoding": "gzip, br, deflate" } });
  assert.equal(r.status, 404);
  assert.equal(r.json.code, 404);
  assert.ok(!["br", "deflate"].includes(r.headers.get("content-encoding") ?? ""));
});
});
}
