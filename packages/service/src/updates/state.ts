/**
 * Stored states are the exact bytes of an UntypedDeployment (`{"version":…,"deployment":…}`), so
 * export serves them without re-serialising and delta checkpoints apply to the very bytes the
 * CLI hashed.
 */
import { badRequest } from "../http/errors.js";
import type { Span } from "../util/jsonscan.js";
import { JsonScanError, countArrayElements, firstByte, objectMembers, spanText } from "../util/jsonscan.js";

export const MIN_DEPLOYMENT_VERSION = 1;
export const MAX_DEPLOYMENT_VERSION = 4;

export function emptyState(now: Date = new Date()): Buffer {
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return Buffer.from(`{"version":3,"deployment":{"manifest":{"time":"${time}","magic":"","version":""}}}`);
}

function scan<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof JsonScanError) throw badRequest(`malformed ${what}: ${err.message}`);
    throw err;
  }
}

function deploymentVersion(buf: Buffer, span: Span | undefined, what: string): number {
  if (!span) throw badRequest(`${what} has no version`);
  const v = Number(spanText(buf, span));
  if (!Number.isInteger(v) || v < MIN_DEPLOYMENT_VERSION) throw badRequest(`${what} has deployment version ${spanText(buf, span)}; versions 1-4 are accepted`);
  if (v > MAX_DEPLOYMENT_VERSION) throw badRequest(`${what} has deployment version ${v}, which is newer than this service understands`);
  return v;
}

/**
 * Builds stored state from an object carrying `version`, optional `features` and `deployment`
 * members (a full checkpoint PATCH body or an import body): the deployment bytes are kept as sent.
 */
export function stateFromEnvelope(body: Buffer, what: string, span: Span = { start: 0, end: body.length }): Buffer {
  return scan(what, () => {
    const m = objectMembers(body, span.start, span.end);
    const version = deploymentVersion(body, m.get("version"), what);
    const dep = m.get("deployment");
    if (!dep || firstByte(body, dep) !== 0x7b) throw badRequest(`${what} has no deployment object`);
    const features = m.get("features");
    const parts: Buffer[] = [Buffer.from(`{"version":${version}`)];
    if (features && firstByte(body, features) === 0x5b) parts.push(Buffer.from(`,"features":`), body.subarray(features.start, features.end));
    parts.push(Buffer.from(`,"deployment":`), body.subarray(dep.start, dep.end), Buffer.from("}"));
    return Buffer.concat(parts);
  });
}

/** The `untypedDeployment` member of a verbatim checkpoint body, byte for byte. */
export function verbatimState(body: Buffer): { state: Buffer; sequenceNumber: number } {
  return scan("verbatim checkpoint", () => {
    const m = objectMembers(body);
    const ud = m.get("untypedDeployment");
    if (!ud || firstByte(body, ud) !== 0x7b) throw badRequest("verbatim checkpoint has no untypedDeployment object");
    const seqSpan = m.get("sequenceNumber");
    const sequenceNumber = seqSpan ? Number(spanText(body, seqSpan)) : NaN;
    if (!Number.isInteger(sequenceNumber) || sequenceNumber < 0) throw badRequest("verbatim checkpoint needs an integer sequenceNumber");
    const inner = objectMembers(body, ud.start, ud.end);
    deploymentVersion(body, inner.get("version"), "untypedDeployment");
    const dep = inner.get("deployment");
    if (!dep || firstByte(body, dep) !== 0x7b) throw badRequest("untypedDeployment has no deployment object");
    return { state: body.subarray(ud.start, ud.end), sequenceNumber };
  });
}

/** Number of resources in stored state (0 when it has none or cannot be read). */
export function resourceCount(state: Buffer): number {
  try {
    const dep = objectMembers(state).get("deployment");
    if (!dep) return 0;
    const res = objectMembers(state, dep.start, dep.end).get("resources");
    if (!res || firstByte(state, res) !== 0x5b) return 0;
    return countArrayElements(state, res);
  } catch {
    return 0;
  }
}
