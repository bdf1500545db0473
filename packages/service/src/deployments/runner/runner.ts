/**
 * A deployment runner: claims jobs of its pool from the service over HTTP (long polling) and runs
 * them on this host, `concurrency` at a time. `stackyard runner` runs one; `stackyard serve` runs
 * one in-process for the default pool.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import type { AgentInfo, Job } from "../service.js";
import { RunnerClient } from "./client.js";
import type { JobResult } from "./job.js";
import { runJob } from "./job.js";

export interface RunnerOptions {
  serviceUrl: string;
  /** An agent pool token (or, for the default pool, the service's own runner token or a site admin's). */
  token: string;
  concurrency?: number;
  workRoot?: string;
  /** The `pulumi` to run (default: this checkout's bin/pulumi). */
  cliPath?: string;
  /** How long one claim request waits for work. */
  claimWaitMs?: number;
  log?: (line: string) => void;
  onJob?: (job: Job, result: JobResult) => void;
}

export const RUNNER_VERSION = "0.1.0";

/** bin/pulumi of the checkout this module belongs to (dist/deployments/runner → repository root). */
export function defaultCliPath(): string {
  return fileURLToPath(new URL("../../../../../bin/pulumi", import.meta.url));
}

export class Runner {
  readonly agent: AgentInfo;
  private readonly client: RunnerClient;
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];
  /** Jobs run so far (deployment ids), for observers. */
  readonly ran: string[] = [];

  constructor(private readonly opts: RunnerOptions) {
    this.client = new RunnerClient(opts.serviceUrl.replace(/\/+$/, ""), opts.token);
    this.agent = { id: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`, hostname: hostname(), ip: "", pid: String(process.pid), version: RUNNER_VERSION };
  }

  start(): this {
    const n = Math.max(1, this.opts.concurrency ?? 1);
    for (let i = 0; i < n; i++) this.loops.push(this.loop());
    return this;
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    let backoff = 250;
    while (!signal.aborted) {
      let job: Job | undefined;
      try {
        job = await this.client.claim(this.agent, this.opts.claimWaitMs ?? 10_000, signal);
        backoff = 250;
      } catch (err) {
        if (signal.aborted) return;
        this.log(`stackyard runner: claiming a job failed: ${(err as Error).message}`);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      if (!job) continue;
      this.ran.push(job.deploymentId);
      this.log(`stackyard runner: running deployment ${job.deploymentId} (${job.operation} of ${job.org}/${job.project}/${job.stack}, version ${job.version})`);
      const result = await runJob(job, {
        client: this.client, cliPath: this.opts.cliPath ?? defaultCliPath(), stopSignal: signal,
        ...(this.opts.workRoot ? { workRoot: this.opts.workRoot } : {}),
      });
      this.log(`stackyard runner: deployment ${job.deploymentId} ${result.status}${result.message ? `: ${result.message}` : ""}`);
      this.opts.onJob?.(job, result);
    }
  }

  /** Stops claiming; jobs still running are stopped and reported failed. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export function startRunner(opts: RunnerOptions): Runner {
  return new Runner(opts).start();
}
