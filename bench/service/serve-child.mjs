// Runs the Stackyard service (or the stub, or a bare Fastify handler) in its own process and prints
// its URL, so the load generator and the server never share an event loop.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [kind, token, dataDirArg] = process.argv.slice(2);
if (kind === "stackyard") {
  const { createService } = await import("../../packages/service/dist/index.js");
  const dataDir = dataDirArg || mkdtempSync(join(tmpdir(), "stackyard-bench-"));
  const svc = await createService({ dataDir, port: 0, host: "127.0.0.1", adminToken: token, orgName: "bench", log: () => undefined });
  // A bench run leaves ~200 MB of state behind; a data dir made here goes when the bench stops us.
  if (!dataDirArg) {
    process.once("SIGTERM", () => {
      svc.close().catch(() => undefined).finally(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
      });
    });
  }
  process.stdout.write(`${svc.url}\n`);
} else if (kind === "stub") {
  const { startStub } = await import("./stub.mjs");
  process.stdout.write(`${await startStub(token)}\n`);
} else if (kind === "bare") {
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false });
  const body = { id: "1", orgName: "bench", projectName: "p", stackName: "s", activeUpdate: "", tags: { "pulumi:project": "p" }, version: 0 };
  app.get("/api/stacks/:org/:project/:stack", async () => body);
  await app.listen({ port: 0, host: "127.0.0.1" });
  process.stdout.write(`http://127.0.0.1:${app.server.address().port}\n`);
} else {
  console.error("usage: serve-child.mjs stackyard|stub|bare TOKEN [DATADIR]");
  process.exit(2);
}
