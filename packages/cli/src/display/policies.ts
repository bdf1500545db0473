/** Policy-pack results: the progress display's `Policies:` section and the diff display's inline lines. */
import type { PolicyEvent } from "@stackyard/protocol";
import * as c from "./colors.js";
import { parseUrn, typeDisplayName } from "./urn.js";

function heading(p: PolicyEvent): string {
  const color = p.enforcementLevel === "mandatory" ? c.SpecError : c.SpecWarning;
  const sev = p.severity ? ` [severity: ${p.severity}]` : "";
  const parts = p.resourceUrn ? parseUrn(p.resourceUrn) : undefined;
  const where = parts ? `  (${typeDisplayName(parts.type)}: ${parts.name})` : "";
  return `${color}[${p.enforcementLevel}]${sev}  ${p.policyName}${c.Reset}${where}`;
}

/** One violation as the diff display prints it when it happens. */
export function renderPolicyViolation(p: PolicyEvent): string {
  return `    ${c.SpecInfo}${p.policyPackName}@v${p.policyPackVersion} ${c.Reset}${heading(p)}${p.message.replace(/\n$/, "")}\n`;
}

/**
 * Every pack that ran (from the summary), each with its violations. `mandatory` tells the caller
 * to leave out the Resources summary, which would only confuse after a blocking violation.
 */
export function renderPolicySection(packs: Record<string, string>, events: readonly PolicyEvent[]): { lines: string[]; mandatory: boolean } {
  const byPack = new Map<string, PolicyEvent[]>();
  for (const name of Object.keys(packs)) byPack.set(`${name}@v${packs[name]}`, []);
  for (const p of events) {
    const key = `${p.policyPackName}@v${p.policyPackVersion}`;
    byPack.set(key, [...(byPack.get(key) ?? []), p]);
  }
  const lines = [`${c.SpecHeadline}Policies:${c.Reset}`];
  let mandatory = false;
  for (const key of [...byPack.keys()].sort()) {
    const violations = byPack.get(key) ?? [];
    let mark = "✅";
    for (const v of violations) {
      if (v.enforcementLevel === "mandatory") {
        mark = "❌";
        mandatory = true;
        break;
      }
      mark = "⚠️";
    }
    lines.push(`    ${mark} ${c.SpecInfo}${key}${c.Reset}`);
    for (const v of violations) {
      lines.push(`        - ${heading(v)}`);
      lines.push(`          ${v.message.replace(/\n$/, "").split("\n").join("\n          ")}`);
    }
  }
  lines.push("");
  return { lines, mandatory };
}
