/**
 * Runs one claimed job on this host: get the source, install dependencies, each pre-run command in
 * its own shell (exporting variables through PULUMI_ENV), then the Pulumi operation with Stackyard's
 * own CLI against the service. Each step's output goes to the service as logs, secrets masked.
 * A heartbeat keeps the lease and carries cancellation, which kills the running step's process group.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { PlannedStep } from "../model.js";
import { RESERVED_VARIABLES, maskSecrets } from "../model.js";
import type { Job } from "../service.js";
import type { RunnerClient } from "./client.js";
import { JobEndedError } from "./client.js";
import { cloneCommands, gitAuthEnv, redactUrl } from "./git.js";
import type { StepProcess } from "./process.js";
import { parseEnvFile, startProcess } from "./process.js";

export interface JobOptions {
  client: RunnerClient;
  /** The `pulumi` entry point to run (Stackyard's bin/pulumi by default). */
  cliPath: string;
  /** Where job directories are made (default: the OS temp dir). */
  workRoot?: string;
  keepWorkDir?: boolean;
  /** Lets the runner stop a job (shutdown): resolves the job as failed with this message. */
  stopSignal?: AbortSignal;
}

export interface JobResult {
  status: "succeeded" | "failed" | "cancelled";
  message: string;
  driftDetected?: boolean;
}

type StepOutcome = { status: "succeeded" | "failed" | "skipped"; message?: string; drift?: boolean };

/** The CLI arguments of each operation; drift detection is a refresh preview that expects no changes. */
export function operationArgs(operation: string, stack: string): string[] {
  switch (operation) {
    case "update":
      return ["up", "--yes", "--skip-preview", "--stack", stack];
    case "preview":
      return ["preview", "--stack", stack];
    case "refresh":
      return ["refresh", "--yes", "--skip-preview", "--stack", stack];
    case "destroy":
      return ["destroy", "--yes", "--skip-preview", "--stack", stack];
    case "detect-drift":
      return ["refresh", "--preview-only", "--expect-no-changes", "--stack", stack];
    case "remediate-drift":
      return ["up", "--yes", "--skip-preview", "--refresh", "--stack", stack];
    default:
      throw new Error(`unknown operation '${operation}'`);
  }
}

export const DRIFT_MARKER = "no changes were expected but changes occurred";

/** Sends log lines in order, batched (a line is never sent before the ones written earlier). */
class LogSender {
  private pending: { step: number; timestamp: string; line: string }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly client: RunnerClient, private readonly job: Job) {}

  add(step: number, line: string): void {
    this.pending.push({ step, timestamp: new Date().toISOString(), line: maskSecrets(line, this.job.secrets) });
    if (this.pending.length >= 200) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), 100);
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      this.chain = this.chain.then(async () => {
        // One request per run of lines of the same step.
        let i = 0;
        while (i < batch.length) {
          const step = batch[i]!.step;
          let j = i;
          while (j < batch.length && batch[j]!.step === step) j++;
          await this.client.logs(this.job, step, batch.slice(i, j).map(({ timestamp, line }) => ({ timestamp, line }))).catch((err: unknown) => {
            if (!(err instanceof JobEndedError)) process.stderr.write(`stackyard runner: sending logs failed: ${(err as Error).message}\n`);
          });
          i = j;
        }
      });
    }
    return this.chain;
  }
}

export async function runJob(job: Job, opts: JobOptions): Promise<JobResult> {
  const client = opts.client;
  const root = mkdtempSync(join(opts.workRoot ?? tmpdir(), `stackyard-job-${job.version}-`));
  const logs = new LogSender(client, job);
  let current: StepProcess | undefined;
  let stopReason: "cancel" | "ended" | "shutdown" | undefined;
  const stop = (why: "cancel" | "ended" | "shutdown") => {
    stopReason ??= why;
    current?.kill();
  };
  const onShutdown = () => stop("shutdown");
  opts.stopSignal?.addEventListener("abort", onShutdown);

  let finished = false;
  const heartbeatStop = new AbortController();
  const heartbeat = (async () => {
    const waitMs = Math.max(100, Math.min(job.leaseMs / 3, 10_000));
    while (!finished) {
      try {
        const r = await client.heartbeat(job, waitMs, heartbeatStop.signal);
        if (r.cancelRequested) stop("cancel");
      } catch (err) {
        if (finished) return;
        if (err instanceof JobEndedError) {
          stop("ended");
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, job.leaseMs / 4)));
      }
    }
  })();

  const env = jobEnvironment(job, opts.client.serviceUrl, root, opts.cliPath);
  const srcDir = join(root, "src");
  const fq = `${job.org}/${job.project}/${job.stack}`;
  let workDir = srcDir;
  let drift: boolean | undefined;

  const run = async (step: number, file: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<number> => {
    if (stopReason) return 130;
    current = startProcess(file, args, { cwd, env: { ...env, ...extraEnv }, onLine: (l) => logs.add(step, l) });
    const code = await current.exited;
    current = undefined;
    return code;
  };

  const steps: Record<PlannedStep["kind"], (n: number, s: PlannedStep) => Promise<StepOutcome>> = {
    source: async (n) => {
      const git = job.source.git;
      if (!git?.repoURL) return { status: "failed", message: "no git source was given" };
      if (job.executorImage) logs.add(n, `Executor image '${job.executorImage}' is recorded; this runner runs deployments on its own host.\n`);
      logs.add(n, `Cloning ${redactUrl(git.repoURL)}${git.commit ? ` at commit ${git.commit}` : git.branch && git.branch !== "HEAD" ? ` (branch ${git.branch})` : ""}\n`);
      const authEnv = gitAuthEnv(git, root);
      for (const c of cloneCommands(git, srcDir)) {
        const code = await run(n, "git", c.args, c.inClone ? srcDir : root, authEnv);
        if (code !== 0) return { status: "failed", message: `git ${c.args.find((a) => !a.startsWith("-") && !a.includes("=")) ?? ""} failed with exit code ${code}` };
      }
      workDir = git.repoDir ? resolve(srcDir, git.repoDir) : srcDir;
      if (!existsSync(workDir)) return { status: "failed", message: `repoDir '${git.repoDir}' does not exist in the repository` };
      return { status: "succeeded" };
    },
    install: async (n) => {
      if (!existsSync(join(workDir, "package.json"))) {
        logs.add(n, "No package.json: no dependencies to install.\n");
        return { status: "succeeded" };
      }
      logs.add(n, "$ npm install\n");
      const code = await run(n, "npm", ["install", "--no-audit", "--no-fund"], workDir);
      return code === 0 ? { status: "succeeded" } : { status: "failed", message: `installing dependencies failed with exit code ${code}` };
    },
    prerun: async (n, s) => {
      const cmd = job.operationContext.preRunCommands?.[s.index ?? 0] ?? "";
      const envFile = join(root, `pulumi-env-${n}`);
      logs.add(n, `$ ${cmd}\n`);
      const shell = job.operationContext.options?.shell || "bash";
      const code = await run(n, shell, ["-c", cmd], workDir, { PULUMI_ENV: envFile });
      // The documented form writes `PULUMI_ENV` in the working directory; `$PULUMI_ENV` works too.
      for (const file of [envFile, join(workDir, "PULUMI_ENV")]) {
        if (!existsSync(file)) continue;
        Object.assign(env, parseEnvFile(readFileSync(file, "utf8")));
        rmSync(file, { force: true });
      }
      return code === 0 ? { status: "succeeded" } : { status: "failed", message: `pre-run command ${(s.index ?? 0) + 1} failed with exit code ${code}` };
    },
    operation: async (n) => {
      const args = operationArgs(job.operation, fq);
      logs.add(n, `$ pulumi ${args.join(" ")}\n`);
      if (job.operation !== "detect-drift") {
        const code = await run(n, opts.cliPath, args, workDir);
        return code === 0 ? { status: "succeeded" } : { status: "failed", message: `pulumi ${job.operation} failed with exit code ${code}` };
      }
      let sawDrift = false;
      const seen = (l: string) => {
        if (l.includes(DRIFT_MARKER)) sawDrift = true;
        logs.add(n, l);
      };
      if (stopReason) return { status: "failed" };
      current = startProcess(opts.cliPath, args, { cwd: workDir, env, onLine: seen });
      const code = await current.exited;
      current = undefined;
      if (code === 0) {
        drift = false;
        logs.add(n, "No drift detected.\n");
        return { status: "succeeded", drift: false };
      }
      if (sawDrift) {
        drift = true;
        logs.add(n, "Drift detected: the stack's resources differ from its state.\n");
        return { status: "succeeded", drift: true };
      }
      return { status: "failed", message: `drift detection failed with exit code ${code}` };
    },
    remediate: async (n) => {
      if (!drift) {
        logs.add(n, "No drift to remediate.\n");
        return { status: "skipped" };
      }
      const args = operationArgs("remediate-drift", fq);
      logs.add(n, `$ pulumi ${args.join(" ")}\n`);
      const code = await run(n, opts.cliPath, args, workDir);
      return code === 0 ? { status: "succeeded" } : { status: "failed", message: `remediating drift failed with exit code ${code}` };
    },
  };

  let result: JobResult = { status: "succeeded", message: "" };
  try {
    mkdirSync(join(root, ".pulumi"), { recursive: true });
    for (let i = 0; i < job.steps.length && !stopReason; i++) {
      const n = i + 1;
      const step = job.steps[i]!;
      await client.step(job, n, "running");
      let outcome: StepOutcome;
      try {
        outcome = await steps[step.kind](n, step);
      } catch (err) {
        outcome = { status: "failed", message: (err as Error).message };
      }
      if (stopReason) outcome = { status: "failed", message: stopMessage(stopReason) };
      if (outcome.status === "failed" && outcome.message) logs.add(n, `error: ${outcome.message}\n`);
      await logs.flush();
      await client.step(job, n, stopReason === "cancel" ? "cancelled" : outcome.status);
      if (outcome.status === "failed") {
        result = { status: "failed", message: outcome.message ?? "the step failed" };
        break;
      }
    }
    if (stopReason === "cancel") result = { status: "cancelled", message: "the deployment was cancelled" };
    else if (stopReason) result = { status: "failed", message: stopMessage(stopReason) };
    if (drift !== undefined) result.driftDetected = drift;
    await logs.flush();
    if (stopReason !== "ended") await client.complete(job, result.status, result.message, result.driftDetected);
  } catch (err) {
    if (!(err instanceof JobEndedError)) {
      result = { status: "failed", message: (err as Error).message };
      await client.complete(job, "failed", result.message).catch(() => undefined);
    }
  } finally {
    finished = true;
    heartbeatStop.abort();
    opts.stopSignal?.removeEventListener("abort", onShutdown);
    current?.kill(0);
    await heartbeat.catch(() => undefined);
    if (!opts.keepWorkDir) rmSync(root, { recursive: true, force: true });
  }
  return result;
}

function stopMessage(reason: "cancel" | "ended" | "shutdown"): string {
  if (reason === "cancel") return "the deployment was cancelled";
  if (reason === "shutdown") return "the runner was stopped while the deployment ran";
  return "the service ended the deployment";
}

/**
 * The job's environment: the runner's own (less what the job must set itself), the request's
 * variables, and the reserved ones: backend URL, the run's access token and the CI variables.
 * `pulumi` on PATH is the CLI the runner was given.
 */
export function jobEnvironment(job: Job, serviceUrl: string, root: string, cliPath: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [...RESERVED_VARIABLES, "PULUMI_HOME", "PULUMI_CONFIG_PASSPHRASE_FILE", "NODE_OPTIONS", "NODE_TEST_CONTEXT"]) delete env[k];
  Object.assign(env, job.operationContext.environmentVariables ?? {});
  Object.assign(env, job.environment);
  env["PULUMI_BACKEND_URL"] = serviceUrl;
  env["PULUMI_CI_BUILD_URL"] = `${serviceUrl}/api/stacks/${job.org}/${job.project}/${job.stack}/deployments/${job.deploymentId}`;
  env["PULUMI_ACCESS_TOKEN"] = job.accessToken;
  env["PULUMI_HOME"] = join(root, ".pulumi");
  env["PULUMI_SKIP_UPDATE_CHECK"] = "true";
  if (job.operationContext.oidc) env["STACKYARD_OIDC_CONFIG"] = JSON.stringify(job.operationContext.oidc);
  env["PATH"] = `${dirname(cliPath)}:${env["PATH"] ?? ""}`;
  return env;
}
