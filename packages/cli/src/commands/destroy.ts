/** `pulumi destroy`: delete every resource of the stack, dependents first. */
import { rm } from "node:fs/promises";
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { addOperationFlags, flagBool, type OperationFlags } from "../operations/flags.js";
import { engineOptions, previewThenApply, requireYesToProceed } from "../operations/run-stack-operation.js";
import { messageOf } from "../workspace/cli-helpers.js";
import { CommandContext } from "../workspace/context.js";

/** What `--exclude-protected` needs of each resource in the state. */
export interface ProtectionInfo {
  urn: string;
  protect?: boolean;
  parent?: string;
  dependencies?: string[];
  provider?: string;
}

/**
 * Pulumi's `--exclude-protected`: destroy everything except protected resources and what they
 * need (their ancestors, dependencies and providers, transitively). Returns the URNs to target and
 * how many are kept.
 */
export function unprotectedTargets(resources: readonly ProtectionInfo[], requested: readonly string[] = []): { targets: string[]; kept: number } {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const kept = new Set<string>();
  const keep = (urn: string | undefined) => {
    if (!urn || kept.has(urn)) return;
    kept.add(urn);
    const r = byUrn.get(urn);
    if (!r) return;
    keep(r.parent);
    for (const d of r.dependencies ?? []) keep(d);
    // A provider reference is `<urn>::<id>`.
    if (r.provider) keep(r.provider.slice(0, r.provider.lastIndexOf("::")));
  };
  for (const r of resources) if (r.protect) keep(r.urn);
  const targets = resources.map((r) => r.urn).filter((urn) => !kept.has(urn) && (requested.length === 0 || requested.includes(urn)));
  return { targets, kept: [...kept].filter((u) => byUrn.has(u)).length };
}

export function register(program: Command): void {
  const cmd = program.command("destroy").alias("down").alias("dn").description("Destroy all existing resources in the stack");
  addOperationFlags(cmd, "destroy");
  cmd.action(async (flags: OperationFlags, command: Command) => {
    requireYesToProceed(flags);
    const options = engineOptions(flags);
    if (flags.excludeProtected) {
      const ctx = await CommandContext.fromCommand(command);
      const stack = await ctx.requireStack(flags.stack);
      const resources = (await stack.backend.exportDeployment(stack.ref)).deployment?.resources ?? [];
      const { targets, kept } = unprotectedTargets(resources, flags.target ?? []);
      if (targets.length === 0) {
        process.stdout.write(`There were no unprotected resources to destroy. There are still ${kept} protected resources associated with this stack.\n`);
        return;
      }
      options.targets = targets;
      delete options.excludeProtected;
    }
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
