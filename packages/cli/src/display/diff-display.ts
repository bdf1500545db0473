/**
 * The `--diff` display: each step is printed as it starts, with a property-level diff of its inputs,
 * indented under its (visible) parents; outputs follow when the step completes.
 */
import type { EngineEventBody, StepEventMetadata } from "@stackyard/protocol";
import * as c from "./colors.js";
import { type ColorMode, colorize } from "./colors.js";
import { Heartbeat } from "./heartbeat.js";
import { renderPolicyViolation } from "./policies.js";
import { opColor } from "./ops.js";
import { indentation } from "./printer.js";
import { isInternalStep, latestState, outputsText, resourceDetails, resourceSummary, shouldShow } from "./steps.js";
import { renderPrelude, renderSummary } from "./summary.js";
import { isRootStackUrn } from "./urn.js";

export interface DiffOptions {
  action: string;
  color: ColorMode;
  showConfig: boolean;
  showSames: boolean;
  showReplacementSteps: boolean;
  showSecrets: boolean;
  suppressOutputs: boolean;
  suppressProgress: boolean;
  debug: boolean;
  write: (s: string) => void;
  /** Diagnostics go to stderr in the Pulumi CLI. */
  writeErr: (s: string) => void;
}

export class DiffDisplay {
  private readonly seen = new Map<string, StepEventMetadata>();
  private errored = 0;
  private finished = false;
  private readonly heartbeat: Heartbeat;

  constructor(private readonly o: DiffOptions) {
    this.heartbeat = new Heartbeat(o.action, o.color, o.write, o.suppressProgress);
  }

  tick(): void {
    this.heartbeat.tick();
  }

  private emit(text: string, toErr = false): void {
    this.heartbeat.interrupt();
    if (text !== "") (toErr ? this.o.writeErr : this.o.write)(text);
  }

  onEvent(e: EngineEventBody): void {
    if (this.finished) return;
    if (e.cancelEvent) {
      this.finish();
      return;
    }
    const col = (s: string): string => colorize(s, this.o.color);
    if (e.preludeEvent) this.emit(col(renderPrelude(e.preludeEvent, this.o.showConfig)));
    else if (e.summaryEvent) this.emit(col(renderSummary(e.summaryEvent, this.errored, true)));
    else if (e.stdoutEvent) this.emit(col(e.stdoutEvent.message));
    else if (e.resOpFailedEvent) {
      if (!isInternalStep(e.resOpFailedEvent.metadata)) this.errored++;
      this.emit("");
    } else if (e.resourcePreEvent) {
      const m = e.resourcePreEvent.metadata;
      if (isInternalStep(m)) return;
      this.emit(col(this.preEvent(m, !!e.resourcePreEvent.planning)));
    } else if (e.resOutputsEvent) {
      const m = e.resOutputsEvent.metadata;
      if (isInternalStep(m)) return;
      this.emit(col(this.outputsEvent(m, !!e.resOutputsEvent.planning)));
    } else if (e.diagnosticEvent) {
      const d = e.diagnosticEvent;
      if (d.severity === "debug" && !this.o.debug) return;
      this.emit(col((d.prefix ?? "") + d.message), true);
    } else if (e.policyEvent) {
      this.emit(col(renderPolicyViolation(e.policyEvent)));
    }
  }

  finish(): void {
    this.heartbeat.interrupt();
    this.heartbeat.stop();
    this.finished = true;
  }

  private show(m: StepEventMetadata): boolean {
    return shouldShow(m, { showSames: this.o.showSames, showReplacementSteps: this.o.showReplacementSteps }, true) || isRootStackUrn(m.urn);
  }

  private indentOf(m: StepEventMetadata): number {
    let indent = 0;
    let p = latestState(m)?.parent ?? "";
    const visited = new Set<string>();
    while (p && !visited.has(p)) {
      visited.add(p);
      const par = this.seen.get(p);
      // Parents not seen yet (deletes run children first) simply stop the indentation.
      if (!par) break;
      if (this.show(par)) indent++;
      p = latestState(par)?.parent ?? "";
    }
    return indent;
  }

  private renderStep(m: StepEventMetadata, planning: boolean): string {
    const indent = this.indentOf(m);
    const details = resourceDetails(m, indent, { planning, summary: false, showSecrets: this.o.showSecrets });
    return resourceSummary(m, indent) + details + c.Reset;
  }

  private preEvent(m: StepEventMetadata, planning: boolean): string {
    this.seen.set(m.urn, m);
    if (m.op === "refresh" || m.op === "import") return "";
    return this.show(m) ? this.renderStep(m, planning) : "";
  }

  private outputsEvent(m: StepEventMetadata, planning: boolean): string {
    if (!this.show(m)) return "";
    const refresh = this.seen.get(m.urn)?.op === "refresh";
    if (m.op === "import" || (refresh && m.op === "update")) return this.renderStep(m, planning);
    const indent = this.indentOf(m);
    const text = outputsText(m, indent + 1, { planning, refresh, showSames: this.o.showSames, showSecrets: this.o.showSecrets });
    let out = "";
    if (refresh && (m.op !== "refresh" || text !== "" || isRootStackUrn(m.urn))) out += resourceSummary(m, indent);
    if (!this.o.suppressOutputs && text !== "") {
      out += `${opColor(m.op)}${indentation(indent + 1, m.op, false)}--outputs:--${c.Reset}\n`;
      out += text;
    }
    return out;
  }
}
