/** Engine events: what `--event-log` streams and the service stores (apitype.EngineEvent). */
import type { StepOp } from "./history.js";

export type DiagnosticSeverity = "debug" | "info" | "info#err" | "warning" | "error";

export interface StepEventStateMetadata {
  type: string;
  urn: string;
  custom?: boolean;
  delete?: boolean;
  id: string;
  parent: string;
  protect?: boolean;
  taint?: boolean;
  external?: boolean;
  retainOnDelete?: boolean;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  provider: string;
  initErrors?: string[];
  hideDiffs?: string[];
}

export type DiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface PropertyDiff {
  diffKind: DiffKind;
  inputDiff: boolean;
}

export interface StepEventMetadata {
  op: StepOp;
  urn: string;
  type: string;
  old: StepEventStateMetadata | null;
  new: StepEventStateMetadata | null;
  keys?: string[];
  diffs?: string[];
  detailedDiff: Record<string, PropertyDiff> | null;
  logical?: boolean;
  provider: string;
}

export interface CancelEvent {}
export interface StdoutEvent { message: string; color: string }
export interface DiagnosticEvent {
  urn?: string;
  prefix?: string;
  message: string;
  color: string;
  severity: DiagnosticSeverity;
  streamID?: number;
  ephemeral?: boolean;
}
export interface PreludeEvent { config: Record<string, string> }
export interface SummaryEvent {
  maybeCorrupt: boolean;
  durationSeconds: number;
  resourceChanges: Partial<Record<StepOp, number>>;
  PolicyPacks: Record<string, string>;
  isPreview: boolean;
  result?: "succeeded" | "failed" | "canceled";
}
export interface ResourcePreEvent { metadata: StepEventMetadata; planning?: boolean }
export interface ResOutputsEvent { metadata: StepEventMetadata; planning?: boolean }
export interface ResOpFailedEvent { metadata: StepEventMetadata; status: number; steps: number }
export interface PolicyEvent {
  resourceUrn?: string;
  message: string;
  color: string;
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  policyPackVersionTag: string;
  enforcementLevel: string;
  severity?: string;
}
export interface StartDebuggingEvent { config: Record<string, unknown> }
export interface ProgressEvent {
  type: "plugin-download" | "plugin-install";
  id: string;
  message: string;
  received: number;
  total: number;
  done: boolean;
}
export interface ErrorEvent { error: string }

/** One payload key per event. */
export interface EngineEventPayloads {
  cancelEvent: CancelEvent;
  stdoutEvent: StdoutEvent;
  diagnosticEvent: DiagnosticEvent;
  preludeEvent: PreludeEvent;
  summaryEvent: SummaryEvent;
  resourcePreEvent: ResourcePreEvent;
  resOutputsEvent: ResOutputsEvent;
  resOpFailedEvent: ResOpFailedEvent;
  policyEvent: PolicyEvent;
  startDebuggingEvent: StartDebuggingEvent;
  progressEvent: ProgressEvent;
  errorEvent: ErrorEvent;
}

export type EngineEventKind = keyof EngineEventPayloads;

export type EngineEventBody = {
  [K in EngineEventKind]: { [P in K]: EngineEventPayloads[K] } & { [Q in Exclude<EngineEventKind, K>]?: never };
}[EngineEventKind];

export type EngineEvent = { sequence: number; timestamp: number } & EngineEventBody;

export function engineEventKind(event: EngineEventBody): EngineEventKind {
  for (const key of Object.keys(event)) {
    if (key !== "sequence" && key !== "timestamp") return key as EngineEventKind;
  }
  throw new Error("engine event has no payload");
}
