/**
 * Temporary Pulumi projects driven through the real CLI (`bin/pulumi`) as a child process, on a
 * `file://` backend of their own. Programs use the repository's `@pulumi/pulumi` through a
 * `node_modules` symlink, so nothing is installed over the network.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ResourceV3, UntypedDeployment } from "@stackyard/protocol";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "..");
export const PULUMI_BIN = join(REPO_ROOT, "bin", "pulumi");

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A dynamic provider over a "cloud" directory ($STACKYARD_TEST_CLOUD): each resource is a JSON file,
 * and every provider call is appended to `ops.log` so tests can check what ran and in which order.
 * Inputs: `label` (names the resource in the log), `kind` (changing it forces a replacement),
 * `failCreate` (create throws this message), `sleepMs` (create waits first).
 */
export const DYNAMIC_PROVIDER_JS = `
const pulumi = require("@pulumi/pulumi");
const fs = require("fs");
const path = require("path");

const cloudProvider = {
  async create(inputs) {
    const cloud = process.env.STACKYARD_TEST_CLOUD;
    fs.appendFileSync(path.join(cloud, "ops.log"), "begin-create " + inputs.label + "\\n");
    if (inputs.sleepMs) await new Promise((r) => setTimeout(r, inputs.sleepMs));
    if (inputs.failCreate) throw new Error(inputs.failCreate);
    const id = inputs.label + "-" + Math.random().toString(36).slice(2, 8);
    fs.writeFileSync(path.join(cloud, id + ".json"), JSON.stringify(inputs));
    fs.appendFileSync(path.join(cloud, "ops.log"), "create " + inputs.label + "\\n");
    return { id, outs: { ...inputs, generation: 1 } };
  },
  async diff(id, olds, news) {
    const keys = ["label", "value", "kind", "tags"];
    const changed = keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return { changes: changed.length > 0, replaces: changed.includes("kind") ? ["kind"] : [] };
  },
  async update(id, olds, news) {
    const cloud = process.env.STACKYARD_TEST_CLOUD;
    fs.writeFileSync(path.join(cloud, id + ".json"), JSON.stringify(news));
    fs.appendFileSync(path.join(cloud, "ops.log"), "update " + news.label + "\\n");
    return { outs: { ...news, generation: (olds.generation || 1) + 1 } };
  },
  async read(id, props) {
    const file = path.join(process.env.STACKYARD_TEST_CLOUD, id + ".json");
    if (!fs.existsSync(file)) return { id: undefined, props: {} };
    return { id, props: { ...props, ...JSON.parse(fs.readFileSync(file, "utf8")) } };
  },
  async delete(id, props) {
    const cloud = process.env.STACKYARD_TEST_CLOUD;
    fs.rmSync(path.join(cloud, id + ".json"), { force: true });
    fs.appendFileSync(path.join(cloud, "ops.log"), "delete " + props.label + "\\n");
  },
};

class Thing extends pulumi.dynamic.Resource {
  constructor(name, props, opts) {
    super(cloudProvider, name, { generation: undefined, ...props }, opts);
  }
}

module.exports = { Thing };
`;

let counter = 0;
const OPERATIONS = new Set(["up", "preview", "refresh", "destroy", "import"]);

export class TestProject {
  readonly root: string;
  readonly dir: string;
  readonly stateDir: string;
  readonly home: string;
  readonly cloud: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(readonly name: string, files: Record<string, string>, options: { packageJson?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {}) {
    this.root = mkdtempSync(join(tmpdir(), `sy-e2e-${name}-${counter++}-`));
    this.dir = join(this.root, "project");
    this.stateDir = join(this.root, "state");
    this.home = join(this.root, "home");
    this.cloud = join(this.root, "cloud");
    for (const d of [this.dir, this.stateDir, this.home, this.cloud]) mkdirSync(d, { recursive: true });
    symlinkSync(join(REPO_ROOT, "node_modules"), join(this.dir, "node_modules"), "dir");
    writeFileSync(join(this.dir, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n`);
    writeFileSync(join(this.dir, "package.json"), JSON.stringify(options.packageJson ?? { name, main: "index.js" }, null, 2));
    writeFileSync(join(this.dir, "thing.js"), DYNAMIC_PROVIDER_JS);
    for (const [file, text] of Object.entries(files)) this.write(file, text);
    this.env = {
      ...process.env,
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.stateDir}`,
      PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      STACKYARD_TEST_CLOUD: this.cloud,
      ...options.env,
    };
    delete this.env["PULUMI_ACCESS_TOKEN"];
  }

  write(file: string, text: string): void {
    const path = join(this.dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }

  /** Starts the CLI in its own process group (so a test can kill the whole tree). */
  spawn(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    // Display flags only where every command takes them (`stack` and `config` reject `--color`).
    const display = OPERATIONS.has(args[0] ?? "") ? ["--color", "never"] : [];
    return spawn(PULUMI_BIN, [...args, "--non-interactive", ...display], {
      cwd: this.dir,
      env: { ...this.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
  }

  /**
   * Starts the CLI and resolves once the provider log shows `op` (e.g. "begin-create slow"), so a
   * test can interfere mid-operation; `closed` resolves with the exit code, `output()` is all it printed.
   */
  async spawnUntilOp(args: string[], op: string): Promise<{ child: ChildProcess; closed: Promise<number | null>; output: () => string }> {
    const child = this.spawn(args);
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const closed = new Promise<number | null>((res) => child.once("close", res));
    for (let i = 0; i < 300 && !this.ops().includes(op); i++) await new Promise((r) => setTimeout(r, 100));
    if (!this.ops().includes(op)) throw new Error(`'${op}' never happened:\n${output}`);
    return { child, closed, output: () => output };
  }

  /** Runs the CLI; rejects when the exit code is not the expected one (0 unless `expectCode`). */
  async pulumi(args: string[], options: { expectCode?: number; env?: NodeJS.ProcessEnv } = {}): Promise<PulumiResult> {
    const child = this.spawn(args, options.env);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number>((res) => child.once("close", (c) => res(c ?? -1)));
    const expected = options.expectCode ?? 0;
    if (code !== expected) {
      throw new Error(`pulumi ${args.join(" ")} exited ${code}, expected ${expected}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
    }
    return { code, stdout, stderr };
  }

  async init(stack = "dev"): Promise<void> {
    await this.pulumi(["stack", "init", stack]);
  }

  up(...extra: string[]): Promise<PulumiResult> {
    return this.pulumi(["up", "--yes", "--skip-preview", ...extra]);
  }

  /** The resource changes `stack history` recorded for the latest update. */
  async lastChanges(): Promise<Record<string, number>> {
    const history = JSON.parse((await this.pulumi(["stack", "history", "--json"])).stdout) as { resourceChanges?: Record<string, number> }[];
    return history[0]?.resourceChanges ?? {};
  }

  async exportState(): Promise<UntypedDeployment> {
    return JSON.parse((await this.pulumi(["stack", "export"])).stdout) as UntypedDeployment;
  }

  async resources(): Promise<ResourceV3[]> {
    return (await this.exportState()).deployment.resources ?? [];
  }

  /** The checkpoint file exactly as the DIY backend stored it. */
  checkpointText(stack = "dev"): string {
    return readFileSync(join(this.stateDir, ".pulumi", "stacks", this.name, `${stack}.json`), "utf8");
  }

  /** Lines of the dynamic provider's operation log. */
  ops(): string[] {
    const path = join(this.cloud, "ops.log");
    return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];
  }

  clearOps(): void {
    rmSync(join(this.cloud, "ops.log"), { force: true });
  }

  urn(type: string, name: string, parentType?: string): string {
    return `urn:pulumi:dev::${this.name}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A resource of the exported state by name (the last URN segment), failing clearly when absent. */
export function byName(resources: ResourceV3[], name: string): ResourceV3 {
  const found = resources.find((r) => r.urn.endsWith(`::${name}`));
  if (!found) throw new Error(`no resource named ${name} in state: ${resources.map((r) => r.urn).join(", ")}`);
  return found;
}

/** Changes from `preview --json` (its changeSummary). */
export function previewSummary(stdout: string): Record<string, number> {
  return (JSON.parse(stdout) as { changeSummary?: Record<string, number> }).changeSummary ?? {};
}
