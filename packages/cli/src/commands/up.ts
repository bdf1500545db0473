/** `pulumi up`: preview (unless --skip-preview) and apply the program's desired state. */
import type { Command } from "commander";
import { addOperationFlags, flagBool, type OperationFlags } from "../operations/flags.js";
import { engineOptions, previewThenApply, requireYesToProceed } from "../operations/run-stack-operation.js";

export function register(program: Command): void {
  const cmd = program
    .command("up")
    .alias("update")
    .description("Create or update the resources in a stack")
    .argument("[template|url]", "A template to deploy (not supported by Stackyard)");
  addOperationFlags(cmd, "up");
  cmd.action(async (template: string | undefined, flags: OperationFlags, command: Command) => {
    if (template) throw new Error("deploying a template or URL with `up` is not supported; run `pulumi up` inside a project directory");
    requireYesToProceed(flags);
    const options = engineOptions(flags);
    if (flags.refresh !== undefined && flagBool(flags.refresh, true)) options.refresh = true;
    await previewThenApply(command, flags, { kind: "update", displayKind: "update", updateKind: "update", dryRun: false, withProgram: true, options });
  });
}
