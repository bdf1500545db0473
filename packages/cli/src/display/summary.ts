/** Text blocks printed identically by the progress and diff displays: prelude, summary, durations. */
import type { PreludeEvent, SummaryEvent } from "@stackyard/protocol";
import * as c from "./colors.js";
import { SUMMARY_ORDER, opPrefix, pastTense } from "./ops.js";

/** Go's `time.Duration` text for whole seconds: `0s`, `59s`, `1m9s`, `1h0m5s`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.ceil(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

export function renderPrelude(e: PreludeEvent, showConfig: boolean): string {
  if (!showConfig) return "";
  let out = `${c.SpecUnimportant}Configuration:${c.Reset}\n`;
  for (const key of Object.keys(e.config).sort()) out += `    ${key}: ${e.config[key]}\n`;
  return out;
}

const plural = (n: number, word: string): string => (n === 1 ? word : `${word}s`);

/** The `Resources:` block, plus `Duration:` for real (non-preview) operations. */
export function renderSummary(e: SummaryEvent, resourcesErrored: number, diffStyle: boolean): string {
  const changes = e.resourceChanges as Record<string, number | undefined>;
  let out = `${c.SpecHeadline}Resources:${c.Reset}\n`;
  const planTo = e.isPreview ? "to " : "";
  let kinds = 0;
  let total = 0;
  for (const op of SUMMARY_ORDER) {
    // Reads are not changes to the system, so they never appear in the summary.
    if (op === "same" || op === "read" || op === "discard" || op === "read-replacement") continue;
    const n = changes[op] ?? 0;
    if (n <= 0) continue;
    total += n;
    kinds++;
    out += `    ${opPrefix(op, true)}${n} ${planTo}${e.isPreview ? op : pastTense(op)}${c.Reset}\n`;
  }
  const pieces: string[] = [];
  if (kinds >= 2) pieces.push(`${c.Bold}${total} ${plural(total, "change")}${c.Reset}`);
  const sames = changes.same ?? 0;
  if (sames !== 0) pieces.push(`${sames} unchanged`);
  if (pieces.length > 0) out += `    ${pieces.join(". ")}\n`;
  if (resourcesErrored > 0) out += `    ${c.Red}${resourcesErrored} errored${c.Reset}\n`;
  if (diffStyle) out += renderPolicyPacks(e.PolicyPacks ?? {});
  if (!e.isPreview) out += `\n${c.SpecHeadline}Duration:${c.Reset} ${formatDuration(e.durationSeconds)}\n`;
  return out;
}

function renderPolicyPacks(packs: Record<string, string>): string {
  const names = Object.keys(packs);
  if (names.length === 0) return "";
  const width = Math.max(4, ...names.map((n) => n.length));
  const header = (t: string): string => c.Underline + c.BrightBlue + t + c.Reset;
  let out = `\n${c.SpecHeadline}Policy Packs run:${c.Reset}\n`;
  out += `    ${header("Name")}${" ".repeat(width - 4 + 2)}${header("Version")}\n`;
  for (const n of names) out += `    ${n}${" ".repeat(width - n.length + 2)}${packs[n]}\n`;
  return out;
}

export type DisplayKind = "update" | "preview" | "refresh" | "destroy" | "import";

/** The banner verb: "Updating", "Previewing update", "Refreshing", "Previewing destroy", … */
export function actionLabel(kind: DisplayKind, isPreview: boolean): string {
  const table: Record<DisplayKind, [string, string]> = {
    preview: ["update", "Previewing"],
    update: ["update", "Updating"],
    refresh: ["refresh", "Refreshing"],
    destroy: ["destroy", "Destroying"],
    import: ["import", "Importing"],
  };
  const [previewWhat, doing] = table[kind];
  return isPreview || kind === "preview" ? `Previewing ${previewWhat}` : doing;
}

export function renderHeader(kind: DisplayKind, isPreview: boolean, stackName: string): string {
  return `${c.SpecHeadline}${actionLabel(kind, isPreview)} (${stackName}):${c.Reset}\n`;
}
