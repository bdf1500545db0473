import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declaredPlugin, defaultProviderVersions, requiredPlugins } from "./required-plugins.js";

test("declaredPlugin: package.json `pulumi`, pulumi-plugin.json precedence, defaults", () => {
  assert.equal(declaredPlugin("left-pad", { version: "1.0.0" }, undefined), undefined);
  assert.equal(declaredPlugin("@pulumi/policy", { version: "1.0.0", pulumi: { resource: false } }, undefined), undefined);
  assert.deepEqual(declaredPlugin("@pulumi/random", { version: "4.16.0", pulumi: { resource: true } }, undefined), { name: "random", version: "4.16.0" });
  assert.deepEqual(
    declaredPlugin("@acme/widgets", { version: "2.0.0", pulumi: { resource: true, name: "widgets", server: "https://example.test/plugins" } }, undefined),
    { name: "widgets", version: "2.0.0", server: "https://example.test/plugins" },
  );
  assert.deepEqual(
    declaredPlugin("@pulumi/aws", { version: "6.0.0", pulumi: { resource: true, version: "5.0.0" } }, { resource: true, name: "aws", version: "v6.1.0" }),
    { name: "aws", version: "6.1.0" },
  );
});

test("requiredPlugins reads the program's direct dependencies, searching node_modules upwards", async () => {
  const root = mkdtempSync(join(tmpdir(), "sy-required-plugins-"));
  try {
    const program = join(root, "app");
    const pkg = (base: string, name: string, manifest: object, pluginJson?: object) => {
      const dir = join(base, "node_modules", ...name.split("/"));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name, ...manifest }));
      if (pluginJson) writeFileSync(join(dir, "pulumi-plugin.json"), JSON.stringify(pluginJson));
    };
    mkdirSync(program, { recursive: true });
    writeFileSync(
      join(program, "package.json"),
      JSON.stringify({ dependencies: { "@pulumi/random": "^4", "@acme/cloud": "1.2.3", "not-installed": "1" }, devDependencies: { typescript: "*" } }),
    );
    pkg(program, "@pulumi/random", { version: "4.16.0", pulumi: { resource: true } });
    pkg(root, "@acme/cloud", { version: "1.2.3" }, { resource: true, name: "cloud" });
    pkg(program, "typescript", { version: "5.0.0" });
    const found = await requiredPlugins(program);
    assert.deepEqual(
      found.sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: "cloud", version: "1.2.3" },
        { name: "random", version: "4.16.0" },
      ],
    );
    assert.deepEqual(await requiredPlugins(join(root, "nowhere")), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("defaultProviderVersions: the newest declared version of each package", () => {
  const versions = defaultProviderVersions([
    { name: "aws", version: "6.2.0" },
    { name: "aws", version: "6.10.1" },
    { name: "aws", version: "6.9.0" },
    { name: "random", version: "4.16.0", server: "https://example.test/plugins" },
    { name: "odd", version: "not-a-version" },
  ]);
  assert.deepEqual([...versions], [["aws", "6.10.1"], ["random", "4.16.0"]]);
});
