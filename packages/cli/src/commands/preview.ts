/** `pulumi preview`: what an update would do, with nothing written and no lock taken. */
import type { Command } from "commander";
import { addOperationFlags, flagBool, type OperationFlags } from "../operations/flags.js";
import { engineOptions, runStackOperation } from "../operations/run-stack-operation.js";

export function register(program: Command): void {
  const cmd = program.command("preview").alias("pre").description("Show a preview of updates to a stack's resources");
  addOperationFlags(cmd, "preview");
  cmd.action(async (flags: OperationFlags, command: Command) => {
    const options = engineOptions(flags);
    if (flags.refresh !== undefined && flagBool(flags.refresh, true)) options.refresh = true;
    await runStackOperation(command, flags, { kind: "preview", displayKind: "preview", updateKind: "preview", dryRun: true, withProgram: true, options });
  });
}
