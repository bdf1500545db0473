#!/usr/bin/env node
/** The `stackyard` / `pulumi` command line. */
import { Command, CommanderError } from "commander";
import { COMMANDS, COMMAND_ALIASES } from "./cli/command-table.js";
import { BailError, CliError } from "./cli/errors.js";

/**
 * The Automation API appends `--non-interactive` last, even after a `--` separator; it is a global
 * flag, so take it out wherever it stands.
 */
export function normalizeArgv(argv: string[]): { args: string[]; nonInteractive: boolean } {
  let nonInteractive = false;
  const args: string[] = [];
  for (const arg of argv) {
    if (arg === "--non-interactive") nonInteractive = true;
    else args.push(arg);
  }
  return { args, nonInteractive };
}

/** Root options that take a value in the next argument (`-C dir`, `--color never`). */
const ROOT_OPTIONS_WITH_VALUE = new Set(["-C", "--cwd", "--color", "-v", "--verbose", "--tracing", "--memprofilerate", "--profiling"]);

export function firstCommandWord(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return undefined;
    if (ROOT_OPTIONS_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const { args, nonInteractive } = normalizeArgv(argv);
  if (nonInteractive) process.env["PULUMI_NON_INTERACTIVE"] = "true";
  const program = new Command("pulumi")
    .description("Pulumi - Modern Infrastructure as Code (Stackyard)")
    .option("--color <color>", "Colorize output. Choices are: always, never, raw, auto", "auto")
    .option("-C, --cwd <dir>", "Run pulumi as if it had been started in another directory")
    .option("--non-interactive", "Disable interactive mode for all commands")
    .option("-v, --verbose <level>", "Enable verbose logging (e.g., v=3); anything >3 is very verbose")
    .option("--logflow", "Flow log settings to child processes (like plugins)")
    .option("--logtostderr", "Log to stderr instead of to files")
    .option("--tracing <url>", "Emit tracing to the specified endpoint")
    .option("-d, --debug", "Print detailed debugging output during resource operations")
    .option("--disable-integrity-checking", "Disable integrity checking of checkpoint files")
    .option("-e, --emoji", "Enable emojis in the output")
    .option("-Q, --fully-qualify-stack-names", "Show fully-qualified stack names")
    .option("--memprofilerate <rate>", "Enable more precise (and expensive) memory allocation profiles")
    .option("--profiling <file>", "Emit CPU and memory profiles and an execution trace")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const word = firstCommandWord(args);
  const name = word ? (COMMAND_ALIASES[word] ?? word) : undefined;
  const entry = name ? COMMANDS[name] : undefined;
  if (entry) {
    (await entry.load()).register(program);
  } else {
    for (const [commandName, { summary }] of Object.entries(COMMANDS)) program.command(commandName).description(summary);
  }

  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed usage errors; help and version are successful exits.
    return err.exitCode === 0 ? 0 : 255;
  }
  if (err instanceof BailError) return err.exitCode;
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? (process.env["STACKYARD_DEBUG"] ? (err.stack ?? err.message) : err.message) : String(err);
  process.stderr.write(`error: ${message}\n`);
  return 255;
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
