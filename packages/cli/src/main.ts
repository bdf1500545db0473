/** The `stackyard` / `pulumi` command line. */
import { Command, CommanderError } from "commander";
import { COMMANDS, COMMAND_ALIASES } from "./cli/command-table.js";
import { BailError, CliError } from "./cli/errors.js";
import { arrangeGlobalFlags, findLeafCommand, firstCommandWord } from "./cli/global-flags.js";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("pulumi")
    .description("Pulumi - Modern Infrastructure as Code (Stackyard)")
    .option("--color <color>", "Colorize output. Choices are: always, never, raw, auto", "auto")
    .option("-C, --cwd <dir>", "Run pulumi as if it had been started in another directory")
    .option("--non-interactive", "Disable interactive mode for all commands")
    .option("-v, --verbose <level>", "Enable verbose logging (e.g., v=3); anything >3 is very verbose")
    .option("--logflow", "Flow log settings to child processes (like plugins)")
    .option("--logtostderr", "Log to stderr instead of to files")
    .option("--tracing <url>", "Emit tracing to the specified endpoint")
    .option("--tracing-header <header>", "Include the tracing header with the given contents")
    .option("--otel-traces <endpoint>", "Export OpenTelemetry traces to the specified endpoint")
    .option("-d, --debug", "Print detailed debugging output during resource operations")
    .option("--disable-integrity-checking", "Disable integrity checking of checkpoint files")
    .option("-e, --emoji", "Enable emojis in the output")
    .option("-Q, --fully-qualify-stack-names", "Show fully-qualified stack names")
    .option("--memprofilerate <rate>", "Enable more precise (and expensive) memory allocation profiles")
    .option("--profiling <file>", "Emit CPU and memory profiles and an execution trace")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const word = firstCommandWord(argv);
  const name = word ? (COMMAND_ALIASES[word] ?? word) : undefined;
  const entry = name ? COMMANDS[name] : undefined;
  if (entry) {
    (await entry.load()).register(program);
  } else {
    for (const [commandName, { summary }] of Object.entries(COMMANDS)) program.command(commandName).description(summary);
  }

  const { args, nonInteractive } = arrangeGlobalFlags(argv, entry ? findLeafCommand(program, argv) : undefined);
  if (nonInteractive) process.env["PULUMI_NON_INTERACTIVE"] = "true";
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

void main(process.argv.slice(2)).then((exitCode) => {
  process.exitCode = exitCode;
});
