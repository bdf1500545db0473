/** `pulumi install`: the program's npm dependencies and the resource plugins they declare. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { acceptGlobalFlags } from "../workspace/cli-helpers.js";
import { CommandContext } from "../workspace/context.js";

export function register(program: Command): void {
  acceptGlobalFlags(
    program
      .command("install")
      .description("Install packages and plugins for the current program or policy pack.")
      .option("--no-plugins", "Skip installing plugins")
      .option("--no-dependencies", "Skip installing dependencies")
      .option("--reinstall", "Reinstall a plugin even if it already exists")
      .option("--use-language-version-tools", "Use language version tools to setup and install the language runtime"),
  ).action(async (flags: { plugins: boolean; dependencies: boolean; reinstall?: boolean }, command: Command) => {
    const ctx = await CommandContext.fromCommand(command, { requireProject: true });
    const project = ctx.requireProject();
    const dir = project.root;
    if (flags.dependencies) {
      // An existing node_modules (often a link to a shared install) is left alone: reinstalling
      // into it would rewrite whatever it points at.
      if (!existsSync(join(dir, "node_modules")) && existsSync(join(dir, "package.json"))) {
        await run("npm", ["install"], dir);
      }
    }
    if (flags.plugins) {
      const { requiredPlugins } = await import("@stackyard/engine/providers/required-plugins");
      const required = await requiredPlugins(dir);
      if (required.length > 0) {
        const args = flags.reinstall ? ["--reinstall"] : [];
        for (const p of required) {
          await run(process.execPath, [process.argv[1]!, "plugin", "install", "resource", p.name, p.version, ...args, ...(p.server ? ["--server", p.server] : [])], dir);
        }
      }
    }
  });
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: "inherit" });
    child.on("error", (err) => reject(new CliError(`${command} failed: ${err.message}`)));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new CliError(`\`${command} ${args.join(" ")}\` exited with code ${code}`))));
  });
}
