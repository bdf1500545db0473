// Deployments bench: enqueue-to-first-step latency on an idle service, and the time to drain 20
// queued no-op deployments with 1 and with 2 runners. Target: enqueue to first step under 500 ms.
// Usage: npm run build && node bench/deployments/run.mjs [--queue-only]
// A no-op deployment clones a one-commit local repository and runs `pulumi preview` of a program
// with no resources. When the CLI cannot talk to the service (or with --queue-only), the operation
// step runs `true` instead, which measures the queue, claims, steps and logs alone.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const { startTestService, ADMIN_TOKEN } = await import(join(root, "packages/service/dist/testing/harness.js"));
const { startRunner } = await import(join(root, "packages/service/dist/deployments/runner/runner.js"));

const work = mkdtempSync(join(tmpdir(), "stackyard-bench-deploy-"));
const repo = join(work, "repo");
mkdirSync(repo);
writeFileSync(join(repo, "Pulumi.yaml"), "name: noop\nruntime: nodejs\n");
writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "noop", main: "index.js" }));
writeFileSync(join(repo, "index.js"), "// no resources\n");
const git = (...a) => spawnSync("git", ["-c", "user.email=b@b", "-c", "user.name=b", ...a], { cwd: repo });
git("init", "-q", "-b", "main");
git("add", "-A");
git("commit", "-qm", "noop");

process.env.STACKYARD_DEPLOYMENT_TICK_MS = "500";
const svc = await startTestService();
const api = svc.api;
const token = svc.app.deployments.deployments.internalRunnerToken;

function cliWorks() {
  return new Promise((resolve) => {
    const c = spawn(join(root, "bin/pulumi"), ["stack", "ls", "--all", "--json"], {
      env: { ...process.env, PULUMI_BACKEND_URL: svc.url, PULUMI_ACCESS_TOKEN: ADMIN_TOKEN, PULUMI_HOME: join(work, "home") }, stdio: "ignore",
    });
    c.on("close", (code) => resolve(code === 0));
  });
}
const realCli = !process.argv.includes("--queue-only") && (await cliWorks());
const cliPath = realCli ? join(root, "bin/pulumi") : "/bin/true";
console.log(`operation step: ${realCli ? "bin/pulumi preview (real CLI against the service)" : "`true` (queue only: the CLI cannot reach the service, or --queue-only)"}`);

const body = {
  operation: "preview",
  sourceContext: { git: { repoURL: repo, branch: "refs/heads/main" } },
  operationContext: { preRunCommands: [`ln -sfn ${join(root, "node_modules")} node_modules`], options: { skipInstallDependencies: true } },
};
let stackNo = 0;
async function newStack() {
  const name = `s${++stackNo}`;
  await api("POST", "/api/stacks/stackyard/noop", { body: { stackName: name } });
  return name;
}
async function waitDone(stack, id) {
  for (;;) {
    const g = await api("GET", `/api/stacks/stackyard/noop/${stack}/deployments/${id}`);
    if (["succeeded", "failed", "cancelled"].includes(g.json.status)) return g.json;
    await new Promise((r) => setTimeout(r, 20));
  }
}
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// 1. Latency on an idle service: one runner waiting in a long poll.
{
  const runner = startRunner({ serviceUrl: svc.url, token, cliPath, workRoot: work, log: () => {} });
  await new Promise((r) => setTimeout(r, 300));
  const lat = [];
  for (let i = 0; i < 10; i++) {
    const stack = await newStack();
    const t0 = Date.now();
    const c = await api("POST", `/api/stacks/stackyard/noop/${stack}/deployments`, { body });
    const d = await waitDone(stack, c.json.id);
    lat.push(Date.parse(d.jobs[0].steps[0].started) - t0);
    if (d.status !== "succeeded") console.log(`  note: deployment ${d.version} ${d.status}: ${d.message ?? ""}`);
  }
  await runner.stop();
  console.log(`enqueue -> first step (idle service, 10 runs): median ${pct(lat, 50)} ms, p90 ${pct(lat, 90)} ms, max ${Math.max(...lat)} ms (target < 500 ms)`);
}

// 2. Throughput: 20 queued deployments on 20 stacks, drained by 1 and by 2 runners.
for (const runners of [1, 2]) {
  const queued = [];
  for (let i = 0; i < 20; i++) {
    const stack = await newStack();
    const c = await api("POST", `/api/stacks/stackyard/noop/${stack}/deployments`, { body });
    queued.push([stack, c.json.id]);
  }
  const t0 = Date.now();
  const rs = Array.from({ length: runners }, () => startRunner({ serviceUrl: svc.url, token, cliPath, workRoot: work, log: () => {} }));
  let ok = 0;
  for (const [stack, id] of queued) if ((await waitDone(stack, id)).status === "succeeded") ok++;
  const ms = Date.now() - t0;
  await Promise.all(rs.map((r) => r.stop()));
  console.log(`20 queued no-op deployments, ${runners} runner${runners > 1 ? "s" : ""}: ${ms} ms (${((20 * 1000) / ms).toFixed(1)} deployments/s, ${ok}/20 succeeded)`);
}

await svc.stop();
rmSync(work, { recursive: true, force: true });
