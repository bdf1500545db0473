/**
 * Renders property maps and their diffs as indented, op-coloured text (with colour directives).
 * Layout rules follow the Pulumi CLI: four spaces per level, the last two replaced by the op glyph
 * on "prefixed" lines, keys padded to the widest key of their object.
 */
import * as c from "./colors.js";
import { opColor, rawPrefix } from "./ops.js";
import {
  type ObjectDiff,
  type Props,
  type Value,
  type ValueDiff,
  decodeValue,
  deepEqual,
  diffKeys,
  diffValues,
  isInternalKey,
  isPrimitive,
  sortedKeys,
} from "./values.js";

export interface PrinterOptions {
  indent: number;
  op: string;
  prefix: boolean;
  planning: boolean;
  /** Summary diffs leave out unchanged properties. */
  summary: boolean;
  showSecrets: boolean;
}

export function indentation(indent: number, op: string, prefix: boolean): string {
  const spaces = "    ".repeat(indent);
  if (!prefix || spaces === "") return spaces;
  return spaces.slice(0, -2) + rawPrefix(op);
}

/** Values that add nothing but noise: nulls, empty strings, empty arrays and objects. */
export function shouldPrintValue(v: Value, outs: boolean): boolean {
  switch (v.kind) {
    case "null":
      return false;
    case "string":
      return v.value !== "";
    case "array":
      return v.items.length > 0;
    case "object":
      return v.props.size > 0;
    case "unknown":
      return outs;
    default:
      return true;
  }
}

export class Printer {
  constructor(
    private readonly out: string[],
    private readonly o: PrinterOptions,
  ) {}

  private with(patch: Partial<PrinterOptions>): Printer {
    return new Printer(this.out, { ...this.o, ...patch });
  }

  private indented(n: number): Printer {
    return this.with({ indent: this.o.indent + n });
  }

  private writeIndented(text: string): void {
    this.out.push(opColor(this.o.op) + indentation(this.o.indent, this.o.op, this.o.prefix) + text + c.Reset);
  }

  private writeUnprefixedIndented(text: string): void {
    this.out.push(opColor(this.o.op) + indentation(this.o.indent, this.o.op, false) + text + c.Reset);
  }

  private write(text: string): void {
    this.out.push(opColor(this.o.op) + text + c.Reset);
  }

  private title(name: string, align: number): void {
    this.writeIndented(name.padEnd(align) + ": ");
  }

  printObject(props: Props): void {
    const keys = sortedKeys(props);
    const align = maxLen(keys);
    for (const k of keys) {
      if (isInternalKey(k)) continue;
      this.printProperty(k, props.get(k) as Value, align);
    }
  }

  printProperty(key: string, value: Value, align: number): void {
    this.title(key, align);
    this.printValue(value);
  }

  printValue(v: Value): void {
    this.printValueInline(v);
    this.write("\n");
  }

  private printValueInline(v: Value): void {
    if (v.kind === "secret" && this.o.showSecrets && v.element) {
      this.printValueInline(v.element);
      return;
    }
    if (isPrimitive(v)) {
      this.printPrimitive(v);
      return;
    }
    switch (v.kind) {
      case "array":
        if (v.items.length === 0) {
          this.write("[]");
          return;
        }
        this.write("[\n");
        v.items.forEach((item, i) => {
          this.writeIndented(`    [${i}]: `);
          this.indented(1).printValue(item);
        });
        this.writeUnprefixedIndented("]");
        return;
      case "object":
        if (v.props.size === 0) {
          this.write("{}");
          return;
        }
        this.write("{\n");
        this.indented(1).printObject(v.props);
        this.writeUnprefixedIndented("}");
        return;
      case "asset":
        if (v.text !== undefined) {
          this.write(`asset(text:${shortHash(v.hash)}) {\n`);
          for (const line of v.text.split("\n")) this.writeUnprefixedIndented(`    ${line}\n`);
          this.writeUnprefixedIndented("}");
        } else if (v.path !== undefined) this.write(`asset(file:${shortHash(v.hash)}) { ${v.path} }`);
        else if (v.uri !== undefined) this.write(`asset(uri:${shortHash(v.hash)}) { ${v.uri} }`);
        else this.write(`asset(unknown:${shortHash(v.hash)}) { }`);
        return;
      case "archive":
        if (v.assets) {
          this.write(`archive(assets:${shortHash(v.hash)}) {\n`);
          for (const name of Object.keys(v.assets).sort()) {
            this.writeIndented(`    "${name}": `);
            this.indented(1).printValue(v.assets[name] as Value);
          }
          this.writeUnprefixedIndented("}");
        } else if (v.path !== undefined) this.write(`archive(file:${shortHash(v.hash)}) { ${v.path} }`);
        else if (v.uri !== undefined) this.write(`archive(uri:${shortHash(v.hash)}) { ${v.uri} }`);
        else this.write(`archive(${shortHash(v.hash)}) { }`);
        return;
      case "ref": {
        this.write("{\n");
        const p = this.indented(1);
        p.title("URN", 3);
        p.write(`${quote(v.urn)}\n`);
        p.title("ID", 3);
        p.printValue(v.id ?? { kind: "unknown" });
        p.title("PackageVersion", 3);
        p.write(`${quote(v.packageVersion)}\n`);
        this.writeUnprefixedIndented("}");
        return;
      }
    }
  }

  private printPrimitive(v: Value): void {
    switch (v.kind) {
      case "null":
        this.write("<null>");
        return;
      case "bool":
        this.write(String(v.value));
        return;
      case "number":
        this.write(formatNumber(v.value));
        return;
      case "string": {
        const embedded = decodeEmbeddedJson(v.value);
        if (embedded) {
          this.write("(json) ");
          this.printValueInline(embedded);
          return;
        }
        this.write(quote(v.value));
        return;
      }
      case "unknown":
        this.write("[unknown]");
        return;
      case "secret":
        this.write("[secret]");
        return;
      default:
        this.printValueInline(v);
    }
  }

  private printAdd(v: Value, title: (p: Printer) => void): void {
    const p = this.with({ op: "create", prefix: true });
    title(p);
    p.printValue(v);
  }

  private printDelete(v: Value, title: (p: Printer) => void): void {
    const p = this.with({ op: "delete", prefix: true });
    title(p);
    p.printValue(v);
  }

  printObjectDiff(diff: ObjectDiff, include?: readonly string[]): void {
    let keys = diffKeys(diff);
    if (include) keys = keys.filter((k) => include.includes(k));
    const align = maxLen(keys);
    for (const k of keys) this.printPropertyDiff(k, align, diff);
  }

  printPropertyDiff(key: string, align: number, diff: ObjectDiff): void {
    const title = (p: Printer): void => p.title(key, align);
    const add = diff.adds.get(key);
    if (add) return this.printAdd(add, title);
    const del = diff.deletes.get(key);
    if (del) return this.printDelete(del, title);
    const upd = diff.updates.get(key);
    if (upd) return this.printValueDiff(title, upd);
    const same = diff.sames.get(key);
    if (same && !this.o.summary && shouldPrintValue(same, this.o.planning)) {
      this.with({ op: "same", prefix: false }).printProperty(key, same, align);
    }
  }

  private printValueDiff(title: (p: Printer) => void, diff: ValueDiff): void {
    const p = this.with({ op: "update", prefix: true });
    if (p.o.showSecrets && (diff.old.kind === "secret" || diff.new.kind === "secret")) {
      const o = diff.old.kind === "secret" && diff.old.element ? diff.old.element : diff.old;
      const n = diff.new.kind === "secret" && diff.new.element ? diff.new.element : diff.new;
      const inner = diffValues(o, n);
      if (inner && (o !== diff.old || n !== diff.new)) return p.printValueDiff(title, inner);
    }
    if (diff.array) {
      title(p);
      p.write("[\n");
      const a = diff.array;
      for (let i = 0; i < a.length; i++) {
        const elem = p.indented(2);
        const elemTitle = (q: Printer): void => q.indented(-1).writeIndented(`[${i}]: `);
        const add = a.adds.get(i);
        const del = a.deletes.get(i);
        const upd = a.updates.get(i);
        const same = a.sames.get(i);
        if (add) elem.printAdd(add, elemTitle);
        else if (del) elem.printDelete(del, elemTitle);
        else if (upd) elem.printValueDiff(elemTitle, upd);
        else if (same && !p.o.summary) {
          const s = elem.with({ op: "same", prefix: false });
          elemTitle(s);
          s.printValue(same);
        }
      }
      p.writeUnprefixedIndented("]\n");
      return;
    }
    if (diff.object) {
      title(p);
      p.write("{\n");
      p.indented(1).printObjectDiff(diff.object);
      p.writeUnprefixedIndented("}\n");
      return;
    }
    const printOld = shouldPrintValue(diff.old, false);
    const printNew = shouldPrintValue(diff.new, false);
    if (printOld && printNew && isPrimitive(diff.old) && isPrimitive(diff.new)) {
      title(p);
      if (diff.old.kind === "string" && diff.new.kind === "string") {
        p.printTextDiff(diff.old.value, diff.new.value);
        return;
      }
      p.with({ op: "delete" }).printPrimitive(diff.old);
      p.write(" => ");
      p.with({ op: "create" }).printPrimitive(diff.new);
      p.write("\n");
      return;
    }
    if (printOld) p.printDelete(diff.old, title);
    if (printNew) p.printAdd(diff.new, title);
  }

  private printTextDiff(oldText: string, newText: string): void {
    const oldJson = decodeEmbeddedJson(oldText);
    const newJson = decodeEmbeddedJson(newText);
    if (oldJson && newJson && !deepEqual(oldJson, newJson)) {
      this.write("(json) ");
      const inner = diffValues(oldJson, newJson);
      if (inner) this.printValueDiff(() => undefined, inner);
      return;
    }
    if (!oldText.includes("\n") && !newText.includes("\n")) {
      // A common prefix/suffix split is enough to colour what changed inside a one-line string.
      let pre = 0;
      while (pre < oldText.length && pre < newText.length && oldText[pre] === newText[pre]) pre++;
      let suf = 0;
      while (
        suf < oldText.length - pre &&
        suf < newText.length - pre &&
        oldText[oldText.length - 1 - suf] === newText[newText.length - 1 - suf]
      ) suf++;
      const same = this.with({ op: "same" });
      const head = escapeString(oldText.slice(0, pre));
      const tail = escapeString(oldText.slice(oldText.length - suf));
      this.write('"');
      if (head) same.write(head);
      const removed = oldText.slice(pre, oldText.length - suf);
      if (removed) this.with({ op: "delete" }).write(escapeString(removed));
      if (tail) same.write(tail);
      this.write('"');
      this.write(" => ");
      this.write('"');
      if (head) same.write(head);
      const added = newText.slice(pre, newText.length - suf);
      if (added) this.with({ op: "create" }).write(escapeString(added));
      if (tail) same.write(tail);
      this.write('"\n');
      return;
    }
    this.indented(1).printLineDiff(lineDiff(oldText.split("\n"), newText.split("\n")));
  }

  private printLineDiff(chunks: LineChunk[]): void {
    this.write("\n");
    const CONTEXT = 2;
    const emit = (op: string, line: string): void => {
      this.with({ op, prefix: op === "create" || op === "delete" }).writeIndented(line);
      this.out.push("\n");
    };
    chunks.forEach((chunk, index) => {
      const lines = chunk.lines.filter((l) => l.trim() !== "");
      if (chunk.op !== "same") {
        for (const l of lines) emit(chunk.op, l);
        return;
      }
      // Long unchanged runs collapse to a little context around each change.
      const first = index === 0;
      const last = index === chunks.length - 1;
      if (first && lines.length > CONTEXT + 1) {
        emit("same", "...");
        for (const l of lines.slice(-CONTEXT)) emit("same", l);
      } else if (last && !first && lines.length > CONTEXT + 1) {
        for (const l of lines.slice(0, CONTEXT)) emit("same", l);
        emit("same", "...");
      } else if (!first && !last && lines.length > 2 * CONTEXT + 1) {
        for (const l of lines.slice(0, CONTEXT)) emit("same", l);
        emit("same", "...");
        for (const l of lines.slice(-CONTEXT)) emit("same", l);
      } else {
        for (const l of lines) emit("same", l);
      }
    });
  }
}

interface LineChunk {
  op: "same" | "create" | "delete";
  lines: string[];
}

/** A plain LCS line diff; property texts are small enough that O(n·m) is fine. */
function lineDiff(a: string[], b: string[]): LineChunk[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const chunks: LineChunk[] = [];
  const push = (op: LineChunk["op"], line: string): void => {
    const last = chunks[chunks.length - 1];
    if (last && last.op === op) last.lines.push(line);
    else chunks.push({ op, lines: [line] });
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      push("same", a[i]!);
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      push("create", b[j]!);
      j++;
    } else {
      push("delete", a[i]!);
      i++;
    }
  }
  return chunks;
}

function maxLen(keys: readonly string[]): number {
  return keys.reduce((m, k) => Math.max(m, k.length), 0);
}

export function shortHash(hash: string): string {
  return hash.length > 7 ? hash.slice(0, 7) : hash;
}

/** Integers print without exponent or fraction, like Go's `%.f`; fractions as they come. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN";
  return String(n);
}

function escapeString(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export function quote(s: string): string {
  return JSON.stringify(s);
}

/** Strings holding a JSON object or array are shown structurally, as the Pulumi CLI does. */
function decodeEmbeddedJson(text: string): Value | undefined {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    const parsed: unknown = JSON.parse(t);
    if (parsed !== null && typeof parsed === "object") return decodeValue(parsed);
  } catch {
    // Not JSON: print it as the string it is.
  }
  return undefined;
}
