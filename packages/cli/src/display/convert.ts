/** What every JSON consumer of engine events (event log, `--json`) sees: stamped and cleaned. */
import type { DiagnosticEvent, EngineEvent, EngineEventBody } from "@stackyard/protocol";
import { type ColorMode, stripAnsi, stripDirectives } from "./colors.js";

export type Stamper = (e: EngineEventBody) => EngineEvent;

/**
 * Stamp once, feed everyone: the log and the `--json` stream must agree on sequence numbers
 * (which count internal events too) and timestamps.
 */
export function createStamper(now: () => number = Date.now): Stamper {
  let sequence = 0;
  return (e) => ({ sequence: sequence++, timestamp: Math.floor(now() / 1000), ...e }) as EngineEvent;
}

export function isStamped(e: EngineEventBody | EngineEvent): e is EngineEvent {
  return typeof (e as { sequence?: unknown }).sequence === "number";
}

/**
 * Diagnostic messages lose raw ANSI escapes always; with `--color never` colour directives are
 * removed from diagnostics, program stdout and policy messages, and their `color` becomes "never".
 */
export function cleanEvent(e: EngineEvent, color: ColorMode): EngineEvent {
  const never = color === "never";
  if (e.diagnosticEvent) {
    const src = e.diagnosticEvent;
    const message = stripAnsi(src.message);
    const prefix = src.prefix && never ? stripDirectives(src.prefix) : src.prefix;
    // Field set and order of the Go CLI's log: empty urn/prefix and a false ephemeral are omitted,
    // and the stream id (a display detail) is not logged.
    const d: DiagnosticEvent = {
      ...(src.urn ? { urn: src.urn } : {}),
      ...(prefix ? { prefix } : {}),
      message: never ? stripDirectives(message) : message,
      color: never ? "never" : src.color,
      severity: src.severity,
      ...(src.ephemeral ? { ephemeral: true } : {}),
    };
    return { ...e, diagnosticEvent: d };
  }
  if (never && e.stdoutEvent) {
    return { ...e, stdoutEvent: { message: stripDirectives(e.stdoutEvent.message), color: "never" } };
  }
  if (never && e.policyEvent) {
    return { ...e, policyEvent: { ...e.policyEvent, message: stripDirectives(e.policyEvent.message), color: "never" } };
  }
  return e;
}

/** One line of the log: `sequence` and `timestamp` first, like the Go CLI's struct order. */
export function encodeEventLine(e: EngineEvent): string {
  return JSON.stringify(e) + "\n";
}
