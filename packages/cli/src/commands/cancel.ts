/** `pulumi cancel [stack] [--yes]`: breaks the stack's lock / cancels its running update. */
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { CommandContext } from "../workspace/context.js";
import { isInteractive, messageOf, stackFromArgOrFlag, stackOption } from "../workspace/cli-helpers.js";

export function register(program: Command): void {
  const cmd = program
    .command("cancel [stack-name]")
    .description("Cancel a stack's currently running update, if any")
    .option("-y, --yes", "Skip confirmation prompts, and proceed with cancellation anyway");
  stackOption(cmd);
  cmd.action(async (arg: string | undefined, opts: { stack?: string; yes?: boolean }, command: Command) => {
    const ctx = await CommandContext.fromCommand(command);
    const stack = await ctx.requireStack(stackFromArgOrFlag(arg, opts.stack));
    // Pulumi only asks when it can: non-interactive runs proceed without --yes.
    if (isInteractive() && !opts.yes) throw new CliError("confirmation declined (pass --yes to cancel the update)");
    try {
      await stack.backend.cancelUpdate(stack.ref);
    } catch (err) {
      throw new CliError(messageOf(err));
    }
    process.stdout.write(`The currently running update for '${stack.ref.name}' has been canceled!\n`);
  });
}
