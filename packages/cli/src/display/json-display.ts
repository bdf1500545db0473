/**
 * `--json`: `preview` prints one digest document at the end; everything else (and previews with
 * PULUMI_ENABLE_STREAMING_JSON_PREVIEW) prints the engine events as JSON lines.
 */
import type {
  EngineEvent,
  StepEventMetadata,
  StepEventStateMetadata,
} from "@stackyard/protocol";
import { SECRET_SIG, SIG_KEY } from "@stackyard/protocol";
import { type ColorMode, stripDirectives } from "./colors.js";
import { cleanEvent, encodeEventLine } from "./convert.js";
import { isInternalStep, shouldShow } from "./steps.js";
import { isRootStackUrn } from "./urn.js";

export class JsonEventsDisplay {
  private finished = false;
  constructor(
    private readonly color: ColorMode,
    private readonly write: (s: string) => void,
  ) {}

  onEvent(e: EngineEvent): void {
    if (this.finished) return;
    const meta = e.resourcePreEvent?.metadata ?? e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
    if (meta && isInternalStep(meta)) return;
    this.write(encodeEventLine(cleanEvent(e, this.color)));
    if (e.cancelEvent) this.finished = true;
  }
}

interface PreviewState {
  urn: string;
  custom: boolean;
  delete?: boolean;
  id?: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  protect?: boolean;
  taint?: boolean;
  external?: boolean;
  initErrors?: string[];
  provider?: string;
  retainOnDelete?: boolean;
  hideDiff?: string[];
}

interface PreviewStep {
  op: string;
  urn: string;
  provider?: string;
  oldState?: PreviewState;
  newState?: PreviewState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff: Record<string, { kind: string; inputDiff: boolean }> | null;
}

interface PreviewDiagnostic {
  urn?: string;
  message?: string;
  severity?: string;
}

export interface PreviewDigest {
  config?: Record<string, string>;
  steps?: PreviewStep[];
  diagnostics?: PreviewDiagnostic[];
  /** Nanoseconds, as Go's time.Duration marshals. */
  duration?: number;
  changeSummary?: Record<string, number>;
  maybeCorrupt?: boolean;
}

export interface DigestOptions {
  showSames: boolean;
  showReplacementSteps: boolean;
  suppressOutputs: boolean;
  write: (s: string) => void;
}

export class PreviewDigestDisplay {
  private readonly config: Record<string, string> = {};
  private hasConfig = false;
  private readonly steps: PreviewStep[] = [];
  private readonly diagnostics: PreviewDiagnostic[] = [];
  private readonly seen = new Map<string, StepEventMetadata>();
  private duration: number | undefined;
  private changeSummary: Record<string, number> | undefined;
  private maybeCorrupt = false;
  private finished = false;

  constructor(private readonly o: DigestOptions) {}

  onEvent(e: EngineEvent): void {
    if (this.finished) return;
    if (e.cancelEvent) {
      this.finish();
      return;
    }
    if (e.preludeEvent) {
      Object.assign(this.config, e.preludeEvent.config);
      this.hasConfig = true;
    } else if (e.diagnosticEvent) {
      const d = e.diagnosticEvent;
      if (d.ephemeral || d.severity === "debug") return;
      this.diagnostics.push({
        ...(d.urn ? { urn: d.urn } : {}),
        message: stripDirectives((d.prefix ?? "") + d.message),
        severity: d.severity,
      });
    } else if (e.stdoutEvent) {
      this.diagnostics.push({ message: stripDirectives(e.stdoutEvent.message), severity: "info" });
    } else if (e.resourcePreEvent) {
      const m = e.resourcePreEvent.metadata;
      if (isInternalStep(m) || !this.show(m)) return;
      this.seen.set(m.urn, m);
      this.steps.push(this.step(m));
    } else if (e.resOutputsEvent) {
      const m = e.resOutputsEvent.metadata;
      if (isInternalStep(m) || !this.show(m)) return;
      // A refresh's verdict only arrives with its outputs; swap it in for the planned step.
      if (this.seen.get(m.urn)?.op === "refresh" && ((m.op === "update" && m.detailedDiff) || m.op === "delete")) {
        const step = this.step(m);
        this.steps.forEach((s, i) => {
          if (s.urn === m.urn) this.steps[i] = step;
        });
      }
    } else if (e.summaryEvent) {
      this.duration = e.summaryEvent.durationSeconds * 1e9;
      this.changeSummary = e.summaryEvent.resourceChanges as Record<string, number>;
      this.maybeCorrupt = e.summaryEvent.maybeCorrupt;
    }
  }

  private show(m: StepEventMetadata): boolean {
    return shouldShow(m, { showSames: this.o.showSames, showReplacementSteps: this.o.showReplacementSteps }, true) || isRootStackUrn(m.urn);
  }

  private step(m: StepEventMetadata): PreviewStep {
    const step: PreviewStep = { op: m.op, urn: m.urn, detailedDiff: null };
    if (m.provider) step.provider = m.provider;
    if (m.old) step.oldState = this.state(m.old);
    if (m.new) step.newState = this.state(m.new);
    if (m.diffs && m.diffs.length > 0) step.diffReasons = m.diffs;
    if (m.keys && m.keys.length > 0) step.replaceReasons = m.keys;
    if (m.detailedDiff) {
      const dd = m.detailedDiff;
      step.detailedDiff = Object.fromEntries(
        Object.keys(dd).sort().map((k) => [k, { kind: dd[k]!.diffKind, inputDiff: dd[k]!.inputDiff }]),
      );
    }
    // Re-insert so keys come out in the Go struct's order.
    return {
      op: step.op,
      urn: step.urn,
      ...(step.provider ? { provider: step.provider } : {}),
      ...(step.oldState ? { oldState: step.oldState } : {}),
      ...(step.newState ? { newState: step.newState } : {}),
      ...(step.diffReasons ? { diffReasons: step.diffReasons } : {}),
      ...(step.replaceReasons ? { replaceReasons: step.replaceReasons } : {}),
      detailedDiff: step.detailedDiff,
    };
  }

  private state(s: StepEventStateMetadata): PreviewState {
    const hide = isRootStackUrn(s.urn) && this.o.suppressOutputs;
    const inputs = hide ? {} : maskSecrets(s.inputs ?? {});
    const outputs = hide ? {} : maskSecrets(s.outputs ?? {});
    const st: PreviewState = { urn: s.urn, custom: !!s.custom, type: s.type };
    if (s.delete) st.delete = true;
    if (s.id) st.id = s.id;
    if (Object.keys(inputs).length > 0) st.inputs = inputs;
    if (Object.keys(outputs).length > 0) st.outputs = outputs;
    if (s.parent) st.parent = s.parent;
    if (s.protect) st.protect = true;
    if (s.taint) st.taint = true;
    if (s.external) st.external = true;
    if (s.initErrors && s.initErrors.length > 0) st.initErrors = s.initErrors;
    if (s.provider) st.provider = s.provider;
    if (s.retainOnDelete) st.retainOnDelete = true;
    if (s.hideDiffs && s.hideDiffs.length > 0) st.hideDiff = s.hideDiffs;
    // Go's struct order: urn, custom, delete, id, type, …
    const { urn, custom, type, ...rest } = st;
    const { delete: del, id, ...tail } = rest;
    return { urn, custom, ...(del ? { delete: del } : {}), ...(id ? { id } : {}), type, ...tail };
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const digest: PreviewDigest = {};
    if (this.hasConfig && Object.keys(this.config).length > 0) digest.config = sortedRecord(this.config);
    if (this.steps.length > 0) digest.steps = this.steps;
    if (this.diagnostics.length > 0) digest.diagnostics = this.diagnostics;
    if (this.duration) digest.duration = this.duration;
    if (this.changeSummary && Object.keys(this.changeSummary).length > 0) digest.changeSummary = sortedRecord(this.changeSummary);
    if (this.maybeCorrupt) digest.maybeCorrupt = true;
    this.o.write(goJsonEscape(JSON.stringify(digest, null, 4)) + "\n");
  }
}

/** Secrets in a digest read as the plain string "[secret]", at any depth. */
export function maskSecrets(props: Record<string, unknown>): Record<string, unknown> {
  const mask = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(mask);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o[SIG_KEY] === SECRET_SIG) return "[secret]";
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, mask(o[k])]));
    }
    return v;
  };
  return mask(props) as Record<string, unknown>;
}

/** Go's encoding/json escapes HTML-significant characters unless told not to; MarshalIndent is not told. */
function goJsonEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** Go marshals maps with sorted keys. */
function sortedRecord<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k] as T]));
}
