/** The in-process runner `stackyard serve` starts for the default pool (deployments with no agentPoolID). */
import type { RunningService } from "../../index.js";
import type { Runner, RunnerOptions } from "./runner.js";
import { startRunner } from "./runner.js";

export function startDefaultRunner(service: Pick<RunningService, "url" | "app">, opts: Partial<RunnerOptions> = {}): Runner {
  const concurrency = Number(process.env["STACKYARD_RUNNER_CONCURRENCY"] ?? 2);
  return startRunner({
    // A wildcard bind prints `localhost`; the IPv4 loopback is what it surely listens on.
    serviceUrl: service.url.replace("://localhost:", "://127.0.0.1:"),
    token: service.app.deployments.deployments.internalRunnerToken,
    concurrency: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : 2,
    log: () => undefined,
    ...opts,
  });
}
