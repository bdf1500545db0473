/**
 * Pure formatting for the console's views: times, durations, resource changes, URNs, property
 * values. No DOM here, so every decision is unit-tested in Node.
 */
import type { ResourceChanges, StepOp, UpdateResult } from "@stackyard/protocol";

/**
 * Service times come in three shapes: Unix seconds (update history), RFC 3339 (deployment steps
 * and log lines) and `YYYY-MM-DD hh:mm:ss.sss` in UTC without a zone (deployment summaries).
 * Undefined for missing values and Go's zero time, which means "never".
 */
export function parseServiceTime(value: number | string | undefined | null): Date | undefined {
  if (value === undefined || value === null || value === "" || value === 0) return undefined;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return undefined;
    // Milliseconds are 1000x larger than any plausible second count (year 33658).
    return new Date(value > 1e12 ? value : value * 1000);
  }
  if (value.startsWith("0001-01-01")) return undefined;
  const zoneless = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value);
  const d = new Date(zoneless ? `${value.replace(" ", "T")}Z` : value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-01-02 03:04:05` in UTC: stable across the viewer's time zone and the tests'. */
export function formatTimestamp(d: Date | undefined): string {
  if (!d) return "—";
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `just now`, `5 minutes ago`, `3 days ago`; future times (clock skew) read as `just now`. */
export function relativeTime(d: Date | undefined, now: Date): string {
  if (!d) return "never";
  const seconds = Math.floor((now.getTime() - d.getTime()) / 1000);
  if (seconds < 45) return "just now";
  const units: [number, string][] = [[60, "minute"], [3600, "hour"], [86400, "day"], [30 * 86400, "month"], [365 * 86400, "year"]];
  let chosen: [number, string] = units[0]!;
  for (const u of units) if (seconds >= u[0]) chosen = u;
  const n = Math.max(1, Math.round(seconds / chosen[0]));
  return `${n} ${chosen[1]}${n === 1 ? "" : "s"} ago`;
}

/** `<1s`, `850ms`, `42s`, `3m 05s`, `2h 01m`. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  // Update times have whole seconds: zero means "under a second", not an exact 0ms.
  if (seconds === 0) return "<1s";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

/** Seconds between two service times, or undefined while the second is missing. */
export function durationBetween(start: number | string | undefined, end: number | string | undefined): number | undefined {
  const a = parseServiceTime(start);
  const b = parseServiceTime(end);
  if (!a || !b) return undefined;
  return Math.max(0, (b.getTime() - a.getTime()) / 1000);
}

export interface ChangeBadge {
  op: StepOp;
  symbol: string;
  label: string;
  count: number;
}

/** Display order and wording of step operations, as `pulumi up` summarizes them. */
const CHANGE_ORDER: { op: StepOp; symbol: string; label: string }[] = [
  { op: "create", symbol: "+", label: "created" },
  { op: "update", symbol: "~", label: "updated" },
  { op: "replace", symbol: "+-", label: "replaced" },
  { op: "delete", symbol: "-", label: "deleted" },
  { op: "import", symbol: "=", label: "imported" },
  { op: "import-replacement", symbol: "=>", label: "import-replaced" },
  { op: "read", symbol: ">", label: "read" },
  { op: "refresh", symbol: "~", label: "refreshed" },
  { op: "discard", symbol: "-", label: "discarded" },
  { op: "same", symbol: "", label: "unchanged" },
];

/** Non-zero counts in display order; internal steps (create-replacement, …) are folded away. */
export function changeBadges(changes: ResourceChanges | undefined): ChangeBadge[] {
  if (!changes) return [];
  const out: ChangeBadge[] = [];
  for (const c of CHANGE_ORDER) {
    const count = changes[c.op] ?? 0;
    if (count > 0) out.push({ ...c, count });
  }
  return out;
}

/** `1 created, 2 unchanged`; `no changes` when nothing was counted. */
export function changesText(changes: ResourceChanges | undefined): string {
  const badges = changeBadges(changes);
  return badges.length === 0 ? "no changes" : badges.map((b) => `${b.count} ${b.label}`).join(", ");
}

export type Tone = "ok" | "bad" | "busy" | "muted";

/** Colour family for an update result or a deployment / step status. */
export function statusTone(status: UpdateResult | string | undefined): Tone {
  switch (status) {
    case "succeeded":
      return "ok";
    case "failed":
    case "canceled":
    case "cancelled":
      return "bad";
    case "in-progress":
    case "running":
    case "accepted":
    case "not-started":
      return "busy";
    default:
      return "muted";
  }
}

export interface ParsedUrn {
  stack: string;
  project: string;
  /** The full type chain, parents first (`a$b`), as in the URN. */
  typeChain: string;
  /** The resource's own type (the last of the chain). */
  type: string;
  name: string;
}

/** `urn:pulumi:stack::project::parent$type::name`; undefined for anything else. */
export function parseUrn(urn: string): ParsedUrn | undefined {
  const m = /^urn:pulumi:([^:]*)::([^:]*)::(.*?)::(.*)$/s.exec(urn);
  if (!m) return undefined;
  const typeChain = m[3]!;
  return { stack: m[1]!, project: m[2]!, typeChain, type: typeChain.split("$").pop()!, name: m[4]! };
}

/** A resource's display name: the URN's name part, else the URN itself. */
export function resourceName(urn: string): string {
  return parseUrn(urn)?.name ?? urn;
}

/** The signature key Pulumi uses to mark secrets, assets and archives in state. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

/** One line of text for a property value; secrets never show their ciphertext or plaintext. */
export function formatValue(value: unknown, maxLength = 200): string {
  const text = (() => {
    if (value === null || value === undefined) return "null";
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return JSON.stringify(redactSecrets(value));
  })();
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== "object" || value === null) return value;
  const obj = value as Record<string, unknown>;
  const sig = obj[SIG_KEY];
  if (sig === SECRET_SIG) return "[secret]";
  if (sig === ASSET_SIG) return `[asset ${typeof obj["path"] === "string" ? obj["path"] : typeof obj["uri"] === "string" ? obj["uri"] : "text"}]`;
  if (sig === ARCHIVE_SIG) return "[archive]";
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redactSecrets(v)]));
}

/** True for a top-level secret value (shown as a masked cell rather than text). */
export function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * Engine messages carry the CLI's colour markup (`<{%fg 1%}>`, `<{%reset%}>`) or ANSI escapes;
 * a log view shows the text only.
 */
export function stripColors(text: string): string {
  // eslint-disable-next-line no-control-regex -- ANSI escapes are control characters by definition
  return text.replace(/<\{%[^%]*%\}>/g, "").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}
