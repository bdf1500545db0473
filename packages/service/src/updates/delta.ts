/** Delta checkpoints: byte-offset text edits over the previous state's exact bytes. */
import { createHash } from "node:crypto";
import type { TextEdit } from "@stackyard/protocol";

export function sha256Hex(buf: Buffer): string {
  return createHash("sha256").update(buf).digest("hex");
}

/**
 * Applies edits (ascending, non-overlapping, byte offsets) to `base`. Returns undefined when an
 * edit falls outside the base or out of order, so the caller can ask for a verbatim resend.
 */
export function applyDelta(base: Buffer, edits: readonly TextEdit[]): Buffer | undefined {
  const parts: Buffer[] = [];
  let last = 0;
  for (const e of edits) {
    const start = e.Span.start.offset;
    const end = e.Span.end.offset;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < last || end < start || end > base.length) return undefined;
    if (start > last) parts.push(base.subarray(last, start));
    if (e.NewText.length > 0) parts.push(Buffer.from(e.NewText, "utf8"));
    last = end;
  }
  if (last < base.length) parts.push(base.subarray(last));
  return Buffer.concat(parts);
}

export type DeltaDecision =
  | { kind: "apply" }
  | { kind: "already-applied" }
  | { kind: "reject"; reason: string };

/**
 * What to do with a delta numbered `seq` given the stored state of the update. A retry of the
 * delta that produced the stored state is a no-op; anything not built on the stored state is
 * refused so the CLI falls back to a verbatim save.
 */
export function decideDelta(stored: { sequenceNumber: number; hash: () => string } | undefined, seq: number, hash: string): DeltaDecision {
  if (!stored) return { kind: "reject", reason: "no verbatim checkpoint to apply the delta to" };
  if (stored.sequenceNumber === seq) {
    return stored.hash() === hash ? { kind: "already-applied" } : { kind: "reject", reason: `checkpoint ${seq} was already stored with different content` };
  }
  if (stored.sequenceNumber !== seq - 1) {
    return { kind: "reject", reason: `delta ${seq} does not follow the stored checkpoint ${stored.sequenceNumber}` };
  }
  return { kind: "apply" };
}
