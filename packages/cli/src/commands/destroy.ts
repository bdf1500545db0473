/** `pulumi destroy`: delete every resource of the stack, dependents first. */
import { rm } from "node:fs/promises";
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { addOperationFlags, flagBool, type OperationFlags } from "../operations/flags.js";
import { engineOptions, previewThenApply, requireYesToProceed } from "../operations/run-stack-operation.js";
import { messageOf } from "../workspace/cli-helpers.js";

export function register(program: Command): void {
  const cmd = program.command("destroy").alias("down").alias("dn").description("Destroy all existing resources in the stack");
  addOperationFlags(cmd, "destroy");
  cmd.action(async (flags: OperationFlags, command: Command) => {
    requireYesToProceed(flags);
    const options = engineOptions(flags);
    const runProgram = flagBool(flags.runProgram, false);
    if (runProgram) options.runProgram = true;
    if (flags.refresh !== undefined && flagBool(flags.refresh, true)) options.refresh = true;
    const { inputs } = await previewThenApply(command, flags, {
      kind: "destroy",
      displayKind: "destroy",
      updateKind: "destroy",
      dryRun: false,
      withProgram: runProgram,
      options,
    });
    if (flags.previewOnly) return;
    if (flags.remove) {
      const { stack, ctx } = inputs;
      try {
        await stack.backend.removeStack(stack.ref, false);
      } catch (err) {
        throw new CliError(messageOf(err));
      }
      if (ctx.project && stack.ref.project === ctx.project.project.name) await rm(stack.settingsPath, { force: true });
      if (ctx.project) await ctx.selectStack(undefined).catch(() => undefined);
      process.stdout.write(`The resources in the stack have been deleted, and the history and configuration removed.\n`);
    } else if (!flags.json) {
      process.stdout.write(
        `The resources in the stack have been deleted, but the history and configuration associated with the stack are still maintained. \n` +
          `If you want to remove the stack completely, run \`pulumi stack rm ${inputs.stack.displayName}\`.\n`,
      );
    }
  });
}
