/** `pulumi refresh`: read every resource back from its provider and record what changed. */
import type { Command } from "commander";
import { addOperationFlags, flagBool, type OperationFlags } from "../operations/flags.js";
import { engineOptions, previewThenApply, requireYesToProceed } from "../operations/run-stack-operation.js";

export function register(program: Command): void {
  const cmd = program.command("refresh").description("Refresh the resources in a stack");
  addOperationFlags(cmd, "refresh");
  cmd.action(async (flags: OperationFlags, command: Command) => {
    requireYesToProceed(flags);
    const options = engineOptions(flags);
    const runProgram = flagBool(flags.runProgram, false);
    if (runProgram) options.runProgram = true;
    await previewThenApply(command, flags, { kind: "refresh", displayKind: "refresh", updateKind: "refresh", dryRun: false, withProgram: runProgram, options });
  });
}
