/** `stackyard runner`: runs a deployment runner that takes jobs of its agent pool from a service. */
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { trustDeferredCaCerts } from "../launch/deferred-ca.cjs";
import { importModule } from "../launch/import-module.cjs";

interface RunnerFlags {
  url?: string;
  token?: string;
  concurrency?: string;
  workDir?: string;
}

export function register(program: Command): void {
  program
    .command("runner")
    .description("Run a deployment runner for an agent pool of a Stackyard service")
    .option("--url <url>", "The service to take jobs from (default: $STACKYARD_RUNNER_URL or $PULUMI_BACKEND_URL)")
    .option("--token <token>", "The agent pool's token (default: $STACKYARD_RUNNER_TOKEN); a site administrator's token serves the default pool")
    .option("--concurrency <n>", "How many deployments to run at once", "1")
    .option("--work-dir <dir>", "Where job directories are created (default: the system temp directory)")
    .action(async (flags: RunnerFlags) => {
      const url = flags.url ?? process.env["STACKYARD_RUNNER_URL"] ?? process.env["PULUMI_BACKEND_URL"];
      const token = flags.token ?? process.env["STACKYARD_RUNNER_TOKEN"];
      if (!url || !/^https?:\/\//.test(url)) throw new CliError("the service URL is required: pass --url http(s)://… or set STACKYARD_RUNNER_URL");
      if (!token) throw new CliError("an agent pool token is required: pass --token or set STACKYARD_RUNNER_TOKEN");
      const concurrency = Number(flags.concurrency ?? "1");
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new CliError(`invalid --concurrency '${flags.concurrency}'`);
      trustDeferredCaCerts();
      const { startRunner } = await importModule<typeof import("@stackyard/service/deployments/runner/runner")>("@stackyard/service/deployments/runner/runner");
      const runner = startRunner({
        serviceUrl: url, token, concurrency, ...(flags.workDir ? { workRoot: flags.workDir } : {}),
        log: (line) => process.stdout.write(`${line}\n`),
      });
      process.stdout.write(`Stackyard runner ${runner.agent.id} taking jobs from ${url}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      await runner.stop();
    });
}
