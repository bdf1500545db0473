/**
 * The non-interactive progress display: what `pulumi up/preview/refresh/destroy` print when stdout
 * is not a terminal (and what Automation API `onOutput` receives). One line per resource state
 * change, then Diagnostics, Outputs and the Resources summary once the engine is finished.
 */
import type {
  DiagnosticEvent,
  EngineEventBody,
  PolicyEvent,
  ProgressEvent,
  StepEventMetadata,
  SummaryEvent,
} from "@stackyard/protocol";
import * as c from "./colors.js";
import { type ColorMode, colorize } from "./colors.js";
import {
  doneText,
  failedText,
  opColor,
  opColorProgress,
  opPrefix,
  previewDoneText,
  previewText,
  progressText,
} from "./ops.js";
import { addRetainFlag, isInternalStep, latestState, outputsText, shortDiffInfo, shouldShow } from "./steps.js";
import { renderPrelude, renderSummary } from "./summary.js";
import { Heartbeat } from "./heartbeat.js";
import { renderPolicySection } from "./policies.js";
import { defaultRootStackUrn, escapeForDisplay, isRootStackUrn, parseUrn, typeDisplayName } from "./urn.js";

export interface ProgressOptions {
  /** Lower-case action label, used by the heartbeat ("@ updating...."). */
  action: string;
  stackName: string;
  projectName: string;
  isPreview: boolean;
  color: ColorMode;
  showConfig: boolean;
  showSames: boolean;
  showReads: boolean;
  showSecrets: boolean;
  suppressOutputs: boolean;
  suppressProgress: boolean;
  suppressTimings: boolean;
  debug: boolean;
  write: (s: string) => void;
  now: () => number;
}

interface DiagInfo {
  errors: number;
  warnings: number;
  infos: number;
  debugs: number;
  last?: DiagnosticEvent;
  streams: Map<number, DiagnosticEvent[]>;
}

interface Row {
  step: StepEventMetadata;
  outputSteps: StepEventMetadata[];
  failed: boolean;
  hidden: boolean;
  diag: DiagInfo;
  policies: PolicyEvent[];
}

const placeholderStep = (urn: string): StepEventMetadata => ({
  op: "same",
  urn,
  type: "",
  old: null,
  new: null,
  detailedDiff: null,
  provider: "",
});

const plural = (n: number, word: string): string => (n === 1 ? word : `${word}s`);

export class ProgressDisplay {
  private readonly rows = new Map<string, Row>();
  /** Creation order, which is also the order of the final sections. */
  private readonly order: Row[] = [];
  private stackUrn = "";
  private summary: SummaryEvent | undefined;
  private displayDone = false;
  private finished = false;
  private readonly started = new Map<string, number>();
  private readonly ended = new Map<string, number>();
  private readonly progressSeen = new Set<string>();
  private readonly heartbeat: Heartbeat;

  constructor(private readonly o: ProgressOptions) {
    this.heartbeat = new Heartbeat(o.action, o.color, o.write, o.suppressProgress);
  }

  /** About once a second. */
  tick(): void {
    this.heartbeat.tick();
  }

  private println(line: string): void {
    this.heartbeat.interrupt();
    this.o.write(colorize(line, this.o.color) + "\n");
  }

  onEvent(e: EngineEventBody): void {
    if (this.finished) return;
    if (e.cancelEvent) {
      this.finish();
      return;
    }
    if (e.preludeEvent) {
      this.println(renderPrelude(e.preludeEvent, this.o.showConfig));
      return;
    }
    if (e.summaryEvent) {
      this.summary = e.summaryEvent;
      return;
    }
    if (e.stdoutEvent) {
      this.ensureStackRow();
      this.println(e.stdoutEvent.message);
      return;
    }
    if (e.progressEvent) {
      this.onProgress(e.progressEvent);
      return;
    }
    if (e.diagnosticEvent) {
      if (this.renderDiag(e.diagnosticEvent, true) === "") return;
      this.onResourceEvent(e.diagnosticEvent.urn ?? "", undefined, e);
      return;
    }
    if (e.policyEvent) {
      this.onResourceEvent(e.policyEvent.resourceUrn ?? "", undefined, e);
      return;
    }
    const meta = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
    if (meta) {
      if (isInternalStep(meta)) return;
      this.onResourceEvent(meta.urn, meta, e);
    }
    // startDebugging, error and policy-summary events have no console rendering.
  }

  private onProgress(p: ProgressEvent): void {
    this.ensureStackRow();
    const first = !this.progressSeen.has(p.id);
    if (p.done) this.progressSeen.delete(p.id);
    else this.progressSeen.add(p.id);
    if (p.done) this.println(`${p.message}: done`);
    else if (first) this.println(`${p.message}: starting`);
  }

  private onResourceEvent(eventUrn: string, meta: StepEventMetadata | undefined, e: EngineEventBody): void {
    if (meta && !this.o.showReads) {
      if (meta.op === "discard" || meta.op === "read-replacement") return;
      if (meta.op === "read") {
        // Reads are an implementation detail; surface them only as a transient note on the stack.
        const parts = parseUrn(meta.urn);
        const note: DiagnosticEvent = {
          message: `read ${typeDisplayName(parts?.type ?? meta.type)} ${parts?.name ?? ""}`,
          color: this.o.color,
          severity: "info",
          ephemeral: true,
        };
        this.onResourceEvent("", undefined, { diagnosticEvent: note });
        return;
      }
    }
    const urn = eventUrn || this.stackUrn;
    const isRootEvent = urn === this.stackUrn;
    const row = this.rowFor(urn, meta);
    const hide = (meta !== undefined && !shouldShow(meta, this.showOptions(), false) && !isRootEvent) || !!e.policyEvent;
    if (!hide) row.hidden = false;

    if (e.resourcePreEvent) {
      const step = e.resourcePreEvent.metadata;
      this.started.set(step.urn, this.o.now());
      this.ended.delete(step.urn);
      row.step = step;
    } else if (e.resOutputsEvent) {
      const wasRefresh = row.step.op === "refresh";
      const step = e.resOutputsEvent.metadata;
      this.ended.set(step.urn, this.o.now());
      row.step = step;
      row.outputSteps.push(step);
      const res = latestState(step);
      // Re-printing a row only helps when it now says something new (a finished custom resource).
      const meaningful = wasRefresh || (!this.o.isPreview && (res === null || (!!res.custom && step.op !== "same")));
      if (!meaningful) return;
    } else if (e.resOpFailedEvent) {
      row.failed = true;
    } else if (e.diagnosticEvent) {
      this.recordDiag(row, e.diagnosticEvent);
    } else if (e.policyEvent) {
      row.policies.push(e.policyEvent);
    }
    this.rowUpdated(row);
  }

  private showOptions(): { showSames: boolean; showReplacementSteps: boolean } {
    return { showSames: this.o.showSames, showReplacementSteps: false };
  }

  private newRow(step: StepEventMetadata, hidden: boolean): Row {
    const row: Row = {
      step,
      outputSteps: [],
      failed: false,
      hidden,
      diag: { errors: 0, warnings: 0, infos: 0, debugs: 0, streams: new Map() },
      policies: [],
    };
    this.order.push(row);
    return row;
  }

  private rowFor(urn: string, meta: StepEventMetadata | undefined): Row {
    const existing = this.rows.get(urn);
    if (existing) {
      this.ensureParentRow(meta);
      return existing;
    }
    const step = meta ?? placeholderStep(urn);
    if (isRootStackUrn(urn)) {
      this.stackUrn = urn;
      // Anything said before the stack registered was attached to a stand-in row; adopt it.
      const standIn = this.rows.get("");
      if (standIn) {
        standIn.step = step;
        this.rows.delete("");
        this.rows.set(urn, standIn);
        return standIn;
      }
    }
    const row = this.newRow(step, true);
    this.rows.set(urn, row);
    this.ensureParentRow(meta);
    this.ensureStackRow();
    return row;
  }

  private ensureParentRow(meta: StepEventMetadata | undefined): void {
    const parent = meta ? latestState(meta)?.parent : undefined;
    if (!parent || parent === this.stackUrn || this.rows.has(parent)) return;
    this.rows.set(parent, this.newRow(placeholderStep(parent), true));
    this.ensureStackRow();
  }

  private ensureStackRow(): void {
    if (this.rows.has(this.stackUrn)) return;
    this.rows.set(this.stackUrn, this.newRow(placeholderStep(""), false));
  }

  private recordDiag(row: Row, d: DiagnosticEvent): void {
    const info = row.diag;
    info.last = d;
    const id = d.streamID ?? 0;
    const list = info.streams.get(id) ?? [];
    list.push(d);
    info.streams.set(id, list);
    if (d.ephemeral) return;
    if (d.severity === "error") info.errors++;
    else if (d.severity === "warning") info.warnings++;
    else if (d.severity === "info" || d.severity === "info#err") info.infos++;
    else if (d.severity === "debug") info.debugs++;
  }

  private renderDiag(d: DiagnosticEvent, includePrefix: boolean): string {
    if (d.severity === "debug" && !this.o.debug) return "";
    const msg = includePrefix ? (d.prefix ?? "") + d.message : d.message;
    return msg.trimEnd();
  }

  private isDone(row: Row): boolean {
    if (row.failed || this.displayDone) return true;
    if (isRootStackUrn(row.step.urn)) return false;
    return row.outputSteps.some((s) => s.op === row.step.op);
  }

  private isInterrupted(row: Row): boolean {
    if (!this.displayDone) return false;
    const state = latestState(row.step);
    if (!state?.custom) return false;
    if (row.step.op === "same" || row.step.op === "remove-pending-replace") return false;
    return !row.outputSteps.some((s) => s.op === row.step.op);
  }

  private columns(row: Row): { op: string; type: string; name: string; status: string; info: string } {
    const step = row.step;
    const urn = step.urn || defaultRootStackUrn(this.o.stackName, this.o.projectName);
    const parts = parseUrn(urn);
    const done = this.isDone(row);
    const failed = row.failed || row.diag.errors > 0;
    const interrupted = !failed && this.isInterrupted(row);
    return {
      op: opPrefix(step.op, done) + c.Reset,
      type: typeDisplayName(parts?.type ?? step.type),
      name: escapeForDisplay(parts?.name ?? ""),
      status: addRetainFlag(this.status(step, done, failed, interrupted), step),
      info: this.info(row),
    };
  }

  private status(step: StepEventMetadata, done: boolean, failed: boolean, interrupted: boolean): string {
    const op = step.op;
    if (interrupted) return c.SpecWarning + progressText(op) + " (interrupted)" + c.Reset;
    if (done) {
      if (this.o.isPreview) return opColor(op) + previewDoneText(op) + c.Reset;
      const text = (failed ? failedText(op) : doneText(op)) + this.doneTiming(step);
      return failed ? c.SpecError + "**" + text + "**" + c.Reset : opColor(op) + text + c.Reset;
    }
    if (isRootStackUrn(step.urn) && op === "same") return "running";
    let text: string;
    if (this.o.isPreview) text = previewText(op);
    else {
      text = progressText(op);
      const start = this.started.get(step.urn);
      if (op !== "same" && !this.o.suppressTimings && start !== undefined) {
        text += ` (${Math.floor((this.o.now() - start) / 1000)}s)`;
      }
    }
    return opColorProgress(op) + text + c.Reset;
  }

  private doneTiming(step: StepEventMetadata): string {
    if (step.op === "same" || this.o.suppressTimings) return "";
    const start = this.started.get(step.urn);
    const end = this.ended.get(step.urn);
    if (start === undefined || end === undefined) return "";
    const secs = (end - start) / 1000;
    return secs < 1 ? ` (${secs.toFixed(2)}s)` : ` (${Math.floor(secs)}s)`;
  }

  private info(row: Row): string {
    let step = row.step;
    if (step.op === "create-replacement" || step.op === "delete-replaced") {
      for (const s of row.outputSteps) if (s.op === "replace") step = s;
    }
    const parts: string[] = [];
    const changes = shortDiffInfo(step);
    if (c.stripDirectives(changes) !== "") parts.push(`[${changes}]`);
    const d = row.diag;
    if (this.displayDone) {
      if (d.errors > 0) parts.push(`${d.errors} ${c.SpecError}${plural(d.errors, "error")}${c.Reset}`);
      if (d.warnings > 0) parts.push(`${d.warnings} ${c.SpecWarning}${plural(d.warnings, "warning")}${c.Reset}`);
      if (d.infos > 0) parts.push(`${d.infos} ${c.SpecInfo}${plural(d.infos, "message")}${c.Reset}`);
      if (d.debugs > 0) parts.push(`${d.debugs} ${c.SpecDebug}${plural(d.debugs, "debug")}${c.Reset}`);
    } else if (d.last) {
      const msg = this.renderDiag(d.last, true);
      if (msg !== "") parts.push(msg);
    }
    const joined = parts.join("; ");
    const nl = joined.indexOf("\n");
    return nl >= 0 ? joined.slice(0, nl) : joined;
  }

  private rowUpdated(row: Row): void {
    if (row.hidden) return;
    const col = this.columns(row);
    this.println(` ${col.op} ${col.type} ${col.name} ${col.status} ${col.info}`);
  }

  /** Engine finished (cancelEvent or end of stream): settle rows, then the closing sections. */
  finish(): void {
    if (this.finished) return;
    const inProgress = this.order.filter((r) => !this.isDone(r));
    this.displayDone = true;
    for (const row of inProgress) this.rowUpdated(row);
    const mandatory = this.printPolicies();
    this.printDiagnostics();
    this.printOutputs();
    if (!mandatory && this.summary) {
      const errored = this.order.filter((r) => r.diag.errors > 0).length;
      this.println(renderSummary(this.summary, errored, false));
    }
    this.finished = true;
    this.heartbeat.stop();
  }

  private header(row: Row): string {
    const col = this.columns(row);
    return `  ${c.BrightBlue}${col.type} (${col.name}):${c.Reset}`;
  }

  private printDiagnostics(): void {
    let wroteHeader = false;
    for (const row of this.order) {
      let wroteResource = false;
      const ids = [...row.diag.streams.keys()].sort((a, b) => a - b);
      for (const id of ids) {
        let payloads = row.diag.streams.get(id) ?? [];
        if (payloads.length === 0) continue;
        if (id !== 0) {
          // A non-default stream is one logical message delivered in pieces.
          const first = payloads[0] as DiagnosticEvent;
          payloads = [{ ...first, message: payloads.map((p) => this.renderDiag(p, false)).join("") }];
        }
        let wrote = false;
        for (const p of payloads) {
          if (p.ephemeral) continue;
          const lines = displayableLines(this.renderDiag(p, true));
          if (lines.length === 0) continue;
          if (!wroteHeader) {
            wroteHeader = true;
            this.println(`${c.SpecHeadline}Diagnostics:${c.Reset}`);
          }
          if (!wroteResource) {
            wroteResource = true;
            this.println(this.header(row));
          }
          for (const line of lines) this.println(`    ${line.trimEnd()}`);
          wrote = true;
        }
        if (wrote) this.println("");
      }
    }
  }

  private printPolicies(): boolean {
    const packs = this.summary?.PolicyPacks ?? {};
    if (Object.keys(packs).length === 0) return false;
    const { lines, mandatory } = renderPolicySection(packs, this.order.flatMap((r) => r.policies));
    for (const line of lines) this.println(line);
    return mandatory;
  }

  private printOutputs(): void {
    if (this.o.suppressOutputs || !this.stackUrn) return;
    const row = this.rows.get(this.stackUrn);
    if (!row) return;
    const text = outputsText(row.step, 1, {
      planning: this.o.isPreview,
      refresh: false,
      showSames: this.o.showSames,
      showSecrets: this.o.showSecrets,
    });
    if (text === "") return;
    this.println(`${c.SpecHeadline}Outputs:${c.Reset}`);
    this.println(text);
  }
}

/** Message lines without the trailing blank ones. */
export function displayableLines(msg: string): string[] {
  const lines = msg.split("\n");
  while (lines.length > 0 && c.stripDirectives(lines[lines.length - 1] as string).trim() === "") lines.pop();
  return lines;
}
