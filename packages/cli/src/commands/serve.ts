import type { Command } from "commander";
import { trustDeferredCaCerts } from "../launch/deferred-ca.cjs";
import { importModule } from "../launch/import-module.cjs";

interface ServeOptions {
  port?: string;
  dataDir?: string;
  database?: string;
  host?: string;
  runner?: boolean;
}

/** `stackyard serve`: runs the state service in this process until SIGINT/SIGTERM. */
export function register(program: Command): void {
  program
    .command("serve")
    .description("Run the Stackyard service, runner and console")
    .option("--port <port>", "Port to listen on (default: $PORT or 8080)")
    .option("--data-dir <dir>", "Directory for the embedded database and master key (default: $STACKYARD_DATA_DIR or .stackyard-data)")
    .option("--database <url>", "postgres://… to use PostgreSQL instead of the embedded SQLite database")
    .option("--host <host>", "Address to bind (default: $HOST or 0.0.0.0)")
    .option("--no-runner", "Do not run the default in-process deployment runner (also: STACKYARD_RUNNER=0)")
    .action(async (opts: ServeOptions) => {
      // A long-lived process: its database and outbound connections trust the certificates now.
      trustDeferredCaCerts();
      const portText = opts.port ?? process.env["PORT"] ?? "8080";
      const port = Number(portText);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port '${portText}'`);
      // Listen for the stop signal before the service announces itself: a supervisor (or a test)
      // may send it as soon as the "listening" line appears, while the runner is still loading.
      const stopped = new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      // Loaded here so other commands never pay for the service's dependencies.
      const { createService } = await importModule<typeof import("@stackyard/service")>("@stackyard/service");
      const service = await createService({
        port,
        host: opts.host ?? process.env["HOST"] ?? "0.0.0.0",
        dataDir: opts.dataDir ?? process.env["STACKYARD_DATA_DIR"] ?? ".stackyard-data",
        database: opts.database ?? process.env["STACKYARD_DATABASE"],
      });
      const { startDefaultRunner } = await importModule<typeof import("@stackyard/service/deployments/runner/default-runner")>(
        "@stackyard/service/deployments/runner/default-runner",
      );
      const runner = opts.runner !== false && process.env["STACKYARD_RUNNER"] !== "0" ? startDefaultRunner(service) : undefined;
      await stopped;
      await runner?.stop();
      await service.close();
    });
}
