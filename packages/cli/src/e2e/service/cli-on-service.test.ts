/**
 * Stackyard's CLI with its state on a Stackyard service (`stackyard serve`, a separate process, on
 * SQLite and, when STACKYARD_TEST_POSTGRES_URL is set, on PostgreSQL): login, stacks, config
 * secrets kept by the service, the update lifecycle, previews recorded, a concurrent update refused,
 * a CLI killed mid-update (lock broken by cancel, pending operation reported and resolved), and the
 * service killed with SIGKILL mid-update and restarted (the CLI's retries carry the update through).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { POSTGRES_SKIP, freshPostgresDatabase } from "@stackyard/service/testing/postgres";
import { TestProject, byName, REPO_ROOT } from "../engine/support.js";

const TOKEN = "pul-cli0on0service0000000000000000000000000";
const STACKYARD_BIN = join(REPO_ROOT, "bin", "stackyard");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `stackyard serve` in its own process, restartable on the same port and data. */
class ServiceProcess {
  private child: ChildProcess | undefined;
  readonly url: string;

  constructor(
    private readonly port: number,
    private readonly dataDir: string,
    private readonly database: string | undefined,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const args = ["serve", "--port", String(this.port), "--host", "127.0.0.1", "--data-dir", this.dataDir, "--no-runner"];
    if (this.database) args.push("--database", this.database);
    const child = spawn(STACKYARD_BIN, args, {
      env: { ...process.env, STACKYARD_ADMIN_TOKEN: TOKEN },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes("listening on")) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`the service exited (${code}) before listening:\n${output}`)));
    });
  }

  kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  async api(method: string, path: string): Promise<{ status: number; json: any }> {
    const res = await fetch(this.url + path, { method, headers: { Authorization: `token ${TOKEN}`, Accept: "application/vnd.pulumi+8" } });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }
}

function program(extra = ""): string {
  return `
const pulumi = require("@pulumi/pulumi");
const { Thing } = require("./thing");
const config = new pulumi.Config();
const a = new Thing("a", { label: "a", value: config.require("value") });
const b = new Thing("b", { label: "b", value: "fixed" }, { dependsOn: [a] });
${extra}
exports.aValue = a.value;
exports.token = config.requireSecret("token");
`;
}

for (const kind of ["sqlite", "postgres"] as const) {
  const skip = kind === "postgres" ? POSTGRES_SKIP : false;

  describe(`the CLI on a Stackyard service [${kind}]`, { skip }, () => {
    let svc: ServiceProcess;
    let p: TestProject;
    let dataDir: string;
    let database: Awaited<ReturnType<typeof freshPostgresDatabase>> | undefined;
    const stackPath = () => `/api/stacks/stackyard/${p.name}/dev`;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "sy-cli-svc-data-"));
      database = kind === "postgres" ? await freshPostgresDatabase() : undefined;
      svc = new ServiceProcess(await freePort(), dataDir, database?.url);
      await svc.start();
      p = new TestProject("svcproj", { "index.js": program() });
      p.env["PULUMI_BACKEND_URL"] = svc.url;
      p.env["PULUMI_ACCESS_TOKEN"] = TOKEN;
      delete p.env["PULUMI_CONFIG_PASSPHRASE"];
    });

    after(async () => {
      await svc?.kill("SIGTERM");
      p?.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
      await database?.drop();
    });

    test("login, whoami, stack init; secret config is encrypted by the service", async () => {
      const login = await p.pulumi(["login", svc.url]);
      assert.match(login.stdout, new RegExp(`Logged in to .* as admin`));
      const who = await p.pulumi(["whoami", "-v"]);
      assert.match(who.stdout, /User: admin/);
      assert.match(who.stdout, new RegExp(`Backend URL: ${svc.url}`));
      await p.init();
      await p.pulumi(["config", "set", "value", "one"]);
      await p.pulumi(["config", "set", "--secret", "token", "s3cr3t-t0ken"]);
      const settings = readFileSync(join(p.dir, "Pulumi.dev.yaml"), "utf8");
      assert.match(settings, /secure: /);
      assert.doesNotMatch(settings, /s3cr3t-t0ken|encryptionsalt/, "no passphrase salt: the service holds the key");
      assert.equal((await p.pulumi(["config", "get", "token"])).stdout.trim(), "s3cr3t-t0ken");
      const stack = await svc.api("GET", stackPath());
      assert.equal(stack.status, 200);
      assert.equal(stack.json.tags["pulumi:project"], p.name);
    });

    test("up, preview and update: state, history and previews live on the service", async () => {
      await p.pulumi(["preview"]);
      const up = await p.up();
      assert.match(up.stdout, /\+ 3 created/);
      const exported = await p.exportState();
      assert.equal((exported.deployment as { secrets_providers?: { type: string } }).secrets_providers?.type, "service", JSON.stringify(exported).slice(0, 1500));
      assert.doesNotMatch(JSON.stringify(exported), /s3cr3t-t0ken/, "secrets stay encrypted in state");
      const outputs = JSON.parse((await p.pulumi(["stack", "output", "--json", "--show-secrets"])).stdout) as Record<string, unknown>;
      assert.deepEqual(outputs, { aValue: "one", token: "s3cr3t-t0ken" });

      await p.pulumi(["config", "set", "value", "two"]);
      await p.up();
      assert.deepEqual(await p.lastChanges(), { same: 2, update: 1 });

      const history = await svc.api("GET", `${stackPath()}/updates?output-type=service`);
      assert.deepEqual(history.json.updates.map((u: { info: { kind: string; result: string } }) => [u.info.kind, u.info.result]), [
        ["update", "succeeded"],
        ["update", "succeeded"],
      ]);
      const previews = await svc.api("GET", `${stackPath()}/updates/latest/previews`);
      assert.equal(previews.status, 200);
      const resources = await svc.api("GET", `${stackPath()}/resources/count`);
      assert.equal(resources.json.resourceCount, 4);
    });

    test("a CLI killed mid-update: the next update is refused, cancel unlocks, refresh resolves the pending create", async () => {
      p.clearOps();
      p.write("index.js", program(`new Thing("slow", { label: "slow", sleepMs: 60000 });`));
      const run = await p.spawnUntilOp(["up", "--yes", "--skip-preview"], "begin-create slow");
      process.kill(-run.child.pid!, "SIGKILL");
      await run.closed;

      const refused = await p.pulumi(["up", "--yes", "--skip-preview"], { expectCode: 255 });
      assert.match(refused.stderr, /\[409\] Conflict: Another update is currently in progress\./);
      await p.pulumi(["cancel", "--yes"]);

      p.write("index.js", program(`new Thing("slow", { label: "slow" });`));
      const next = await p.up();
      assert.match(next.stdout + next.stderr, /slow, interrupted while creating/);
      await p.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
      assert.equal((await p.exportState()).deployment.pending_operations, undefined);
      assert.ok(byName(await p.resources(), "slow").id);
    });

    test("the service killed with SIGKILL mid-update and restarted: the update completes", async () => {
      p.clearOps();
      p.write("index.js", program(`new Thing("late", { label: "late", sleepMs: 3000 });`));
      const run = await p.spawnUntilOp(["up", "--yes", "--skip-preview"], "begin-create late");
      await svc.kill("SIGKILL");
      await svc.start();
      assert.equal(await run.closed, 0, run.output());
      const late = byName(await p.resources(), "late");
      assert.ok(late.id);
      assert.equal((await p.exportState()).deployment.pending_operations, undefined);
      const latest = await svc.api("GET", `${stackPath()}/updates?pageSize=1&page=1`);
      assert.equal(latest.json.updates[0].result, "succeeded");
    });

    test("destroy and stack rm", async () => {
      const refused = await p.pulumi(["stack", "rm", "dev", "--yes"], { expectCode: 255 });
      assert.match(refused.stderr, /still has resources/);
      await p.pulumi(["destroy", "--yes", "--skip-preview"]);
      await p.pulumi(["stack", "rm", "dev", "--yes"]);
      assert.equal((await svc.api("GET", stackPath())).status, 404);
      assert.equal(JSON.parse((await p.pulumi(["stack", "ls", "--json"])).stdout).length, 0);
    });
  });
}
