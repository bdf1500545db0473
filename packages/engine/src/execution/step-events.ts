/** Engine events describing steps, with secrets blinded (events may be stored and shown). */
import type { EngineEventBody, PropertyDiff, StepEventMetadata, StepEventStateMetadata, StepOp, ResourceV3 } from "@stackyard/protocol";
import { blindSecrets } from "../state/codec.js";
import type { PropertyObject } from "../properties/values.js";

export function stateMetadata(r: ResourceV3): StepEventStateMetadata {
  const m: StepEventStateMetadata = {
    type: r.type,
    urn: r.urn,
    id: r.id ?? "",
    parent: r.parent ?? "",
    inputs: blindSecrets(r.inputs ?? {}) as PropertyObject,
    outputs: blindSecrets(r.outputs ?? {}) as PropertyObject,
    provider: r.provider ?? "",
  };
  if (r.custom) m.custom = true;
  if (r.delete) m.delete = true;
  if (r.protect) m.protect = true;
  if (r.external) m.external = true;
  if (r.retainOnDelete) m.retainOnDelete = true;
  if (r.initErrors?.length) m.initErrors = r.initErrors;
  if (r.hideDiff?.length) m.hideDiffs = r.hideDiff;
  return m;
}

export interface StepDescription {
  op: StepOp;
  urn: string;
  type: string;
  old?: ResourceV3;
  new?: ResourceV3;
  keys?: string[];
  diffs?: string[];
  detailedDiff?: Record<string, PropertyDiff>;
}

const NON_LOGICAL_OPS = new Set<StepOp>(["create-replacement", "delete-replaced", "read-replacement", "discard-replaced", "import-replacement", "refresh"]);

export function stepMetadata(step: StepDescription): StepEventMetadata {
  const m: StepEventMetadata = {
    op: step.op,
    urn: step.urn,
    type: step.type,
    old: step.old ? stateMetadata(step.old) : null,
    new: step.new ? stateMetadata(step.new) : null,
    detailedDiff: step.detailedDiff ?? null,
    provider: step.new?.provider ?? step.old?.provider ?? "",
  };
  // Logical steps are the program's view of a resource; the halves of a replacement and refreshes are not.
  if (!NON_LOGICAL_OPS.has(step.op)) m.logical = true;
  if (step.keys?.length) m.keys = step.keys;
  if (step.diffs?.length) m.diffs = step.diffs;
  return m;
}

export const preEvent = (step: StepDescription, planning: boolean): EngineEventBody => ({
  resourcePreEvent: planning ? { metadata: stepMetadata(step), planning: true } : { metadata: stepMetadata(step) },
});

export const outputsEvent = (step: StepDescription, planning: boolean): EngineEventBody => ({
  resOutputsEvent: planning ? { metadata: stepMetadata(step), planning: true } : { metadata: stepMetadata(step) },
});

export const failedEvent = (step: StepDescription): EngineEventBody => ({
  resOpFailedEvent: { metadata: stepMetadata(step), status: 0, steps: 1 },
});

/** Diagnostic text in the Go engine's form: colour directives around the message. */
export function diagnostic(severity: "debug" | "info" | "info#err" | "warning" | "error", message: string, urn?: string): EngineEventBody {
  const prefixes: Record<string, string> = {
    debug: "<{%fg 7%}>debug: <{%reset%}>",
    warning: "<{%fg 3%}>warning: <{%reset%}>",
    error: "<{%fg 1%}>error: <{%reset%}>",
  };
  const text = (message.endsWith("\n") ? message.slice(0, -1) : message).replace(/\u001b\[[0-9;]*m/g, "");
  const event: EngineEventBody = {
    diagnosticEvent: { message: `<{%reset%}>${text}<{%reset%}>\n`, color: "raw", severity },
  };
  if (urn) event.diagnosticEvent.urn = urn;
  const prefix = prefixes[severity];
  if (prefix) event.diagnosticEvent.prefix = prefix;
  return event;
}
