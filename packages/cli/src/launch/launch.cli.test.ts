/**
 * The start-up path of bin/pulumi: the bundles run from code caches this Node accepts, an operation
 * loads the engine from its bundle, and
 * NODE_EXTRA_CA_CERTS, which the launcher defers, still holds for the CLI's own TLS connections and
 * reaches the processes the CLI starts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import Module from "node:module";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Script } from "node:vm";
import { REPO_ROOT, TestProject } from "../e2e/engine/support.js";
import { pluginDownloadUrl } from "../plugins/plugin-cache.js";

const BUNDLE = join(REPO_ROOT, "packages", "cli", "dist", "bundle", "cli.cjs");
const ENGINE_BUNDLE = join(REPO_ROOT, "packages", "cli", "dist", "bundle", "engine.cjs");
const TESTDATA = join(REPO_ROOT, "packages", "cli", "src", "launch", "testdata");
const CERT = join(TESTDATA, "localhost-cert.pem");

test("the bundles' code caches are accepted by this Node (otherwise every call compiles them again)", () => {
  for (const bundle of [BUNDLE, ENGINE_BUNDLE]) {
    const script = new Script(Module.wrap(readFileSync(bundle, "utf8")), { filename: bundle, cachedData: readFileSync(`${bundle}.cache`) });
    assert.equal(script.cachedDataRejected, false, bundle);
  }
});

test("an operation runs the engine from its bundle, sharing the one Engine service module with the CLI", async (t) => {
  const project = new TestProject("engine-bundle", { "index.js": 'require("@pulumi/pulumi").log.info("from the program");\n' });
  t.after(() => project.cleanup());
  await project.init();
  // What the CLI process required, written as it exits (the program, which inherits the option, writes nothing).
  const report = join(project.root, "required.json");
  const hook = join(project.root, "report-required.cjs");
  writeFileSync(
    hook,
    `if (/launcher\\.cjs$/.test(process.argv[1] ?? "")) process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  const preview = await project.pulumi(["preview"], { env: { NODE_OPTIONS: `--require ${hook}` } });
  assert.match(preview.stdout, /from the program/, "the program's log went through the Engine service thread");
  const required: string[] = JSON.parse(readFileSync(report, "utf8"));
  assert.equal(required.filter((file) => file.endsWith(join("engine", "dist", "program", "engine-service.cjs"))).length, 1, required.join("\n"));
  const unbundled = required.filter((file) => file.endsWith(join("engine", "dist", "rpc", "generated.cjs")) || file.includes(join("@pulumi", "pulumi", "proto")));
  assert.deepEqual(unbundled, [], "the generated messages came with the engine's bundle");
});

test("NODE_EXTRA_CA_CERTS: trusted by the CLI's downloads and handed on to the program", async (t) => {
  const project = new TestProject("extra-ca", {
    "index.js": 'console.log(`extra-ca=${process.env.NODE_EXTRA_CA_CERTS} deferred=${process.env.STACKYARD_DEFERRED_CA_CERTS}`);\n',
  });
  t.after(() => project.cleanup());

  // A plugin release on an HTTPS server whose certificate only NODE_EXTRA_CA_CERTS vouches for.
  const pluginDir = join(project.root, "plugin");
  mkdirSync(pluginDir);
  writeFileSync(join(pluginDir, "pulumi-resource-capem"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(pluginDir, "pulumi-resource-capem"), 0o755);
  const tarball = join(project.root, "plugin.tar.gz");
  assert.equal(spawnSync("tar", ["-czf", tarball, "-C", pluginDir, "."]).status, 0);
  const release = new URL(pluginDownloadUrl("resource", "capem", "1.0.0", "https://127.0.0.1/releases")).pathname;
  const server = createServer({ key: readFileSync(join(TESTDATA, "localhost-key.pem")), cert: readFileSync(CERT) }, (req, res) => {
    if (req.url === release) res.end(readFileSync(tarball));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/releases`;
  const install = ["plugin", "install", "resource", "capem", "1.0.0", "--server", serverUrl];

  // Without the variable the certificate is refused, so the success below is the variable's doing.
  const refused = await project.pulumi(install, { expectCode: 255, env: { NODE_EXTRA_CA_CERTS: "" } });
  assert.match(refused.stderr, /self[- ]signed certificate/i);
  await project.pulumi(install, { env: { NODE_EXTRA_CA_CERTS: CERT } });
  assert.ok(existsSync(join(project.home, "plugins", "resource-capem-v1.0.0", "pulumi-resource-capem")));

  await project.init();
  const preview = await project.pulumi(["preview"], { env: { NODE_EXTRA_CA_CERTS: CERT } });
  assert.match(preview.stdout, new RegExp(`extra-ca=${CERT} deferred=undefined`));
});
