/** Small helpers shared by the command modules (stack, config, whoami, …): flags, confirmations, stdin. */
import { hostname } from "node:os";
import { Option, type Command } from "commander";
import { CliError } from "../cli/errors.js";

/** `-s, --stack <name>` on a leaf command (options are positional, so each leaf declares its own). */
export function stackOption(cmd: Command, description = "The name of the stack to operate on. Defaults to the current stack"): Command {
  return cmd.option("-s, --stack <stack-name>", description);
}

/** `--config-file`, which Pulumi accepts on config commands and the Automation API appends as a global option. */
export function configFileOption(cmd: Command): Command {
  return cmd.option("--config-file <file>", "Use the configuration values in the specified file rather than detecting the file name");
}

/**
 * Global flags the Automation API may append after a subcommand's own arguments (applyGlobalOpts);
 * accepted and ignored by commands that have no use for them.
 */
export function acceptGlobalFlags(cmd: Command, { configFile = true }: { configFile?: boolean } = {}): Command {
  cmd.addOption(new Option("--color <color>").hideHelp());
  cmd.addOption(new Option("--logflow").hideHelp());
  cmd.addOption(new Option("--logtostderr").hideHelp());
  cmd.addOption(new Option("--tracing <url>").hideHelp());
  cmd.addOption(new Option("-d, --debug").hideHelp());
  cmd.addOption(new Option("--suppress-outputs").hideHelp());
  cmd.addOption(new Option("--suppress-progress").hideHelp());
  cmd.addOption(new Option("--verbose <level>").hideHelp());
  if (configFile) cmd.addOption(new Option("--config-file <file>").hideHelp());
  return cmd;
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Only one of `--stack` and the positional stack name (Pulumi's wording). */
export function stackFromArgOrFlag(arg: string | undefined, flag: string | undefined): string | undefined {
  if (arg !== undefined && flag) throw new CliError("only one of --stack or argument stack name may be specified, not both");
  return arg ?? flag;
}

/** What the DIY backend calls itself in messages (Pulumi uses the host name). */
export function diyBackendName(): string {
  return hostname() || "diy";
}

export function isInteractive(): boolean {
  return process.env["PULUMI_NON_INTERACTIVE"] !== "true" && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
}

/** Pulumi's confirmation rule for destructive commands run without `--yes`. */
export function requireYes(yes: boolean | undefined): void {
  const skip = ["1", "true"].includes((process.env["PULUMI_SKIP_CONFIRMATIONS"] ?? "").toLowerCase());
  if (yes || skip) return;
  throw new CliError("non-interactive mode requires --yes flag");
}

export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** Error text of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Re-raises engine/workspace errors as CliErrors (prefixed like Pulumi's `%w` wrapping). */
export function wrapError(prefix: string, err: unknown): CliError {
  return new CliError(`${prefix}: ${messageOf(err)}`);
}
