/**
 * Pulumi-style colour directives (`<{%fg 1%}>`) and how they become terminal output. Everything the
 * display builds carries directives; only the last step turns them into ANSI, keeps them (raw), or
 * drops them, so one renderer serves every `--color` mode.
 */

export type ColorMode = "always" | "never" | "raw";

const directive = (s: string): string => `<{%${s}%}>`;

export const Reset = directive("reset");
export const Bold = directive("bold");
export const Underline = directive("underline");
export const Red = directive("fg 1");
export const Green = directive("fg 2");
export const Yellow = directive("fg 3");
export const Blue = directive("fg 4");
export const Magenta = directive("fg 5");
export const Cyan = directive("fg 6");
export const BrightRed = directive("fg 9");
export const BrightGreen = directive("fg 10");
export const BrightBlue = directive("fg 12");
export const BrightMagenta = directive("fg 13");
export const BrightCyan = directive("fg 14");

export const SpecHeadline = BrightMagenta + Bold;
export const SpecUnimportant = Reset;
export const SpecInfo = Magenta;
export const SpecError = Red;
export const SpecWarning = Yellow;
export const SpecDebug = SpecUnimportant;
export const SpecCreate = Green;
export const SpecUpdate = Yellow;
export const SpecReplace = BrightMagenta;
export const SpecDelete = Red;
export const SpecCreateReplacement = BrightGreen;
export const SpecDeleteReplaced = BrightRed;
export const SpecRead = BrightCyan;

// An unterminated `<{%` swallows the rest of the text, as the Go colorizer does.
const DIRECTIVE = /<\{%(.*?)%\}>|<\{%.*$/gs;

function ansiFor(name: string): string {
  if (name === "reset") return "\x1b[0m";
  if (name === "bold") return "\x1b[1m";
  if (name === "underline") return "\x1b[4m";
  const m = /^(fg|bg) (\d+)$/.exec(name);
  if (m) return `\x1b[${m[1] === "fg" ? 38 : 48};5;${m[2]}m`;
  return "";
}

export function colorize(text: string, mode: ColorMode): string {
  if (mode === "raw" || !text.includes("<{%")) return text;
  return text.replace(DIRECTIVE, (_all, name: string | undefined) =>
    mode === "always" && name !== undefined ? ansiFor(name) : "",
  );
}

export function stripDirectives(text: string): string {
  return colorize(text, "never");
}

// Same pattern the Go CLI applies to diagnostic messages before logging them.
const ANSI_CONTROL = /\x1b\[[0-9;]*[mK]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_CONTROL, "");
}

/**
 * `auto` means colour only on a terminal and only when NO_COLOR is unset; the other flag values map
 * directly. Unknown values fall back to auto so a typo never crashes the CLI.
 */
export function resolveColorMode(flag: string | undefined, isTTY: boolean, env: NodeJS.ProcessEnv): ColorMode {
  switch (flag) {
    case "always":
      return "always";
    case "never":
      return "never";
    case "raw":
      return "raw";
    default:
      // Like the Go CLI, NO_COLOR counts when merely present, even if empty.
      return isTTY && env.NO_COLOR === undefined ? "always" : "never";
  }
}
