/** `pulumi org`, `org get-default`, `org set-default`: organizations exist only on service backends. */
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { CommandContext } from "../workspace/context.js";
import { diyBackendName } from "../workspace/cli-helpers.js";

async function diyName(cmd: Command): Promise<{ ctx: CommandContext; url: string; diy: boolean }> {
  const ctx = await CommandContext.fromCommand(cmd);
  const backend = await ctx.backend();
  return { ctx, url: backend.url, diy: backend.kind === "diy" };
}

export function register(program: Command): void {
  const org = program.command("org").description("Manage Organization configuration");
  org.action(async (_o: unknown, cmd: Command) => {
    const { url, diy } = await diyName(cmd);
    process.stdout.write(`Current Backend: ${url}\n`);
    if (diy) process.stdout.write("No Default Org Specified\n");
    else throw new CliError("organizations on service backends are not yet supported by this build of Stackyard");
  });
  org
    .command("get-default")
    .description("Get the default org for the current backend")
    .action(async (_o: unknown, cmd: Command) => {
      const { diy } = await diyName(cmd);
      if (diy) throw new CliError(`backends of this type "${diyBackendName()}" do not support organizations`);
      throw new CliError("organizations on service backends are not yet supported by this build of Stackyard");
    });
  org
    .command("set-default <name>")
    .description("Set the local default organization for the current backend")
    .action(async (_name: string, _o: unknown, cmd: Command) => {
      const { diy } = await diyName(cmd);
      if (diy) throw new CliError(`unable to set a default organization for backend type: ${diyBackendName()}`);
      throw new CliError("organizations on service backends are not yet supported by this build of Stackyard");
    });
}
