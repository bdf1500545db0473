/**
 * Running the user's program against our monitor: a Node.js project spawned directly (what the Node
 * language host would do), or an Automation API inline program reached through `--client`.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { languagePb, structPb } from "../rpc/proto.js";
import { GrpcCallError, UnaryClient } from "../rpc/unary-client.js";
import type { ConfigMap, OperationOptions, ProgramSource, StackIdentity } from "../api.js";

export interface ProgramLaunch {
  source: ProgramSource;
  identity: StackIdentity;
  monitorAddress: string;
  engineAddress: string;
  dryRun: boolean;
  parallel: number;
  /** Config keyed `ns:key`, plaintext. */
  config: Record<string, string>;
  configSecretKeys: string[];
  onOutput(line: string, stream: "stdout" | "stderr"): void;
}

/** `--parallel`, with Pulumi's default. */
export function parallelOf(options: OperationOptions): number {
  return options.parallel ?? 16;
}

/** The program's view of its config: plaintext values by key, and which keys are secret. */
export function programConfig(config: ConfigMap): { config: Record<string, string>; configSecretKeys: string[] } {
  const values: Record<string, string> = {};
  const configSecretKeys: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    values[k] = v.value;
    if (v.secret) configSecretKeys.push(k);
  }
  return { config: values, configSecretKeys };
}

/** How a program run ended. `bail`: it failed and already told the user why. */
export type ProgramOutcome = { ok: true } | { ok: false; bail: boolean; message: string };

export interface RunningProgram {
  readonly outcome: Promise<ProgramOutcome>;
  /** Ask the program to stop (SIGINT, then SIGKILL after 5 s). */
  cancel(): void;
  /** Stop it now: for a program none of whose own code has run yet. */
  stop(): void;
}

export function runProgram(launch: ProgramLaunch): RunningProgram {
  return launch.source.kind === "nodejs" ? runNodeProgram(launch) : runClientProgram(launch);
}

const SDK_MISSING = "It looks like the Pulumi SDK has not been installed. Have you run pulumi install?";

/** Finds `@pulumi/pulumi/<subpath>` the way node would from inside the program directory. */
export function resolveFromProgram(programDirectory: string, request: string): string {
  return createRequire(join(programDirectory, "__stackyard__.js")).resolve(request);
}

/** The Go language host's environment contract (engine-protocol §1.3): legacy config keys, secret keys, TS switch. */
export function programEnvironment(launch: ProgramLaunch, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const legacyConfig: Record<string, string> = {};
  for (const [key, value] of Object.entries(launch.config)) {
    const i = key.indexOf(":");
    legacyConfig[i < 0 ? key : `${key.slice(0, i)}:config:${key.slice(i + 1)}`] = value;
  }
  const env: NodeJS.ProcessEnv = {
    ...base,
    PULUMI_CONFIG: JSON.stringify(legacyConfig),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(launch.configSecretKeys),
  };
  const options = launch.source.runtimeOptions;
  if (options["typescript"] !== false) env["PULUMI_NODEJS_TYPESCRIPT"] = "true";
  if (typeof options["tsconfig"] === "string") env["PULUMI_NODEJS_TSCONFIG_PATH"] = options["tsconfig"];
  return env;
}

/** Node 20 only: keeps the SDK's report of an unhandled error from hanging (node20-inspect-guard.ts). */
const INSPECT_GUARD = process.versions.node.startsWith("20.") ? ["--import", new URL("./node20-inspect-preload.js", import.meta.url).href] : [];

export function programArguments(launch: ProgramLaunch, runPath: string): string[] {
  const { identity, source } = launch;
  const nodeargs = typeof source.runtimeOptions["nodeargs"] === "string" ? source.runtimeOptions["nodeargs"].split(/\s+/).filter(Boolean) : [];
  const args = [...nodeargs, ...INSPECT_GUARD, runPath, "--monitor", launch.monitorAddress, "--engine", launch.engineAddress];
  if (identity.organization) args.push("--organization", identity.organization);
  args.push("--project", identity.project, "--root-directory", source.rootDirectory, "--stack", identity.stack, "--pwd", source.programDirectory);
  if (launch.dryRun) args.push("--dry-run");
  args.push("--parallel", String(launch.parallel), source.entryPoint);
  return args;
}

function validateRuntimeOptions(options: Record<string, unknown>): void {
  const checks: [string, string][] = [
    ["typescript", "boolean"],
    ["tsconfig", "string"],
    ["nodeargs", "string"],
    ["packagemanager", "string"],
  ];
  for (const [name, type] of checks) {
    if (options[name] !== undefined && typeof options[name] !== type) throw new Error(`${name} option must be a ${type}`);
  }
}

function runNodeProgram(launch: ProgramLaunch): RunningProgram {
  let runPath: string;
  try {
    validateRuntimeOptions(launch.source.runtimeOptions);
    runPath = process.env["PULUMI_LANGUAGE_NODEJS_RUN_PATH"] ?? resolveFromProgram(launch.source.programDirectory, "@pulumi/pulumi/cmd/run");
  } catch (err) {
    const message = err instanceof Error && /Cannot find module/.test(err.message) ? SDK_MISSING : String((err as Error).message ?? err);
    return { outcome: Promise.resolve({ ok: false, bail: false, message }), cancel: () => {}, stop: () => {} };
  }
  const child = spawn(process.execPath, programArguments(launch, runPath), {
    cwd: launch.source.programDirectory,
    env: programEnvironment(launch),
    stdio: ["ignore", "pipe", "pipe"],
  });
  createInterface({ input: child.stdout! }).on("line", (line) => launch.onOutput(line, "stdout"));
  let sawOutOfMemory = false;
  createInterface({ input: child.stderr! }).on("line", (line) => {
    if (/JavaScript heap out of memory/.test(line)) sawOutOfMemory = true;
    launch.onOutput(line, "stderr");
  });
  const outcome = new Promise<ProgramOutcome>((resolve) => {
    child.once("error", (err) => resolve({ ok: false, bail: false, message: `Problem executing program (could not run language executor): ${err.message}` }));
    child.once("close", (code, signal) => {
      if (code === 0) resolve({ ok: true });
      else if (code === 32) resolve({ ok: false, bail: true, message: "" });
      else {
        let message = `Program exited with non-zero exit code: ${code ?? (signal ? `signal ${signal}` : "unknown")}`;
        if (sawOutOfMemory) message += ". The Node.js process ran out of memory; set NODE_OPTIONS=--max-old-space-size to raise the limit";
        resolve({ ok: false, bail: false, message });
      }
    });
  });
  return {
    outcome,
    cancel: () => {
      if (child.exitCode !== null) return;
      child.kill("SIGINT");
      setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 5000).unref();
    },
    stop: () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** Inline programs: the Automation API hosts a LanguageRuntime; we call its Run with our addresses. */
function runClientProgram(launch: ProgramLaunch): RunningProgram {
  const source = launch.source as Extract<ProgramSource, { kind: "client" }>;
  const client = new UnaryClient(source.address, { maxMessageBytes: 400 * 1024 * 1024 });
  const req = new languagePb.RunRequest();
  req.setProject(launch.identity.project).setStack(launch.identity.stack).setOrganization(launch.identity.organization);
  req.setPwd(source.programDirectory).setProgram(source.entryPoint).setArgsList([launch.engineAddress]);
  req.setDryrun(launch.dryRun).setParallel(launch.parallel).setMonitorAddress(launch.monitorAddress);
  req.setConfigsecretkeysList(launch.configSecretKeys);
  const config = req.getConfigMap();
  for (const [k, v] of Object.entries(launch.config)) config.set(k, v);
  const info = new languagePb.ProgramInfo();
  info.setRootDirectory(source.rootDirectory).setProgramDirectory(source.programDirectory).setEntryPoint(source.entryPoint);
  info.setOptions(structPb.Struct.fromJavaScript(source.runtimeOptions as never));
  req.setInfo(info);
  const abort = new AbortController();
  const outcome = client.call("/pulumirpc.LanguageRuntime/Run", req.serializeBinary(), abort.signal).then(
    (bytes): ProgramOutcome => {
      const res = languagePb.RunResponse.deserializeBinary(bytes);
      if (res.getBail()) return { ok: false, bail: true, message: "" };
      if (res.getError()) return { ok: false, bail: false, message: res.getError() };
      return { ok: true };
    },
    (err: unknown): ProgramOutcome => ({ ok: false, bail: false, message: err instanceof GrpcCallError ? err.details || err.message : String(err) }),
  );
  void outcome.finally(() => client.close());
  return { outcome, cancel: () => abort.abort(), stop: () => abort.abort() };
}
