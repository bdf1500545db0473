/**
 * The deployments API and the runner protocol against a real service (no runner process): shapes,
 * validation, secrets at rest, the queue's claim rules, leases, settings, schedules, agent pools.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN_TOKEN, startTestService, type TestService } from "../testing/harness.js";

process.env["STACKYARD_DEPLOYMENT_TICK_MS"] = "100";
process.env["STACKYARD_DEPLOYMENT_LEASE_MS"] = "800";

let svc: TestService;
const ORG = "stackyard";
const base = (stack: string, prefix = "stacks") => `/api/${prefix}/${ORG}/proj/${stack}/deployments`;
const SOURCE = { git: { repoURL: "https://example.com/repo.git", branch: "refs/heads/main" } };

before(async () => {
  svc = await startTestService();
});
after(async () => {
  await svc.stop();
});

async function stack(name: string): Promise<void> {
  const r = await svc.api("POST", `/api/stacks/${ORG}/proj`, { body: { stackName: name } });
  assert.equal(r.status, 200, r.text);
}

async function deploy(stackName: string, body: Record<string, unknown> = {}): Promise<{ id: string; version: number }> {
  const r = await svc.api("POST", base(stackName), { body: { operation: "update", sourceContext: SOURCE, ...body } });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function runner(path: string, token: string, body: unknown = {}, scheme = "token") {
  const res = await fetch(`${svc.url}/api/stackyard/runner/${path}`, {
    method: "POST", headers: { "Content-Type": "application/json", Authorization: `${scheme} ${token}` }, body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const internal = () => svc.app.deployments.deployments.internalRunnerToken;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("create, get by id and version, list pages; secrets never come back and are sealed at rest", async () => {
  await stack("shapes");
  const d1 = await deploy("shapes", {
    operationContext: { preRunCommands: ["echo hi"], environmentVariables: { REGION: "us-west-2", PASSWORD: { secret: "hunter2-value" }, LOOKS: "f3a9c1e7d2b84a6c9e0f1a2b3c4d5e6f" } },
    executorContext: { executorImage: "pulumi/pulumi-nodejs:latest" },
  });
  assert.equal(d1.version, 1);
  const d2 = await deploy("shapes");
  assert.equal(d2.version, 2);
  for (const path of [`${base("shapes")}/${d1.id}`, `${base("shapes", "preview")}/version/1`]) {
    const g = await svc.api("GET", path);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.id, d1.id);
    assert.equal(g.json.status, "not-started");
    assert.equal(g.json.latestVersion, 2);
    assert.equal(g.json.requestedBy.githubLogin, "admin");
    assert.deepEqual(g.json.jobs[0].steps.map((s: { name: string }) => s.name), ["Get source", "Install dependencies", "Pre-run command 1", "pulumi update"]);
    assert.equal(g.json.jobs[0].steps[0].started, "0001-01-01T00:00:00Z");
    const env = g.json.configuration.environmentVariables as { name: string; value?: string; secret: boolean }[];
    assert.deepEqual(env.find((e) => e.name === "REGION"), { name: "REGION", value: "us-west-2", secret: false });
    assert.deepEqual(env.find((e) => e.name === "PASSWORD"), { name: "PASSWORD", secret: true });
    assert.deepEqual(env.find((e) => e.name === "LOOKS"), { name: "LOOKS", secret: true });
    assert.deepEqual(env.find((e) => e.name === "PULUMI_ACCESS_TOKEN"), { name: "PULUMI_ACCESS_TOKEN", secret: true });
    assert.equal(env.find((e) => e.name === "PULUMI_CI_BUILD_NUMBER")?.value, "1");
    assert.equal(g.json.configuration.executorContext.executorImage, "pulumi/pulumi-nodejs:latest");
    assert.ok(!g.text.includes("hunter2-value") && !g.text.includes("f3a9c1e7d2b84a6c9e0f1a2b3c4d5e6f"));
  }
  const row = await svc.db.one<{ request: string }>("SELECT request FROM deployments WHERE id = ?", [d1.id]);
  assert.ok(row && !row.request.includes("hunter2-value") && row.request.includes("ciphertext"));
  const page1 = await svc.api("GET", `${base("shapes")}?page=1&pageSize=1`);
  const page2 = await svc.api("GET", `${base("shapes")}?page=2&pageSize=1`);
  assert.deepEqual([page1.json[0].version, page2.json[0].version], [1, 2]);
  assert.equal((await svc.api("GET", `${base("shapes")}?pageSize=101`)).status, 400);
  assert.equal((await svc.api("GET", `${base("shapes")}/version/9`)).status, 404);
  // Cancel what is still queued.
  for (const d of [d1, d2]) assert.equal((await svc.api("POST", `${base("shapes")}/${d.id}/cancel`)).status, 200);
  assert.equal((await svc.api("GET", `${base("shapes")}/${d1.id}`)).json.status, "cancelled");
  assert.equal((await svc.api("POST", `${base("shapes")}/${d1.id}/cancel`)).status, 409);
});

test("bad requests are refused with {code, message}", async () => {
  await stack("bad");
  const noOp = await svc.api("POST", base("bad"), { body: { sourceContext: SOURCE } });
  assert.equal(noOp.status, 400);
  assert.match(noOp.json.message, /operation is required/);
  const noSource = await svc.api("POST", base("bad"), { body: { operation: "update" } });
  assert.equal(noSource.status, 400);
  assert.match(noSource.json.message, /repoURL is required/);
  const unknownPool = await svc.api("POST", base("bad"), { body: { operation: "update", sourceContext: SOURCE, agentPoolID: "nope" } });
  assert.equal(unknownPool.status, 400);
  assert.equal((await svc.api("POST", `/api/stacks/${ORG}/proj/missing/deployments`, { body: { operation: "update", sourceContext: SOURCE } })).status, 404);
});

test("claims: one job per claim, never twice, one deployment per stack at a time; leases lapse and fail the job", async () => {
  await stack("q1");
  await stack("q2");
  const a1 = await deploy("q1");
  const a2 = await deploy("q1");
  const b1 = await deploy("q2");
  // Ten concurrent claims: exactly the first deployment of each stack is handed out, once.
  const claims = await Promise.all(Array.from({ length: 10 }, (_v, i) => runner("claim", internal(), { agent: { id: `a${i}` } })));
  const jobs = claims.filter((c) => c.status === 200).map((c) => c.json);
  assert.deepEqual(jobs.map((j) => j.deploymentId).sort(), [a1.id, b1.id].sort());
  const job = jobs.find((j) => j.deploymentId === a1.id)!;
  assert.equal(job.source.git.repoURL, "https://example.com/repo.git");
  assert.match(job.accessToken, /^pul-/);
  // The run's token acts as the requester while the job runs.
  const who = await svc.api("GET", "/api/user", { token: job.accessToken });
  assert.equal(who.json.githubLogin, "admin");
  // Steps and logs with the job token; secrets are masked on the way in.
  assert.equal((await runner(`jobs/${a1.id}/steps/1`, job.jobToken, { status: "running" }, "job-token")).status, 200);
  assert.equal((await runner(`jobs/${a1.id}/logs`, job.jobToken, { step: 1, lines: [{ line: `token ${job.accessToken}\n` }] }, "job-token")).status, 200);
  assert.equal((await runner(`jobs/${a1.id}/logs`, "wrong", { step: 1, lines: [] }, "job-token")).status, 401);
  const logs = await svc.api("GET", `${base("q1")}/${a1.id}/logs?step=1&offset=0&count=10`);
  assert.deepEqual(logs.json.lines.map((l: { line: string }) => l.line), ["token [secret]\n"]);
  assert.equal(logs.json.nextOffset, 1, "a running step has more to come");
  assert.equal((await svc.api("GET", `${base("q1")}/${a1.id}`)).json.status, "running");
  // The job of b1 stops heartbeating: the reaper fails it with a clear message and revokes its token.
  const other = jobs.find((j) => j.deploymentId === b1.id)!;
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await runner(`jobs/${a1.id}/heartbeat`, job.jobToken, {}, "job-token")).json.cancelRequested, false);
  }
  const failed = await waitFor("the lapsed job to fail", async () => {
    const g = await svc.api("GET", `${base("q2")}/${b1.id}`);
    return g.json.status === "failed" ? g.json : undefined;
  });
  assert.match(failed.message, /stopped responding: its lease expired/);
  assert.equal((await svc.api("GET", "/api/user", { token: other.accessToken })).status, 401);
  assert.equal((await runner(`jobs/${b1.id}/heartbeat`, other.jobToken, {}, "job-token")).status, 409);
  // a2 waits while a1 runs; cancel a1: the heartbeat says stop, completion marks it cancelled, a2 is next.
  assert.equal((await runner("claim", internal(), {})).status, 204);
  assert.equal((await svc.api("POST", `${base("q1")}/${a1.id}/cancel`)).status, 200);
  assert.equal((await runner(`jobs/${a1.id}/heartbeat`, job.jobToken, {}, "job-token")).json.cancelRequested, true);
  assert.equal((await runner(`jobs/${a1.id}/complete`, job.jobToken, { status: "failed", message: "killed" }, "job-token")).status, 200);
  const cancelled = await svc.api("GET", `${base("q1")}/${a1.id}`);
  assert.equal(cancelled.json.status, "cancelled");
  assert.equal(cancelled.json.jobs[0].steps[0].status, "cancelled");
  const next = await runner("claim", internal(), {});
  assert.equal(next.json.deploymentId, a2.id);
  assert.equal((await runner(`jobs/${a2.id}/complete`, next.json.jobToken, { status: "succeeded" }, "job-token")).status, 200);
  // Streaming logs end once the deployment ended.
  const stream = await svc.api("GET", `${base("q1")}/${a1.id}/logs`);
  assert.deepEqual(stream.json.lines.map((l: { header?: string; line?: string }) => l.header ?? l.line), ["Get source", "token [secret]\n"]);
  assert.equal(stream.json.nextToken, undefined);
});

test("a deployment waits while a CLI update holds the stack", async () => {
  await stack("locked");
  const up = await svc.api("POST", `/api/stacks/${ORG}/proj/locked/update`, { body: { name: "proj", runtime: "nodejs", main: "", description: "", config: {}, options: {}, metadata: { message: "", environment: {} } } });
  assert.equal(up.status, 200, up.text);
  const start = await svc.api("POST", `/api/stacks/${ORG}/proj/locked/update/${up.json.updateID}`, { body: {} });
  assert.equal(start.status, 200, start.text);
  const d = await deploy("locked");
  assert.equal((await runner("claim", internal(), {})).status, 204);
  const done = await svc.api("POST", `/api/stacks/${ORG}/proj/locked/update/${up.json.updateID}/complete`, { leaseToken: start.json.token, body: { status: "succeeded" } });
  assert.ok(done.status < 300, done.text);
  const claimed = await runner("claim", internal(), {});
  assert.equal(claimed.json.deploymentId, d.id);
  await runner(`jobs/${d.id}/complete`, claimed.json.jobToken, { status: "succeeded" }, "job-token");
});

test("deployment settings: merge-patch, secrets sealed, inherited by requests", async () => {
  await stack("settings");
  const put = await svc.api("POST", `${base("settings")}/settings`, {
    body: { sourceContext: SOURCE, operationContext: { environmentVariables: { TOKEN: { secret: "s3cr3t-value" }, PLAIN: "p" }, preRunCommands: ["echo a"] } },
  });
  assert.equal(put.status, 200, put.text);
  const got = await svc.api("GET", `${base("settings")}/settings`);
  assert.equal(got.json.sourceContext.git.repoURL, SOURCE.git.repoURL);
  assert.ok(got.json.operationContext.environmentVariables.TOKEN.ciphertext);
  assert.ok(!got.text.includes("s3cr3t-value"));
  await svc.api("POST", `${base("settings")}/settings`, { body: { operationContext: { preRunCommands: null } } });
  assert.equal((await svc.api("GET", `${base("settings")}/settings`)).json.operationContext.preRunCommands, undefined);
  const d = await svc.api("POST", base("settings"), { body: { operation: "refresh", inheritSettings: true, operationContext: { environmentVariables: { EXTRA: "x" } } } });
  assert.equal(d.status, 200, d.text);
  const claimed = await runner("claim", internal(), {});
  assert.equal(claimed.json.deploymentId, d.json.id);
  assert.deepEqual(claimed.json.operationContext.environmentVariables, { TOKEN: "s3cr3t-value", PLAIN: "p", EXTRA: "x" });
  assert.equal(claimed.json.operation, "refresh");
  await runner(`jobs/${d.json.id}/complete`, claimed.json.jobToken, { status: "succeeded" }, "job-token");
  assert.equal((await svc.api("DELETE", `${base("settings")}/settings`)).status, 204);
  assert.deepEqual((await svc.api("GET", `${base("settings")}/settings`)).json, {});
});

test("agent pools: register, list, get, update, delete; a pool's runners take only its jobs", async () => {
  const created = await svc.api("POST", `/api/orgs/${ORG}/agent-pools`, { body: { name: "Production", description: "prod" } });
  assert.equal(created.status, 200, created.text);
  const { id, tokenValue } = created.json;
  assert.match(tokenValue, /^pul-/);
  assert.equal((await svc.api("POST", `/api/orgs/${ORG}/agent-pools`, { body: { name: "Production" } })).status, 409);
  await stack("pooled");
  const inPool = await deploy("pooled", { agentPoolID: id });
  assert.equal((await runner("claim", internal(), {})).status, 204, "the default pool does not take pool jobs");
  assert.equal((await runner("claim", "pul-bogus", {})).status, 401);
  const claimed = await runner("claim", tokenValue, { agent: { id: "agent-1", hostname: "h1", pid: "42", version: "v1" } });
  assert.equal(claimed.json.deploymentId, inPool.id);
  const pool = await svc.api("GET", `/api/orgs/${ORG}/agent-pools/${id}`);
  assert.equal(pool.json.name, "Production");
  assert.deepEqual(pool.json.agents.map((a: { hostname: string; status: string }) => [a.hostname, a.status]), [["h1", "online"]]);
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/agent-pools/${id}`)).status, 409, "a pool with running jobs stays");
  await runner(`jobs/${inPool.id}/complete`, claimed.json.jobToken, { status: "succeeded" }, "job-token");
  const patched = await svc.api("PATCH", `/api/orgs/${ORG}/agent-pools/${id}`, { body: { description: "updated" } });
  assert.deepEqual(patched.json, { name: "Production", description: "updated" });
  const list = await svc.api("GET", `/api/orgs/${ORG}/agent-pools`);
  assert.equal(list.json.agentPools.length, 1);
  assert.equal(list.json.agentPools[0].status, "online");
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/agent-pools/${id}`)).status, 204);
  assert.equal((await svc.api("GET", `/api/orgs/${ORG}/agent-pools/${id}`)).status, 404);
  assert.equal((await runner("claim", tokenValue, {})).status, 401, "a deleted pool's token is void");
});

test("schedules: raw cron fires and records history; pause, resume, update, delete; drift and TTL shapes", async () => {
  await stack("sched");
  await svc.api("POST", `${base("sched")}/settings`, { body: { sourceContext: SOURCE } });
  const raw = await svc.api("POST", `${base("sched")}/schedules`, { body: { scheduleCron: "* * * * * *", request: { operation: "refresh", inheritSettings: true } } });
  assert.equal(raw.status, 200, raw.text);
  assert.equal(raw.json.scheduleCron, "* * * * * *");
  assert.equal(raw.json.paused, false);
  assert.equal(raw.json.kind, "deployment");
  const sid = raw.json.id;
  const fired = await waitFor("the schedule to fire", async () => {
    const h = await svc.api("GET", `${base("sched")}/schedules/${sid}/history`);
    return h.json.scheduledDeploymentsHistory.length > 0 ? h.json.scheduledDeploymentsHistory : undefined;
  });
  assert.equal(fired[fired.length - 1].result, "executed");
  const list = await svc.api("GET", base("sched"));
  const scheduled = list.json.filter((d: { pulumiOperation: string }) => d.pulumiOperation === "refresh");
  assert.ok(scheduled.length >= 1);
  const first = await svc.api("GET", `${base("sched")}/${scheduled[0].id}`);
  assert.equal(first.json.initiator, "schedule");
  // While its deployment waits in the queue, the schedule skips rather than piling up.
  await waitFor("a skipped run", async () => {
    const h = await svc.api("GET", `${base("sched")}/schedules/${sid}/history`);
    return h.json.scheduledDeploymentsHistory.some((x: { result: string }) => x.result === "skipped") ? true : undefined;
  });
  assert.equal((await svc.api("POST", `${base("sched")}/schedules/${sid}/pause`)).status, 200);
  const paused = await svc.api("GET", `${base("sched")}/schedules/${sid}`);
  assert.equal(paused.json.paused, true);
  assert.equal(paused.json.nextExecution, null);
  assert.equal((await svc.api("POST", `${base("sched")}/schedules/${sid}/resume`)).status, 200);
  assert.notEqual((await svc.api("GET", `${base("sched")}/schedules/${sid}`)).json.nextExecution, null);
  const updated = await svc.api("POST", `${base("sched")}/schedules/${sid}`, { body: { scheduleCron: "0 0 * * 0", request: { operation: "update", inheritSettings: true } } });
  assert.equal(updated.json.scheduleCron, "0 0 * * 0");
  assert.equal(updated.json.definition.request.operation, "update");
  const drift = await svc.api("POST", `${base("sched")}/drift/schedules`, { body: { scheduleCron: "0 0 * * *", autoRemediate: true } });
  assert.equal(drift.json.definition.request.operation, "detect-drift");
  assert.equal(drift.json.definition.request.operationContext.options.remediateIfDriftDetected, true);
  const ttl = await svc.api("POST", `${base("sched")}/ttl/schedules`, { body: { timestamp: "2099-04-20T00:00:00.000Z", deleteAfterDestroy: true } });
  assert.equal(ttl.json.scheduleOnce, "2099-04-20 00:00:00.000");
  assert.equal(ttl.json.definition.request.operation, "destroy");
  assert.equal((await svc.api("POST", `${base("sched")}/ttl/schedules`, { body: { timestamp: "later" } })).status, 400);
  assert.equal((await svc.api("POST", `${base("sched")}/schedules`, { body: { scheduleCron: "bad cron", request: { operation: "update" } } })).status, 400);
  assert.equal((await svc.api("GET", `${base("sched")}/schedules`)).json.scheduledDeployments.length, 3);
  assert.equal((await svc.api("DELETE", `${base("sched")}/schedules/${sid}`)).status, 200);
  assert.equal((await svc.api("GET", `${base("sched")}/schedules/${sid}`)).status, 404);
  // Leave the queue empty for other tests.
  for (const d of (await svc.api("GET", `${base("sched")}?pageSize=100`)).json) {
    if (d.status === "not-started") await svc.api("POST", `${base("sched")}/${d.id}/cancel`);
  }
  assert.ok(ADMIN_TOKEN);
});
