/** Per-operation glyphs, colours and words, as the Pulumi CLI prints them. */
import type { StepOp } from "@stackyard/protocol";
import * as c from "./colors.js";

interface OpInfo {
  color: string;
  prefix: string;
  /** Present participle while running ("creating"). */
  progress: string;
  /** Completed ("created"). */
  done: string;
  failed: string;
  /** Planned, while a preview runs ("create"). */
  preview: string;
  /** Planned, once the preview has finished: the replacement family collapses into "replace". */
  previewDone: string;
}

const OPS: Record<StepOp, OpInfo> = {
  same: { color: c.SpecUnimportant, prefix: "  ", progress: "", done: "", failed: "failed", preview: "", previewDone: "" },
  create: { color: c.SpecCreate, prefix: "+ ", progress: "creating", done: "created", failed: "creating failed", preview: "create", previewDone: "create" },
  update: { color: c.SpecUpdate, prefix: "~ ", progress: "updating", done: "updated", failed: "updating failed", preview: "update", previewDone: "update" },
  delete: { color: c.SpecDelete, prefix: "- ", progress: "deleting", done: "deleted", failed: "deleting failed", preview: "delete", previewDone: "delete" },
  replace: { color: c.SpecReplace, prefix: "+-", progress: "replacing", done: "replaced", failed: "replacing failed", preview: "replace", previewDone: "replace" },
  "create-replacement": { color: c.SpecCreateReplacement, prefix: "++", progress: "creating replacement", done: "created replacement", failed: "creating failed", preview: "create replacement", previewDone: "replace" },
  "delete-replaced": { color: c.SpecDeleteReplaced, prefix: "--", progress: "deleting original", done: "deleted original", failed: "deleting failed", preview: "delete original", previewDone: "replace" },
  read: { color: c.SpecRead, prefix: "> ", progress: "reading", done: "read", failed: "reading failed", preview: "read", previewDone: "read" },
  "read-replacement": { color: c.SpecReplace, prefix: ">>", progress: "reading for replacement", done: "read for replacement", failed: "reading failed", preview: "read for replacement", previewDone: "replace" },
  refresh: { color: c.SpecUpdate, prefix: "~ ", progress: "refreshing", done: "refresh", failed: "refreshing failed", preview: "refreshing", previewDone: "refresh" },
  discard: { color: c.SpecDelete, prefix: "< ", progress: "discarding", done: "discarded", failed: "discarding failed", preview: "discard", previewDone: "discard" },
  "discard-replaced": { color: c.SpecDelete, prefix: "<<", progress: "discarding original", done: "discarded original", failed: "discarding failed", preview: "discard original", previewDone: "replace" },
  "remove-pending-replace": { color: c.SpecUnimportant, prefix: "~ ", progress: "", done: "", failed: "", preview: "", previewDone: "" },
  import: { color: c.SpecCreate, prefix: "= ", progress: "importing", done: "imported", failed: "importing failed", preview: "import", previewDone: "import" },
  "import-replacement": { color: c.SpecReplace, prefix: "=>", progress: "importing replacement", done: "imported replacement", failed: "importing failed", preview: "import replacement", previewDone: "import" },
};

// Unknown ops (a newer engine) render like "same" rather than crashing the display.
function info(op: string): OpInfo {
  return (OPS as Record<string, OpInfo>)[op] ?? OPS.same;
}

export const opColor = (op: string): string => info(op).color;
export const opColorProgress = (op: string): string => c.Bold + info(op).color;
export const rawPrefix = (op: string): string => info(op).prefix;
export const opPrefix = (op: string, done: boolean): string => (done ? opColor(op) : opColorProgress(op)) + rawPrefix(op);
export const progressText = (op: string): string => info(op).progress;
export const doneText = (op: string): string => info(op).done;
export const failedText = (op: string): string => info(op).failed;
export const previewText = (op: string): string => info(op).preview;
export const previewDoneText = (op: string): string => info(op).previewDone;

/** The order the summary lists operations in (the engine's step-op order). */
export const SUMMARY_ORDER: readonly StepOp[] = [
  "same",
  "create",
  "update",
  "delete",
  "replace",
  "create-replacement",
  "delete-replaced",
  "read",
  "read-replacement",
  "refresh",
  "discard",
  "discard-replaced",
  "remove-pending-replace",
  "import",
  "import-replacement",
];

export function pastTense(op: string): string {
  switch (op) {
    case "refresh":
      return "refreshed";
    case "read":
      return "read";
    case "discard":
    case "discard-replaced":
      return "discarded";
    case "delete":
    case "delete-replaced":
      return "deleted";
    case "import":
    case "import-replacement":
      return "imported";
    default:
      return op.endsWith("e") ? `${op}d` : `${op}ed`;
  }
}

export function isReplacementStep(op: string): boolean {
  return (
    op === "replace" ||
    op === "create-replacement" ||
    op === "delete-replaced" ||
    op === "read-replacement" ||
    op === "discard-replaced" ||
    op === "remove-pending-replace" ||
    op === "import-replacement"
  );
}
