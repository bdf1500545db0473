/**
 * Engine events as log lines, the way the CLI's progress display reads: one line per step start,
 * outcome, diagnostic or stdout message, plus the summary. Pure, so the rules are unit-tested.
 */
import type { EngineEvent, StepEventMetadata, StepOp } from "@stackyard/protocol";
import { changesText, formatDuration, formatTimestamp, parseServiceTime, resourceName, stripColors } from "./format.js";

export type LogLevel = "info" | "step" | "ok" | "warning" | "error" | "debug";

export interface LogLine {
  sequence: number;
  /** `HH:MM:SS` in UTC, or empty when the event carried no timestamp. */
  time: string;
  level: LogLevel;
  /** The resource the line is about, when it is about one. */
  urn?: string;
  text: string;
}

const OP_SYMBOL: Partial<Record<StepOp, string>> = {
  create: "+", update: "~", delete: "-", replace: "+-", "create-replacement": "++", "delete-replaced": "--",
  read: ">", "read-replacement": ">>", refresh: "~", import: "=", "import-replacement": "=>", discard: "-", "discard-replaced": "-",
};

const OP_PRESENT: Partial<Record<StepOp, string>> = {
  same: "unchanged", create: "creating", update: "updating", delete: "deleting", replace: "replacing",
  "create-replacement": "creating replacement", "delete-replaced": "deleting original", read: "reading",
  "read-replacement": "reading for replacement", refresh: "refreshing", import: "importing", "import-replacement": "importing replacement",
  discard: "discarding", "discard-replaced": "discarding original", "remove-pending-replace": "removing pending replace",
};

const OP_PAST: Partial<Record<StepOp, string>> = {
  same: "unchanged", create: "created", update: "updated", delete: "deleted", replace: "replaced",
  "create-replacement": "created replacement", "delete-replaced": "deleted original", read: "read",
  "read-replacement": "read for replacement", refresh: "refreshed", import: "imported", "import-replacement": "imported replacement",
  discard: "discarded", "discard-replaced": "discarded original", "remove-pending-replace": "removed pending replace",
};

function describe(meta: StepEventMetadata): string {
  return `${meta.type} ${resourceName(meta.urn)}`;
}

function timeOf(event: EngineEvent): string {
  const d = parseServiceTime(event.timestamp);
  return d ? formatTimestamp(d).slice(11) : "";
}

/** Log lines for one event; events the log does not show (progress, debugging) give none. */
export function eventLines(event: EngineEvent, opts: { showDebug?: boolean } = {}): LogLine[] {
  const base = { sequence: event.sequence, time: timeOf(event) };
  const line = (level: LogLevel, text: string, urn?: string): LogLine[] => [{ ...base, level, text, ...(urn ? { urn } : {}) }];
  if (event.resourcePreEvent) {
    const m = event.resourcePreEvent.metadata;
    // Same-steps of the stack itself and providers are noise in a log.
    if (m.op === "same" && !m.logical) return [];
    const symbol = OP_SYMBOL[m.op] ?? " ";
    return line("step", `${symbol} ${describe(m)} ${OP_PRESENT[m.op] ?? m.op}${event.resourcePreEvent.planning ? " (planning)" : ""}`.trim(), m.urn);
  }
  if (event.resOutputsEvent) {
    const m = event.resOutputsEvent.metadata;
    if (m.op === "same") return [];
    const symbol = OP_SYMBOL[m.op] ?? " ";
    return line("ok", `${symbol} ${describe(m)} ${OP_PAST[m.op] ?? m.op}`.trim(), m.urn);
  }
  if (event.resOpFailedEvent) {
    const m = event.resOpFailedEvent.metadata;
    return line("error", `${describe(m)} ${OP_PRESENT[m.op] ?? m.op} failed`, m.urn);
  }
  if (event.diagnosticEvent) {
    const d = event.diagnosticEvent;
    if (d.severity === "debug" && !opts.showDebug) return [];
    const level: LogLevel = d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : d.severity === "debug" ? "debug" : "info";
    const text = stripColors(`${d.prefix ?? ""}${d.message}`).replace(/\n+$/, "");
    if (text === "") return [];
    return line(level, text, d.urn || undefined);
  }
  if (event.stdoutEvent) {
    const text = stripColors(event.stdoutEvent.message).replace(/\n+$/, "");
    return text === "" ? [] : line("info", text);
  }
  if (event.preludeEvent) {
    const keys = Object.keys(event.preludeEvent.config ?? {});
    return line("info", keys.length ? `Configuration: ${keys.sort().join(", ")}` : "Starting");
  }
  if (event.summaryEvent) {
    const s = event.summaryEvent;
    const verb = s.isPreview ? "Preview" : "Update";
    const outcome = s.result ? ` ${s.result}` : "";
    return line(s.result === "failed" ? "error" : "ok", `${verb}${outcome}: ${changesText(s.resourceChanges)}; duration ${formatDuration(s.durationSeconds)}`);
  }
  if (event.policyEvent) {
    const p = event.policyEvent;
    return line(p.enforcementLevel === "mandatory" ? "error" : "warning", stripColors(`[${p.policyPackName}/${p.policyName}] ${p.message}`), p.resourceUrn);
  }
  if (event.cancelEvent) return line("warning", "Canceled");
  if (event.errorEvent) return line("error", stripColors(event.errorEvent.error));
  return [];
}

/** Every line of an event stream, in sequence order (pages may arrive out of order). */
export function eventLog(events: readonly EngineEvent[], opts: { showDebug?: boolean } = {}): LogLine[] {
  return [...events].sort((a, b) => a.sequence - b.sequence).flatMap((e) => eventLines(e, opts));
}
