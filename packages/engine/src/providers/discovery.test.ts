import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MissingPluginError, cachedPluginVersions, findProviderPlugin } from "./discovery.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

function executable(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, 0o755);
}

function fixture() {
  const root = mkdtempSync(join(tmpdir(), "sy-discovery-"));
  const home = join(root, "home");
  const program = join(root, "program");
  mkdirSync(program, { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(program, "node_modules"), "dir");
  return { root, home, program, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test("cached plugins: newest first; partial downloads and odd names are skipped", () => {
  const f = fixture();
  try {
    executable(join(f.home, "plugins", "resource-aws-v1.2.0", "pulumi-resource-aws"));
    executable(join(f.home, "plugins", "resource-aws-v1.10.0", "pulumi-resource-aws"));
    executable(join(f.home, "plugins", "resource-aws-v2.0.0", "pulumi-resource-aws"));
    writeFileSync(join(f.home, "plugins", "resource-aws-v2.0.0.partial"), "");
    mkdirSync(join(f.home, "plugins", "resource-aws-vnext"), { recursive: true });
    mkdirSync(join(f.home, "plugins", "resource-awsx-v9.0.0"), { recursive: true });
    assert.deepEqual(cachedPluginVersions(f.home, "resource", "aws").map((c) => c.version), ["1.10.0", "1.2.0"]);
    assert.deepEqual(cachedPluginVersions(join(f.root, "nowhere"), "resource", "aws"), []);
  } finally {
    f.cleanup();
  }
});

test("findProviderPlugin: project plugins, then PATH, then the cache by version", () => {
  const f = fixture();
  try {
    const env = { PATH: join(f.root, "bin") };
    executable(join(f.home, "plugins", "resource-yard-v0.1.0", "pulumi-resource-yard"));
    executable(join(f.home, "plugins", "resource-yard-v0.2.0", "pulumi-resource-yard"));
    const search = { programDirectory: f.program, pulumiHome: f.home, env };
    assert.equal(findProviderPlugin("yard", undefined, "127.0.0.1:1", search, {}).command, join(f.home, "plugins", "resource-yard-v0.2.0", "pulumi-resource-yard"));
    const pinned = findProviderPlugin("yard", "v0.1.0", "127.0.0.1:1", search, {});
    assert.equal(pinned.command, join(f.home, "plugins", "resource-yard-v0.1.0", "pulumi-resource-yard"));
    assert.deepEqual(pinned.args, ["127.0.0.1:1"]);

    executable(join(f.root, "bin", "pulumi-resource-yard"));
    assert.equal(findProviderPlugin("yard", undefined, "a", search, {}).command, join(f.root, "bin", "pulumi-resource-yard"));
    assert.equal(
      findProviderPlugin("yard", undefined, "a", { ...search, env: { ...env, PULUMI_IGNORE_AMBIENT_PLUGINS: "1" } }, {}).command,
      join(f.home, "plugins", "resource-yard-v0.2.0", "pulumi-resource-yard"),
    );

    executable(join(f.root, "local", "pulumi-resource-yard"));
    const local = { ...search, projectPlugins: [{ name: "yard", path: join(f.root, "local") }] };
    assert.equal(findProviderPlugin("yard", undefined, "a", local, {}).command, join(f.root, "local", "pulumi-resource-yard"));
  } finally {
    f.cleanup();
  }
});

test("the Node dynamic provider comes from the program's own SDK; missing plugins say how to install", () => {
  const f = fixture();
  try {
    const search = { programDirectory: f.program, pulumiHome: f.home, env: { PATH: "" } };
    const dynamic = findProviderPlugin("pulumi-nodejs", undefined, "addr", search, {});
    assert.equal(dynamic.command, process.execPath);
    assert.match(dynamic.args[0]!, /@pulumi[/\\]pulumi[/\\]cmd[/\\]dynamic-provider/);
    assert.throws(() => findProviderPlugin("nothere", "1.2.3", "addr", search, {}), (err: unknown) => {
      assert.ok(err instanceof MissingPluginError);
      assert.match(err.message, /pulumi plugin install resource nothere v1\.2\.3/);
      return true;
    });
  } finally {
    f.cleanup();
  }
});
