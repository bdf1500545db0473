/** Step metadata helpers shared by the progress and diff displays. */
import type { StepEventMetadata, StepEventStateMetadata } from "@stackyard/protocol";
import * as c from "./colors.js";
import { isReplacementStep, opColor, opPrefix } from "./ops.js";
import { Printer, indentation, shouldPrintValue } from "./printer.js";
import { type ObjectDiff, type Props, decodeProps, decodeValue, diffKeys, diffProps, diffValues, isInternalKey, sortedKeys, type Value } from "./values.js";
import { escapeForDisplay, isRootStackUrn, parseUrn } from "./urn.js";

/** Default-provider steps: the engine marks them by type and a `default…` URN name; they are never shown. */
export function isInternalStep(m: StepEventMetadata): boolean {
  return m.type.startsWith("pulumi:providers:") && (parseUrn(m.urn)?.name ?? "").startsWith("default");
}

/** The latest known state: new if there is one, else old. */
export function latestState(m: StepEventMetadata): StepEventStateMetadata | null {
  return m.new ?? m.old;
}

export interface ShowOptions {
  showSames: boolean;
  showReplacementSteps: boolean;
}

/** Whether a step deserves a line (the root stack is always shown by the callers). */
export function shouldShow(m: StepEventMetadata, o: ShowOptions, diffStyle: boolean): boolean {
  if (m.op === "same") {
    if (!!m.old?.protect !== !!m.new?.protect) return true;
    return o.showSames;
  }
  if (!o.showReplacementSteps && diffStyle && !m.logical && isReplacementStep(m.op)) return false;
  return true;
}

export function addRetainFlag(status: string, m: StepEventMetadata): string {
  if (!m.old?.retainOnDelete) return status;
  return ["delete", "replace", "create-replacement", "delete-replaced"].includes(m.op) ? `${status}[retain]` : status;
}

/** The property-level change set used both for the short `[diff: …]` note and for detailed diffs. */
export function stepDiff(m: StepEventMetadata): ObjectDiff | null {
  if (!m.old || !m.new) return null;
  const oldInputs = decodeProps(m.old.inputs);
  const newInputs = decodeProps(m.new.inputs);
  if (m.detailedDiff) {
    // Detailed diffs name paths; the display works per top-level key and takes the values from
    // old inputs (input diffs) or old outputs (state diffs) against the new inputs.
    const oldOutputs = decodeProps(m.old.outputs);
    const d: ObjectDiff = { adds: new Map(), deletes: new Map(), sames: new Map(), updates: new Map() };
    for (const [path, pd] of Object.entries(m.detailedDiff)) {
      const key = topLevelKey(path);
      const olds = pd.inputDiff ? oldInputs : oldOutputs;
      const o = olds.get(key);
      const n = newInputs.get(key);
      if (pd.diffKind.startsWith("add") && n && (!o || o.kind === "null")) d.adds.set(key, n);
      else if (pd.diffKind.startsWith("delete") && o && (!n || n.kind === "null")) d.deletes.set(key, o);
      else {
        const ov: Value = o ?? { kind: "null" };
        const nv: Value = n ?? { kind: "null" };
        d.updates.set(key, diffValues(ov, nv) ?? { old: ov, new: nv });
      }
    }
    return d.adds.size + d.deletes.size + d.updates.size > 0 ? d : null;
  }
  return diffProps(oldInputs, newInputs);
}

function topLevelKey(path: string): string {
  if (path.startsWith('["')) {
    const end = path.indexOf('"]');
    return end > 0 ? path.slice(2, end) : path;
  }
  const m = /^[^.[]+/.exec(path);
  return m ? m[0] : path;
}

/** `[diff: +a-b~c]`-style note for the info column; empty when nothing changed. */
export function shortDiffInfo(m: StepEventMetadata): string {
  if (!m.old || !m.new) return "";
  const diff: ObjectDiff =
    (m.op !== "same" ? stepDiff(m) : null) ?? { adds: new Map(), deletes: new Map(), sames: new Map(), updates: new Map() };
  const meta = (name: string, o: unknown, n: unknown): void => {
    if (o !== n) diff.updates.set(name, { old: decodeValue(o), new: decodeValue(n) });
  };
  meta("provider", m.old.provider, m.new.provider);
  meta("protect", !!m.old.protect, !!m.new.protect);
  meta(c.Red + "taint" + c.Reset, !!m.old.taint, !!m.new.taint);
  if (diff.adds.size + diff.deletes.size + diff.updates.size === 0) return "";
  const include = m.diffs && m.diffs.length > 0 ? new Set(m.diffs) : undefined;
  const keys = (src: Iterable<string>): string[] => [...src].filter((k) => !include || include.has(k)).sort();
  let out = "diff: ";
  const section = (ks: string[], op: string): void => {
    if (ks.length > 0) out += opPrefix(op, true).trim() + ks.join(",") + c.Reset;
  };
  section(keys(diff.adds.keys()), "create");
  section(keys(diff.deletes.keys()), "delete");
  section(keys(diff.updates.keys()), "update");
  return out + c.Reset;
}

/** The `type: (op)` header plus `[id=…]`, `[urn=…]` and non-default `[provider=…]` lines. */
export function resourceSummary(m: StepEventMetadata, indent: number): string {
  const out: string[] = [];
  out.push(indentation(indent, m.op, false));
  out.push(opPrefix(m.op, true));
  let lock = "";
  if (m.new && !m.new.protect && m.old?.protect) lock = " 🔓";
  else if (m.new?.protect || m.old?.protect) lock = " 🔒";
  out.push(`${m.type}: (${addRetainFlag(m.op, m)})${lock}\n`);
  const simpleOp = ["create", "delete", "delete-replaced", "discard", "discard-replaced"].includes(m.op) ? m.op : "same";
  const line = (op: string, text: string): void => {
    out.push(opColor(op) + indentation(indent + 1, op, false) + text + c.Reset);
  };
  const id = m.old?.id ?? "";
  if (id) line(simpleOp, `[id=${id}]\n`);
  if (m.urn) line(simpleOp, `[urn=${escapeForDisplay(m.urn)}]\n`);
  if (m.provider) {
    if (m.old && m.new && m.old.provider !== m.new.provider) {
      line("update", "[provider: ");
      out.push(opColor("delete") + m.old.provider + c.Reset);
      out.push(opColor("update") + " => " + c.Reset);
      out.push(opColor("create") + m.new.provider + c.Reset);
      out.push(opColor("update") + "]\n" + c.Reset);
    } else if (!providerIsDefault(m.provider)) {
      line(simpleOp, `[provider=${m.provider}]\n`);
    }
  }
  return out.join("");
}

function providerIsDefault(ref: string): boolean {
  const urn = ref.slice(0, Math.max(0, ref.lastIndexOf("::")));
  return parseUrn(urn)?.name === "default";
}

export interface DetailOptions {
  planning: boolean;
  summary: boolean;
  showSecrets: boolean;
}

/** The property block under a resource header in the `--diff` display. */
export function resourceDetails(m: StepEventMetadata, indent: number, o: DetailOptions): string {
  const out: string[] = [];
  const base = { indent: indent + 1, planning: o.planning, summary: o.summary, showSecrets: o.showSecrets };
  if (m.op === "same") return "";
  if (m.detailedDiff && m.old && m.new) {
    const d = stepDiff(m);
    if (d) new Printer(out, { ...base, op: m.op, prefix: true }).printObjectDiff(d);
    else new Printer(out, { ...base, op: "same", prefix: true }).printObject(decodeProps(m.old.inputs));
    return out.join("");
  }
  if (!m.old && m.new) {
    const outputs = decodeProps(m.new.outputs);
    new Printer(out, { ...base, op: m.op, prefix: false }).printObject(outputs.size > 0 ? outputs : decodeProps(m.new.inputs));
  } else if (m.old && !m.new) {
    if (!o.summary) new Printer(out, { ...base, op: m.op, prefix: false }).printObject(decodeProps(m.old.inputs));
  } else if (m.old && m.new) {
    const useOutputs = Object.keys(m.new.outputs ?? {}).length > 0 && m.op !== "import" && m.op !== "import-replacement";
    const olds = decodeProps(useOutputs ? m.old.outputs : m.old.inputs);
    const news = decodeProps(useOutputs ? m.new.outputs : m.new.inputs);
    const d = diffProps(olds, news);
    if (d) new Printer(out, { ...base, op: m.op, prefix: true }).printObjectDiff(d, useOutputs || !m.diffs?.length ? undefined : m.diffs);
    else new Printer(out, { ...base, op: "same", prefix: true }).printObject(news);
  }
  return out.join("");
}

export interface OutputsOptions {
  planning: boolean;
  refresh: boolean;
  showSames: boolean;
  showSecrets: boolean;
}

/**
 * Outputs worth showing for a step: those that differ from its inputs or from its previous outputs.
 * The stack's outputs are always complete and always shown after a real update.
 */
export function outputsText(m: StepEventMetadata, indent: number, o: OutputsOptions): string {
  const isStack = isRootStackUrn(m.urn);
  const showSames = o.showSames || (!o.planning && isStack);
  if (o.planning) {
    const complete = o.refresh || ["read", "read-replacement", "import", "import-replacement"].includes(m.op) || isStack;
    if (!complete) return "";
  }
  if (m.old && (m.old.initErrors?.length ?? 0) > 0) return "";
  const ins: Props = m.new?.outputs ? decodeProps(m.new.inputs) : new Map();
  const outs: Props = m.new?.outputs ? decodeProps(m.new.outputs) : new Map();
  let outputDiff: ObjectDiff | null = null;
  if (m.old && m.old.outputs) {
    outputDiff = diffProps(decodeProps(m.old.outputs), outs);
    if (outputDiff && o.planning && isStack) {
      // Unknown stack outputs in a preview are not news; only known changes are.
      for (const [k, d] of outputDiff.updates) if (d.new.kind === "unknown") outputDiff.updates.delete(k);
    }
    if (!outputDiff && !showSames) return "";
  }
  const full = outputDiff;
  const keys = full ? diffKeys(full) : sortedKeys(outs);
  const align = keys.reduce((n, k) => Math.max(n, k.length), 0);
  const buf: string[] = [];
  const p = new Printer(buf, { indent, op: m.op, prefix: false, planning: o.planning, summary: false, showSecrets: o.showSecrets });
  for (const k of keys) {
    const out = outs.get(k);
    if (!full && (isInternalKey(k) || !out || !shouldPrintValue(out, true))) continue;
    const inp = ins.get(k);
    if (out && inp && !o.refresh && !diffValues(out, inp)) continue;
    if (!showSames && full && full.sames.has(k)) continue;
    if (full) p.printPropertyDiff(k, align, full);
    else if (out) p.printProperty(k, out, align);
  }
  return buf.join("");
}


