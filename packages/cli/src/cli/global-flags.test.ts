import { test } from "node:test";
import assert from "node:assert/strict";
import { Command } from "commander";
import { arrangeGlobalFlags, findLeafCommand, firstCommandWord } from "./global-flags.js";

function tree(): Command {
  const root = new Command("pulumi").option("--color <c>");
  const stack = root.command("stack");
  stack.command("rename").argument("<name>");
  stack.command("tag").command("set").argument("<k>").argument("<v>");
  root.command("whoami").option("-v, --verbose").option("--json");
  root.command("up").alias("update").option("--color <c>");
  return root;
}

test("firstCommandWord skips global flags and their values", () => {
  assert.equal(firstCommandWord(["--color", "never", "-C", "dir", "stack", "ls"]), "stack");
  assert.equal(firstCommandWord(["-v=3", "--logflow", "config"]), "config");
  assert.equal(firstCommandWord(["--", "x"]), undefined);
});

test("findLeafCommand follows subcommands and aliases", () => {
  const root = tree();
  assert.equal(findLeafCommand(root, ["stack", "--color", "never", "tag", "set", "k", "v"]).name(), "set");
  assert.equal(findLeafCommand(root, ["update", "--yes"]).name(), "up");
  assert.equal(findLeafCommand(root, ["nope"]).name(), "pulumi");
});

test("global flags anywhere before -- move in front; the leaf's own flags stay", () => {
  const root = tree();
  const rename = ["stack", "rename", "b", "--color", "never", "--logflow", "-v", "3", "--stack", "a"];
  assert.deepEqual(arrangeGlobalFlags(rename, findLeafCommand(root, rename)).args, ["--color", "never", "--logflow", "-v", "3", "stack", "rename", "b", "--stack", "a"]);
  const up = ["up", "--color", "raw", "--tracing=http://x", "--yes"];
  assert.deepEqual(arrangeGlobalFlags(up, findLeafCommand(root, up)).args, ["--tracing=http://x", "up", "--color", "raw", "--yes"]);
  const who = ["whoami", "-v", "--disable-integrity-checking"];
  assert.deepEqual(arrangeGlobalFlags(who, findLeafCommand(root, who)).args, ["--disable-integrity-checking", "whoami", "-v"]);
});

test("--non-interactive is taken out, even last after --; other positionals are untouched", () => {
  const cancel = ["cancel", "--yes", "--", "dev", "--non-interactive"];
  assert.deepEqual(arrangeGlobalFlags(cancel, undefined), { args: ["cancel", "--yes", "--", "dev"], nonInteractive: true });
  const value = ["config", "set", "k", "--non-interactive", "--", "--color", "--non-interactive"];
  assert.deepEqual(arrangeGlobalFlags(value, undefined), { args: ["config", "set", "k", "--", "--color", "--non-interactive"], nonInteractive: true });
});
