/**
 * Locates members of JSON text without parsing it. State bodies reach tens of megabytes; the
 * service only needs a few top-level spans (and a resource count), and skipping strings with a
 * native `indexOf` is several times cheaper than building the whole object graph.
 */
export interface Span {
  start: number;
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonScanError extends Error {}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(buf: Uint8Array, i: number, end: number): number {
  while (i < end && isSpace(buf[i]!)) i++;
  return i;
}

/** Index just past the string starting at `i` (which must be a quote). */
function skipString(buf: Buffer, i: number, end: number): number {
  let j = i + 1;
  for (;;) {
    const k = buf.indexOf(QUOTE, j);
    if (k < 0 || k >= end) throw new JsonScanError("unterminated string");
    let backslashes = 0;
    for (let b = k - 1; b > i && buf[b] === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return k + 1;
    j = k + 1;
  }
}

/** Index just past the value starting at (or after whitespace from) `i`. */
export function skipValue(buf: Buffer, i: number, end: number): number {
  i = skipSpace(buf, i, end);
  if (i >= end) throw new JsonScanError("unexpected end of JSON");
  const c = buf[i]!;
  if (c === QUOTE) return skipString(buf, i, end);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let k = i; k < end; k++) {
      const d = buf[k]!;
      if (d === QUOTE) k = skipString(buf, k, end) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return k + 1;
      }
    }
    throw new JsonScanError("unbalanced brackets");
  }
  let k = i;
  while (k < end) {
    const d = buf[k]!;
    if (d === 0x2c || d === 0x7d || d === 0x5d || isSpace(d)) break;
    k++;
  }
  if (k === i) throw new JsonScanError(`unexpected character '${String.fromCharCode(c)}'`);
  return k;
}

/** The members of the object spanning `[start, end)`: key → value span. */
export function objectMembers(buf: Buffer, start = 0, end = buf.length): Map<string, Span> {
  const members = new Map<string, Span>();
  let i = skipSpace(buf, start, end);
  if (buf[i] !== 0x7b) throw new JsonScanError("expected a JSON object");
  i = skipSpace(buf, i + 1, end);
  if (buf[i] === 0x7d) return members;
  for (;;) {
    if (buf[i] !== QUOTE) throw new JsonScanError("expected an object key");
    const keyEnd = skipString(buf, i, end);
    const key = JSON.parse(buf.toString("utf8", i, keyEnd)) as string;
    i = skipSpace(buf, keyEnd, end);
    if (buf[i] !== 0x3a) throw new JsonScanError("expected ':'");
    const valueStart = skipSpace(buf, i + 1, end);
    const valueEnd = skipValue(buf, valueStart, end);
    members.set(key, { start: valueStart, end: valueEnd });
    i = skipSpace(buf, valueEnd, end);
    if (buf[i] === 0x2c) {
      i = skipSpace(buf, i + 1, end);
      continue;
    }
    if (buf[i] === 0x7d) return members;
    throw new JsonScanError("expected ',' or '}'");
  }
}

/** Number of elements of the array spanning `span`. */
export function countArrayElements(buf: Buffer, span: Span): number {
  let i = skipSpace(buf, span.start, span.end);
  if (buf[i] !== 0x5b) throw new JsonScanError("expected a JSON array");
  i = skipSpace(buf, i + 1, span.end);
  if (buf[i] === 0x5d) return 0;
  let n = 0;
  for (;;) {
    i = skipSpace(buf, skipValue(buf, i, span.end), span.end);
    n++;
    if (buf[i] === 0x2c) {
      i++;
      continue;
    }
    if (buf[i] === 0x5d) return n;
    throw new JsonScanError("expected ',' or ']'");
  }
}

export function firstByte(buf: Buffer, span: Span): number {
  return buf[skipSpace(buf, span.start, span.end)] ?? 0;
}

export function spanText(buf: Buffer, span: Span): string {
  return buf.toString("utf8", span.start, span.end);
}
