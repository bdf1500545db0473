/**
 * End to end: a real service, real runners (in-process and `stackyard runner` processes) and the
 * real CLI running a TypeScript program from a local git repository.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ADMIN_TOKEN, startTestService, type TestService } from "../testing/harness.js";
import type { Runner } from "./runner/runner.js";
import { startRunner } from "./runner/runner.js";

process.env["STACKYARD_DEPLOYMENT_TICK_MS"] = "200";
process.env["STACKYARD_DEPLOYMENT_LEASE_MS"] = "2000";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const ORG = "stackyard";
const PROJECT = "files";

let svc: TestService;
let work: string;
let repo: string;
let runner: Runner;
let cliTalksToService = false;
const children: ChildProcess[] = [];

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";

// A file on disk standing in for a cloud resource: read() sees out-of-band edits (drift).
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) {
    const wait = Number(process.env["SLOW_CREATE_MS"] ?? "0");
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    require("fs").writeFileSync(inputs.path, inputs.content);
    return { id: inputs.path, outs: { path: inputs.path, content: inputs.content } };
  },
  async read(id: string, props: any) {
    const fs = require("fs");
    return { id, props: { ...props, content: fs.existsSync(id) ? fs.readFileSync(id, "utf8") : "" } };
  },
  async diff(_id: string, olds: any, news: any) {
    return { changes: olds.content !== news.content || olds.path !== news.path };
  },
  async update(_id: string, _olds: any, news: any) {
    require("fs").writeFileSync(news.path, news.content);
    return { outs: { path: news.path, content: news.content } };
  },
  async delete(_id: string, props: any) {
    require("fs").rmSync(props.path, { force: true });
  },
};

class TextFile extends pulumi.dynamic.Resource {
  constructor(name: string, args: { path: string; content: string }, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args }, opts);
  }
}

const file = new TextFile("greeting", { path: process.env["TARGET_FILE"]!, content: process.env["CONTENT"] ?? "hello" });
export const path = file.id;
`;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync("git", ["-c", "user.email=ci@stackyard.test", "-c", "user.name=ci", ...args], { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "stackyard-deploy-"));
  repo = join(work, "repo");
  spawnSync("mkdir", ["-p", join(repo, "infra")]);
  writeFileSync(join(repo, "infra", "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\n`);
  writeFileSync(join(repo, "infra", "package.json"), JSON.stringify({ name: PROJECT, main: "index.ts" }));
  writeFileSync(join(repo, "infra", "index.ts"), PROGRAM);
  writeFileSync(join(repo, ".gitignore"), "node_modules\n");
  git(repo, "init", "-q", "-b", "main");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "program");
  svc = await startTestService();
  runner = startRunner({ serviceUrl: svc.url, token: svc.app.deployments.deployments.internalRunnerToken, claimWaitMs: 1000, workRoot: work, log: () => undefined });
  // The operation step needs the CLI's service backend; probe it once.
  cliTalksToService = (await cli(["stack", "ls", "--all", "--json"])).code === 0;
});

/** Runs bin/pulumi against the service (asynchronously: the service answers from this process). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, "bin/pulumi"), args, {
      cwd: work,
      env: { ...process.env, PULUMI_BACKEND_URL: svc.url, PULUMI_ACCESS_TOKEN: ADMIN_TOKEN, PULUMI_HOME: join(work, "cli-home"), NODE_TEST_CONTEXT: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

after(async () => {
  for (const c of children) c.kill("SIGKILL");
  await runner.stop();
  await svc.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Tests whose operation step needs the CLI logged in to the service. */
function cliTest(name: string, fn: () => Promise<void>): void {
  test(name, async (t) => {
    if (!cliTalksToService) {
      t.skip("the CLI cannot log in to the service yet (no service backend)");
      return;
    }
    await fn();
  });
}
const base = (stack: string) => `/api/stacks/${ORG}/${PROJECT}/${stack}/deployments`;

async function stack(name: string): Promise<void> {
  const r = await svc.api("POST", `/api/stacks/${ORG}/${PROJECT}`, { body: { stackName: name } });
  assert.equal(r.status, 200, r.text);
}

function request(operation: string, env: Record<string, unknown>, extra: { pre?: string[]; pool?: string } = {}): Record<string, unknown> {
  return {
    operation,
    sourceContext: { git: { repoURL: repo, branch: "refs/heads/main", repoDir: "infra" } },
    operationContext: {
      // Dependencies come from the checkout's node_modules instead of a network install.
      preRunCommands: [`ln -sfn ${join(ROOT, "node_modules")} node_modules`, ...(extra.pre ?? [])],
      environmentVariables: env,
      options: { skipInstallDependencies: true },
    },
    ...(extra.pool ? { agentPoolID: extra.pool } : {}),
  };
}

async function create(stackName: string, body: Record<string, unknown>): Promise<string> {
  const r = await svc.api("POST", base(stackName), { body });
  assert.equal(r.status, 200, r.text);
  return r.json.id;
}

type Deployment = { status: string; message?: string; driftDetected?: boolean; jobs: { steps: { name: string; status: string }[] }[]; updates: { updateID: string }[]; pulumiOperation: string; id: string };

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function finished(stackName: string, id: string): Promise<Deployment> {
  return until(`deployment ${id} to end`, async () => {
    const g = await svc.api("GET", `${base(stackName)}/${id}`);
    return ["succeeded", "failed", "cancelled"].includes(g.json.status) ? (g.json as Deployment) : undefined;
  });
}

async function stepLog(stackName: string, id: string, step: number): Promise<string> {
  let out = "";
  let offset = 0;
  for (;;) {
    const r = await svc.api("GET", `${base(stackName)}/${id}/logs?job=0&step=${step}&offset=${offset}&count=50`);
    out += r.json.lines.map((l: { line: string }) => l.line).join("");
    if (r.json.nextOffset === undefined) return out;
    offset = r.json.nextOffset;
  }
}

test("a failing pre-run command fails the deployment with its output; PULUMI_ENV exports; secrets masked", async () => {
  await stack("prerun");
  const id = await create("prerun", request("update", { PASSWORD: { secret: "pa55-w0rd-value" } }, {
    pre: ["echo GREETING=hi > PULUMI_ENV", "echo got $GREETING and $PASSWORD; echo oops >&2; exit 3", "echo never"],
  }));
  const d = await finished("prerun", id);
  assert.equal(d.status, "failed");
  assert.match(d.message!, /pre-run command 3 failed with exit code 3/);
  assert.deepEqual(d.jobs[0]!.steps.map((s) => s.status), ["succeeded", "succeeded", "succeeded", "failed", "not-started", "not-started"]);
  const log = await stepLog("prerun", id, 4);
  assert.match(log, /got hi and \[secret\]/);
  assert.match(log, /oops/);
  assert.match(log, /error: pre-run command 3 failed with exit code 3/);
  assert.match(await stepLog("prerun", id, 1), /Checked out commit [0-9a-f]{40}/);
  // The streaming form ends (no nextToken) and never shows the steps that did not run.
  let token: string | undefined;
  const all: string[] = [];
  do {
    const r = await svc.api("GET", `${base("prerun")}/${id}/logs${token ? `?nextToken=${token}` : ""}`);
    for (const l of r.json.lines) all.push(l.header ?? l.line);
    token = r.json.nextToken;
  } while (token);
  assert.ok(all.includes("Pre-run command 3") && !all.includes("Pre-run command 4") && !all.includes("pulumi update"));
  assert.ok(!all.join("").includes("pa55-w0rd-value"));
});

cliTest("an update from a local git repository succeeds with per-step logs and shows in the stack's history", async () => {
  await stack("dev");
  const target = join(work, "dev.txt");
  const id = await create("dev", request("update", { TARGET_FILE: target, CONTENT: "hello" }, { pre: ["echo build $PULUMI_CI_BUILD_NUMBER on $PULUMI_CI_SYSTEM"] }));
  const d = await finished("dev", id);
  assert.equal(d.status, "succeeded", d.message);
  assert.deepEqual(d.jobs[0]!.steps.map((s) => [s.name, s.status]), [
    ["Get source", "succeeded"], ["Pre-run command 1", "succeeded"], ["Pre-run command 2", "succeeded"], ["pulumi update", "succeeded"],
  ]);
  assert.match(await stepLog("dev", id, 3), /build 1 on Stackyard Deployments/);
  assert.match(await stepLog("dev", id, 4), /created/);
  assert.equal(readFileSync(target, "utf8"), "hello");
  const history = await svc.api("GET", `/api/stacks/${ORG}/${PROJECT}/dev/updates?output-type=service`);
  assert.equal(history.status, 200);
  assert.equal(history.json.updates[0].info.result, "succeeded");
  assert.equal(d.updates.length >= 1, true);
});

cliTest("cancel in the middle of the operation cancels it and unlocks the stack", async () => {
  await stack("slow");
  const target = join(work, "slow.txt");
  const id = await create("slow", request("update", { TARGET_FILE: target, SLOW_CREATE_MS: "120000" }));
  await until("the update to hold the stack", async () => {
    const s = await svc.api("GET", `/api/stacks/${ORG}/${PROJECT}/slow`);
    return s.json.currentOperation ? true : undefined;
  });
  assert.equal((await svc.api("POST", `${base("slow")}/${id}/cancel`)).status, 200);
  const d = await finished("slow", id);
  assert.equal(d.status, "cancelled");
  assert.equal(d.jobs[0]!.steps.at(-1)!.status, "cancelled");
  const s = await svc.api("GET", `/api/stacks/${ORG}/${PROJECT}/slow`);
  assert.equal(s.json.currentOperation, undefined, "the stack is unlocked");
  const again = await finished("slow", await create("slow", request("update", { TARGET_FILE: target })));
  assert.equal(again.status, "succeeded", again.message);
});

cliTest("a drift schedule detects an out-of-band change and remediates it", async () => {
  await stack("drift");
  const target = join(work, "drift.txt");
  const body = request("update", { TARGET_FILE: target, CONTENT: "desired" });
  assert.equal((await finished("drift", await create("drift", body))).status, "succeeded");
  const { operation: _op, ...settings } = body;
  assert.equal((await svc.api("POST", `${base("drift")}/settings`, { body: settings })).status, 200);
  writeFileSync(target, "changed out of band");
  const sched = await svc.api("POST", `${base("drift")}/drift/schedules`, { body: { scheduleCron: "* * * * * *", autoRemediate: true } });
  assert.equal(sched.status, 200, sched.text);
  const d = await until("a drift deployment to end", async () => {
    const list = await svc.api("GET", `${base("drift")}?pageSize=100`);
    const mine = list.json.find((x: Deployment) => x.pulumiOperation === "detect-drift");
    if (!mine) return undefined;
    const g = await svc.api("GET", `${base("drift")}/${mine.id}`);
    return ["succeeded", "failed", "cancelled"].includes(g.json.status) ? (g.json as Deployment) : undefined;
  });
  await svc.api("POST", `${base("drift")}/schedules/${sched.json.id}/pause`);
  assert.equal(d.status, "succeeded", d.message);
  assert.equal(d.driftDetected, true);
  assert.match(await stepLog("drift", d.id, 3), /Drift detected/);
  assert.equal(d.jobs[0]!.steps.at(-1)!.status, "succeeded");
  assert.equal(readFileSync(target, "utf8"), "desired", "remediation restored the resource");
  const history = await svc.api("GET", `${base("drift")}/schedules/${sched.json.id}/history`);
  assert.ok(history.json.scheduledDeploymentsHistory.some((h: { result: string }) => h.result === "executed"));
});

cliTest("a TTL schedule destroys the stack and deletes it", async () => {
  await stack("ttl");
  const target = join(work, "ttl.txt");
  const body = request("update", { TARGET_FILE: target });
  assert.equal((await finished("ttl", await create("ttl", body))).status, "succeeded");
  assert.ok(existsSync(target));
  const { operation: _op, ...settings } = body;
  await svc.api("POST", `${base("ttl")}/settings`, { body: settings });
  const sched = await svc.api("POST", `${base("ttl")}/ttl/schedules`, { body: { timestamp: new Date(Date.now() + 500).toISOString(), deleteAfterDestroy: true } });
  assert.equal(sched.status, 200, sched.text);
  await until("the stack to be deleted", async () => ((await svc.api("GET", `/api/stacks/${ORG}/${PROJECT}/ttl`)).status === 404 ? true : undefined));
  assert.equal(existsSync(target), false, "the resource was destroyed");
});

const remoteFlags = (stackName: string) => [
  "--remote", repo, "--remote-git-branch", "refs/heads/main", "--remote-git-repo-dir", "infra", "--remote-skip-install-dependencies",
  "--remote-pre-run-command", `ln -sfn ${join(ROOT, "node_modules")} node_modules`, "--stack", `${ORG}/${PROJECT}/${stackName}`,
];

test("pulumi up --remote streams the deployment's logs and fails with it; deployment list/logs show it", async () => {
  await stack("remote-fail");
  const r = await cli(["up", "--yes", ...remoteFlags("remote-fail"), "--remote-env-secret", "TOKEN=t0p-secret-value", "--remote-pre-run-command", "echo remote says $TOKEN; exit 4"]);
  assert.equal(r.code, 255, r.stderr);
  assert.match(r.stdout, /Created deployment [0-9a-f-]{36} \(version 1\)/);
  assert.match(r.stdout, /--- Pre-run command 2 ---\n\$ echo remote says \$TOKEN; exit 4\nremote says \[secret\]/);
  assert.match(r.stderr, /deployment 1 failed: pre-run command 2 failed with exit code 4/);
  const list = await cli(["deployment", "list", "--json", "--stack", `${ORG}/${PROJECT}/remote-fail`]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).map((d: { status: string; pulumiOperation: string }) => [d.pulumiOperation, d.status]), [["update", "failed"]]);
  const logs = await cli(["deployment", "logs", "--stack", `${ORG}/${PROJECT}/remote-fail`]);
  assert.equal(logs.code, 255);
  assert.match(logs.stdout, /remote says \[secret\]/);
  assert.ok(!(r.stdout + logs.stdout).includes("t0p-secret-value"));
});

test("pulumi deployment cancel stops a running deployment", async () => {
  await stack("remote-cancel");
  const id = await create("remote-cancel", request("update", {}, { pre: ["sleep 30"] }));
  await until("the pre-run step to start", async () => {
    const g = await svc.api("GET", `${base("remote-cancel")}/${id}`);
    return g.json.jobs[0].steps[2].status === "running" ? true : undefined;
  });
  const c = await cli(["deployment", "cancel", "--stack", `${ORG}/${PROJECT}/remote-cancel`]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`Cancellation of deployment ${id} requested`));
  const d = await finished("remote-cancel", id);
  assert.equal(d.status, "cancelled");
  assert.equal(d.jobs[0]!.steps[2]!.status, "cancelled");
});

cliTest("pulumi up --remote runs the update remotely and exits 0", async () => {
  await stack("remote-ok");
  const target = join(work, "remote-ok.txt");
  const r = await cli(["up", "--yes", ...remoteFlags("remote-ok"), "--remote-env", `TARGET_FILE=${target}`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /--- pulumi update ---/);
  assert.equal(readFileSync(target, "utf8"), "hello");
});

function spawnRunner(token: string, out: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, "packages/cli/dist/main.js"), "runner", "--url", svc.url, "--token", token, "--work-dir", work], {
    stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_TEST_CONTEXT: "" },
  });
  child.stdout!.setEncoding("utf8").on("data", (c: string) => out.push(c));
  child.stderr!.setEncoding("utf8").on("data", (c: string) => out.push(c));
  children.push(child);
  return child;
}

async function pool(name: string): Promise<{ id: string; tokenValue: string }> {
  const r = await svc.api("POST", `/api/orgs/${ORG}/agent-pools`, { body: { name } });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

test("two runner processes drain a queue of 20 deployments, each run exactly once", async () => {
  const p = await pool("drain");
  const marker = join(work, "ran.txt");
  const stacks = ["q1", "q2", "q3", "q4"];
  for (const s of stacks) await stack(s);
  const ids: [string, string][] = [];
  for (let i = 0; i < 20; i++) {
    const s = stacks[i % stacks.length]!;
    ids.push([s, await create(s, request("preview", { TARGET_FILE: join(work, `${s}.txt`) }, { pool: p.id, pre: [`echo $PULUMI_CI_BUILD_ID >> ${marker}`] }))]);
  }
  const outA: string[] = [];
  const outB: string[] = [];
  spawnRunner(p.tokenValue, outA);
  spawnRunner(p.tokenValue, outB);
  const results: Deployment[] = [];
  for (const [s, id] of ids) results.push(await finished(s, id));
  const ran = readFileSync(marker, "utf8").trim().split("\n").sort();
  assert.deepEqual(ran, ids.map(([, id]) => id).sort(), "every deployment ran exactly once");
  const byA = ids.filter(([, id]) => outA.join("").includes(id)).length;
  const byB = ids.filter(([, id]) => outB.join("").includes(id)).length;
  assert.equal(byA + byB, 20);
  assert.ok(byA > 0 && byB > 0, `both runners took jobs (${byA} and ${byB})`);
  if (cliTalksToService) assert.ok(results.every((d) => d.status === "succeeded"), results.map((d) => d.message).join("; "));
  for (const c of children.splice(0)) c.kill("SIGTERM");
});

test("a runner killed mid-job fails its deployment when the lease lapses, and the stack runs again", async () => {
  const p = await pool("killed");
  await stack("killed");
  const out: string[] = [];
  const child = spawnRunner(p.tokenValue, out);
  const id = await create("killed", request("update", { TARGET_FILE: join(work, "killed.txt") }, { pool: p.id, pre: ["sleep 8"] }));
  await until("the long pre-run step to start", async () => {
    const g = await svc.api("GET", `${base("killed")}/${id}`);
    return g.json.jobs[0].steps[2].status === "running" ? true : undefined;
  });
  child.kill("SIGKILL");
  const d = await finished("killed", id);
  assert.equal(d.status, "failed");
  assert.match(d.message!, /stopped responding: its lease expired/);
  assert.equal(d.jobs[0]!.steps[2]!.status, "failed");
  assert.match(await stepLog("killed", id, 3), /lease expired/);
  // Nothing holds the stack: the next deployment is claimed by a new runner.
  spawnRunner(p.tokenValue, out);
  const next = await create("killed", request("preview", { TARGET_FILE: join(work, "killed.txt") }, { pool: p.id }));
  const d2 = await finished("killed", next);
  assert.notEqual(d2.jobs[0]!.steps[0]!.status, "not-started");
  for (const c of children.splice(0)) c.kill("SIGTERM");
});
