/**
 * The official Automation API (`@pulumi/pulumi/automation`, 3.270) driving Stackyard's `bin/pulumi`.
 * Every scenario runs against a backend: the `file://` (DIY) backend, and a Stackyard service started
 * in this process when the CLI can log in to it. Tests use only the public automation surface; the
 * helpers here only prepare directories, environments and backends.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PulumiCommand, fullyQualifiedStackName, type EngineEvent, type LocalWorkspaceOptions } from "@pulumi/pulumi/automation/index.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "..");
export const PULUMI_BIN = join(REPO_ROOT, "bin", "pulumi");

export type BackendKind = "diy" | "service";
export const BACKEND_KINDS: BackendKind[] = ["diy", "service"];

/** A state backend under test and the environment that points the CLI at it. */
export interface Backend {
  kind: BackendKind;
  url: string;
  /** The organization part of fully-qualified stack names. */
  org: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A per-file sandbox: temp root, PULUMI_HOME, a backend, and the workspace options that use them. */
export interface Sandbox {
  root: string;
  home: string;
  backend: Backend;
  pulumiCommand: PulumiCommand;
  /** Environment for every CLI call (backend, passphrase, PULUMI_HOME). */
  envVars: Record<string, string>;
  /** `organization/<project>/<stack>` (DIY) or `<org>/<project>/<stack>` (service). */
  stackName(project: string, stack: string): string;
  /** Options for LocalWorkspace factory methods, merged with `extra`. */
  options(extra?: LocalWorkspaceOptions): LocalWorkspaceOptions;
  /** A fresh directory under the sandbox root. */
  dir(name: string): string;
  dispose(): Promise<void>;
}

let seq = 0;

function baseEnv(home: string): Record<string, string> {
  return { PULUMI_HOME: home, PULUMI_CONFIG_PASSPHRASE: "automation-suite-passphrase", PULUMI_SKIP_UPDATE_CHECK: "true" };
}

async function startDiy(root: string): Promise<Backend> {
  const state = join(root, "state");
  mkdirSync(state, { recursive: true });
  const url = `file://${state}`;
  return { kind: "diy", url, org: "organization", env: { PULUMI_BACKEND_URL: url }, stop: async () => undefined };
}

/** Starts a Stackyard service in this process and logs the CLI in to it (PULUMI_HOME of the sandbox). */
async function startService(root: string, home: string): Promise<Backend> {
  const { startTestService, ADMIN_TOKEN } = await import("@stackyard/service/testing/harness");
  const svc = await startTestService();
  const env = { PULUMI_BACKEND_URL: svc.url, PULUMI_ACCESS_TOKEN: ADMIN_TOKEN };
  // Asynchronously: the service runs in this process, so a synchronous spawn would starve it.
  const login = await new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    execFile(PULUMI_BIN, ["login", svc.url, "--non-interactive"], { cwd: root, env: { ...process.env, ...baseEnv(home), ...env }, encoding: "utf8" }, (err, stdout, stderr) =>
      done({ status: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
  if (login.status !== 0) {
    await svc.stop();
    throw new ServiceUnavailable(`\`pulumi login ${svc.url}\` exited ${login.status}: ${(login.stderr || login.stdout).trim().split("\n")[0]}`);
  }
  return { kind: "service", url: svc.url, org: svc.admin.org, env, stop: () => svc.stop() };
}

export class ServiceUnavailable extends Error {}

export async function openSandbox(kind: BackendKind): Promise<Sandbox> {
  const root = mkdtempSync(join(tmpdir(), `sy-auto-${kind}-`));
  const home = join(root, "home");
  mkdirSync(home);
  let backend: Backend;
  try {
    backend = kind === "diy" ? await startDiy(root) : await startService(root, home);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const pulumiCommand = await PulumiCommand.get({ root: REPO_ROOT });
  const envVars = { ...baseEnv(home), ...backend.env };
  return {
    root,
    home,
    backend,
    pulumiCommand,
    envVars,
    stackName: (project, stack) => fullyQualifiedStackName(backend.org, project, stack),
    options: (extra = {}) => ({ pulumiCommand, ...extra, envVars: { ...envVars, ...extra.envVars } }),
    dir(name) {
      const d = join(root, `${name}-${seq++}`);
      mkdirSync(d, { recursive: true });
      return d;
    },
    async dispose() {
      await backend.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Whether the service variant can run: a real service started and a real `pulumi login` to it.
 * Returns the reason to skip, or undefined when it works (the sandbox is then handed back for use).
 */
export async function trySandbox(kind: BackendKind): Promise<{ sandbox?: Sandbox; skip?: string }> {
  try {
    return { sandbox: await openSandbox(kind) };
  } catch (err) {
    if (err instanceof ServiceUnavailable) return { skip: `the CLI cannot use a Stackyard service backend yet: ${err.message}` };
    throw err;
  }
}

/**
 * A dynamic provider that keeps each resource as a JSON file in `inputs.dir` (a stand-in for a
 * cloud). `content` changes update in place, `kind` changes replace; `read` reports drift.
 */
export const FILE_PROVIDER_JS = `
const pulumi = require("@pulumi/pulumi");
const fs = require("fs");
const path = require("path");

const fileProvider = {
  async create(inputs) {
    if (inputs.failCreate) throw new Error(inputs.failCreate);
    if (inputs.sleepMs) await new Promise((r) => setTimeout(r, inputs.sleepMs));
    const id = inputs.name + "-" + Math.random().toString(36).slice(2, 8);
    fs.writeFileSync(path.join(inputs.dir, id + ".json"), JSON.stringify({ content: inputs.content }));
    return { id, outs: { ...inputs, size: String(inputs.content || "").length } };
  },
  async diff(id, olds, news) {
    const changed = ["content", "kind"].filter((k) => olds[k] !== news[k]);
    return { changes: changed.length > 0, replaces: changed.includes("kind") ? ["kind"] : [] };
  },
  async update(id, olds, news) {
    fs.writeFileSync(path.join(news.dir, id + ".json"), JSON.stringify({ content: news.content }));
    return { outs: { ...news, size: String(news.content || "").length } };
  },
  async read(id, props) {
    const file = path.join(props.dir, id + ".json");
    if (!fs.existsSync(file)) return { id: undefined, props: {} };
    const content = JSON.parse(fs.readFileSync(file, "utf8")).content;
    return { id, props: { ...props, content, size: String(content || "").length } };
  },
  async delete(id, props) {
    fs.rmSync(path.join(props.dir, id + ".json"), { force: true });
  },
};

class File extends pulumi.dynamic.Resource {
  constructor(name, props, opts) {
    super(fileProvider, name, { size: undefined, name, ...props }, opts);
  }
}

module.exports = { File, fileProvider };
`;

/**
 * A local program directory: Pulumi.yaml, package.json, `node_modules` linked to the repository's
 * (so `@pulumi/pulumi` 3.270 is the program's own SDK), the file provider, and `files`.
 */
export function writeLocalProgram(dir: string, project: string, files: Record<string, string>, pulumiYamlExtra = ""): void {
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\ndescription: automation suite program\n${pulumiYamlExtra}`);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: project, main: "index.js", dependencies: { "@pulumi/pulumi": "3.270.0" } }, null, 2));
  writeFileSync(join(dir, "file-provider.js"), FILE_PROVIDER_JS);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** The one kind key of an engine event (`preludeEvent`, `resourcePreEvent`, …). */
export function eventKind(e: EngineEvent): string {
  const keys = Object.keys(e).filter((k) => k !== "sequence" && k !== "timestamp");
  if (keys.length !== 1) throw new Error(`event with ${keys.length} kinds: ${JSON.stringify(e)}`);
  return keys[0]!;
}

/** Checks the stream's envelope: sequence 0..n-1 in order, integer timestamps, `cancelEvent` last. */
export function streamProblems(events: EngineEvent[]): string[] {
  const problems: string[] = [];
  events.forEach((e, i) => {
    if (e.sequence !== i) problems.push(`event ${i} has sequence ${e.sequence}`);
    if (!Number.isInteger(e.timestamp) || e.timestamp < 1_600_000_000 || e.timestamp > 10_000_000_000) problems.push(`event ${i} timestamp ${e.timestamp}`);
  });
  if (events.length === 0) problems.push("no events");
  else if (eventKind(events.at(-1)!) !== "cancelEvent") problems.push(`last event is ${eventKind(events.at(-1)!)}`);
  if (events.filter((e) => e.cancelEvent).length > 1) problems.push("more than one cancelEvent");
  return problems;
}

/** `STACKYARD_AUTOMATION_BACKENDS=diy` (comma list) narrows the backends, e.g. while iterating. */
function selectedKinds(): BackendKind[] {
  const wanted = process.env["STACKYARD_AUTOMATION_BACKENDS"];
  if (!wanted) return BACKEND_KINDS;
  return BACKEND_KINDS.filter((k) => wanted.split(",").includes(k));
}

/**
 * Registers `body` once per backend as a `describe` block with its own sandbox. A backend that
 * cannot run (the service variant before the CLI can log in to a service) is skipped with its reason.
 */
export async function describeOnBackends(title: string, body: (sb: Sandbox) => void): Promise<void> {
  const { describe, after, test } = await import("node:test");
  for (const kind of selectedKinds()) {
    const { sandbox, skip } = await trySandbox(kind);
    describe(`${title} [${kind}]`, () => {
      if (!sandbox) {
        test(`${title} on a ${kind} backend`, { skip: skip ?? true }, () => undefined);
        return;
      }
      after(() => sandbox.dispose());
      body(sandbox);
    });
  }
}
