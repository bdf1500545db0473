/** The runner's side of the runner protocol: claim, heartbeat, step status, logs, completion. */
import type { AgentInfo, Job } from "../service.js";

export class JobEndedError extends Error {}

export class RunnerClient {
  constructor(readonly serviceUrl: string, private readonly poolToken: string) {}

  private async call(path: string, auth: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; json: unknown }> {
    const res = await fetch(this.serviceUrl + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: auth, "User-Agent": "stackyard-runner/1" },
      body: JSON.stringify(body ?? {}),
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status === 409) throw new JobEndedError((json as { message?: string } | undefined)?.message ?? "the deployment already ended");
    if (res.status >= 400) throw new Error(`${path}: ${res.status} ${(json as { message?: string } | undefined)?.message ?? text}`);
    return { status: res.status, json };
  }

  async claim(agent: AgentInfo, waitMs: number, signal?: AbortSignal): Promise<Job | undefined> {
    const r = await this.call("/api/stackyard/runner/claim", `token ${this.poolToken}`, { agent, waitMs }, signal);
    return r.status === 204 ? undefined : (r.json as Job);
  }

  private jobPath(job: Job, tail: string): string {
    return `/api/stackyard/runner/jobs/${encodeURIComponent(job.deploymentId)}/${tail}`;
  }

  async heartbeat(job: Job, waitMs: number, signal?: AbortSignal): Promise<{ cancelRequested: boolean }> {
    const r = await this.call(this.jobPath(job, "heartbeat"), `job-token ${job.jobToken}`, { waitMs }, signal);
    return r.json as { cancelRequested: boolean };
  }

  async step(job: Job, step: number, status: string): Promise<void> {
    await this.call(this.jobPath(job, `steps/${step}`), `job-token ${job.jobToken}`, { status });
  }

  async logs(job: Job, step: number, lines: { timestamp: string; line: string }[]): Promise<void> {
    await this.call(this.jobPath(job, "logs"), `job-token ${job.jobToken}`, { step, lines });
  }

  async complete(job: Job, status: string, message: string, driftDetected?: boolean): Promise<void> {
    await this.call(this.jobPath(job, "complete"), `job-token ${job.jobToken}`, { status, message, ...(driftDetected !== undefined ? { driftDetected } : {}) });
  }
}
