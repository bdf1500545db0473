import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findProjectFile, loadProject, parseProject, ProjectNotFoundError, resolveProgram, stackSettingsPath } from "./project.js";

test("runtime string or object, backend url, stackConfigDir, options.refresh", () => {
  const a = parseProject({ name: "p", runtime: "nodejs" });
  assert.deepEqual(a.runtime, { name: "nodejs", options: {} });
  assert.equal(a.refreshAlways, false);
  const b = parseProject({
    name: "p",
    runtime: { name: "nodejs", options: { typescript: false } },
    backend: { url: "file:///tmp/x" },
    stackConfigDir: "cfg",
    options: { refresh: "always" },
    main: "src/",
  });
  assert.deepEqual(b.runtime, { name: "nodejs", options: { typescript: false } });
  assert.equal(b.backendUrl, "file:///tmp/x");
  assert.equal(b.stackConfigDir, "cfg");
  assert.equal(b.refreshAlways, true);
  assert.equal(b.main, "src/");
});

test("project validation errors match Pulumi", () => {
  assert.throws(() => parseProject({ runtime: "nodejs" }), /project is missing a 'name' attribute/);
  assert.throws(() => parseProject({ name: "", runtime: "nodejs" }), /non-empty string 'name'/);
  assert.throws(() => parseProject({ name: "p" }), /project is missing a 'runtime' attribute/);
  assert.throws(() => parseProject({ name: "p", runtime: "nodejs", config: { x: { default: 1, value: 2 } } }), /cannot have both a 'default' and 'value'/);
  assert.throws(() => parseProject({ name: "p", runtime: "nodejs", config: { "aws:region": { default: "x" } } }), /should not define a default value/);
  assert.throws(() => parseProject({ name: "p", runtime: "nodejs", config: { n: { type: "integer", default: "abc" } } }), /not of the expected type 'integer'/);
  assert.throws(() => parseProject({ name: "p", runtime: "nodejs", config: { l: { type: "array" } } }), /does not specify the underlying type/);
});

test("shorthand config: project keys become defaults, other namespaces values", () => {
  const p = parseProject({ name: "p", runtime: "nodejs", config: { size: "t3", "aws:region": "us-west-2", "p:n": 3, tags: ["a"] } });
  assert.deepEqual(p.config["size"], { default: "t3" });
  assert.deepEqual(p.config["p:n"], { default: 3 });
  assert.deepEqual(p.config["aws:region"], { value: "us-west-2" });
  assert.deepEqual(p.config["tags"], { default: ["a"] });
});

test("finding Pulumi.yaml/.yml/.json upwards, and the not-found error", async () => {
  const root = mkdtempSync(join(tmpdir(), "proj-"));
  mkdirSync(join(root, "a", "b"), { recursive: true });
  writeFileSync(join(root, "Pulumi.json"), JSON.stringify({ name: "j", runtime: "nodejs" }));
  assert.equal(findProjectFile(join(root, "a", "b")), join(root, "Pulumi.json"));
  writeFileSync(join(root, "Pulumi.yml"), "name: y\nruntime: nodejs\n");
  const loaded = await loadProject(join(root, "a"));
  assert.equal(loaded.project.name, "y");
  assert.equal(loaded.root, root);
  const empty = mkdtempSync(join(tmpdir(), "noproj-"));
  await assert.rejects(loadProject(empty), (e: unknown) => e instanceof ProjectNotFoundError && /no Pulumi.yaml project file found \(searching upwards from/.test(e.message));
});

test("main resolution: root, directory, file, missing", async () => {
  const root = mkdtempSync(join(tmpdir(), "main-"));
  mkdirSync(join(root, "src"));
  writeFileSync(join(root, "src", "index.js"), "");
  assert.deepEqual(await resolveProgram(root, undefined), { rootDirectory: root, programDirectory: root, entryPoint: "." });
  assert.deepEqual(await resolveProgram(root, "src"), { rootDirectory: root, programDirectory: join(root, "src"), entryPoint: "." });
  assert.deepEqual(await resolveProgram(root, "src/index.js"), { rootDirectory: root, programDirectory: join(root, "src"), entryPoint: "index.js" });
  assert.deepEqual(await resolveProgram(root, join(root, "src")), { rootDirectory: root, programDirectory: join(root, "src"), entryPoint: "." });
  await assert.rejects(resolveProgram(root, "nope"), /^Error: project 'main' could not be read: stat .*nope: no such file or directory$/);
});

test("stack settings file: last name segment, stackConfigDir, project file extension", () => {
  const loaded = { project: parseProject({ name: "p", runtime: "nodejs" }), path: "/w/Pulumi.yaml", root: "/w" };
  assert.equal(stackSettingsPath(loaded, "organization/p/dev"), "/w/Pulumi.dev.yaml");
  assert.equal(stackSettingsPath(loaded, "dev"), "/w/Pulumi.dev.yaml");
  const cfg = { project: parseProject({ name: "p", runtime: "nodejs", stackConfigDir: "conf" }), path: "/w/Pulumi.json", root: "/w" };
  assert.equal(stackSettingsPath(cfg, "org/dev"), "/w/conf/Pulumi.dev.json");
});
