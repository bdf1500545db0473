/**
 * Pulumi's persistent (global) flags are accepted on every command and at any position, as cobra
 * does: the Automation API appends them after a subcommand's own arguments (`stack rename x --color
 * never`, `cancel --yes --logflow`). commander only reads root options before the subcommand, so
 * the argument list is rearranged first: each global flag moves to the front unless the command
 * being run declares an option of that name itself (a local flag wins, as in cobra — `whoami -v`).
 */
import type { Command } from "commander";

export interface GlobalFlag {
  long: string;
  short?: string;
  takesValue: boolean;
}

export const GLOBAL_FLAGS: readonly GlobalFlag[] = [
  { long: "--color", takesValue: true },
  { long: "--cwd", short: "-C", takesValue: true },
  { long: "--non-interactive", takesValue: false },
  { long: "--verbose", short: "-v", takesValue: true },
  { long: "--logflow", takesValue: false },
  { long: "--logtostderr", takesValue: false },
  { long: "--tracing", takesValue: true },
  { long: "--tracing-header", takesValue: true },
  { long: "--otel-traces", takesValue: true },
  { long: "--profiling", takesValue: true },
  { long: "--memprofilerate", takesValue: true },
  { long: "--disable-integrity-checking", takesValue: false },
  { long: "--fully-qualify-stack-names", short: "-Q", takesValue: false },
  { long: "--emoji", short: "-e", takesValue: false },
  { long: "--debug", short: "-d", takesValue: false },
];

/** A global flag occurrence at `args[index]`: its spec, the name used, and how many tokens it spans. */
interface Match {
  flag: GlobalFlag;
  name: string;
  span: number;
}

function matchGlobal(args: readonly string[], index: number): Match | undefined {
  const arg = args[index]!;
  if (!arg.startsWith("-") || arg === "-" || arg === "--") return undefined;
  for (const flag of GLOBAL_FLAGS) {
    for (const name of [flag.long, flag.short]) {
      if (!name) continue;
      if (arg === name) {
        // A value-taking flag at the very end has no value; commander reports that itself.
        const span = flag.takesValue && index + 1 < args.length ? 2 : 1;
        return { flag, name, span };
      }
      // `--color=never`, and for short flags cobra's `-v=3` / `-v3`.
      if (flag.takesValue && (arg.startsWith(`${name}=`) || (name === flag.short && arg.length > 2 && arg.startsWith(name)))) {
        return { flag, name, span: 1 };
      }
    }
  }
  return undefined;
}

/** The top-level command word (which module to load), skipping global flags and their values. */
export function firstCommandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return undefined;
    const match = matchGlobal(args, i);
    if (match) {
      i += match.span - 1;
      continue;
    }
    if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/** The command that will run: follow subcommand names (and aliases) from the root. */
export function findLeafCommand(root: Command, args: readonly string[]): Command {
  let current = root;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    const match = matchGlobal(args, i);
    if (match) {
      i += match.span - 1;
      continue;
    }
    if (arg.startsWith("-")) continue;
    const next = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) break;
    current = next;
  }
  return current;
}

function declares(cmd: Command, name: string): boolean {
  return cmd.options.some((o) => o.long === name || o.short === name);
}

export interface ArrangedArgs {
  args: string[];
  nonInteractive: boolean;
}

/**
 * Moves global flags in front of the command words so the root program parses them. Stops at
 * `--` (what follows is positional), except for the `--non-interactive` the Automation API appends
 * last, even after a `--`, when the arguments lack one. `--non-interactive` itself is taken out and reported.
 */
export function arrangeGlobalFlags(args: readonly string[], leaf: Command | undefined): ArrangedArgs {
  const hoisted: string[] = [];
  const rest: string[] = [];
  let nonInteractive = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg === "--non-interactive") {
      nonInteractive = true;
      continue;
    }
    const match = matchGlobal(args, i);
    if (match && !(leaf && declares(leaf, match.name))) {
      hoisted.push(...args.slice(i, i + match.span));
      i += match.span - 1;
      continue;
    }
    rest.push(arg);
  }
  const positional = args.slice(i);
  // Appended only when not given already; otherwise it is a value (`config set k -- --non-interactive`).
  if (!nonInteractive && positional.length > 1 && positional.at(-1) === "--non-interactive") {
    nonInteractive = true;
    positional.pop();
  }
  return { args: [...hoisted, ...rest, ...positional], nonInteractive };
}
