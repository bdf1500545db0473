/**
 * Which resources an operation may touch: `--target` (only these) and `--exclude` (all but these),
 * each optionally widened to dependents. Targets win when both are given, as in Pulumi. URN
 * patterns match exactly or as globs where `*` stands for any run of characters.
 */
import type { ResourceV3 } from "@stackyard/protocol";
import { deletionDependencies } from "./delete-schedule.js";

export type UrnMatcher = (urn: string) => boolean;

export function urnMatcher(patterns: readonly string[]): UrnMatcher {
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const p of patterns) {
    if (p.includes("*")) globs.push(new RegExp(`^${p.split("*").map(escapeRegExp).join(".*")}$`));
    else exact.add(p);
  }
  return (urn) => exact.has(urn) || globs.some((g) => g.test(urn));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The URNs a resource depends on: parent, dependencies, property dependencies, deletedWith, provider. */
export const dependenciesOf: (r: ResourceV3) => string[] = deletionDependencies;

/**
 * `--exclude` during an update or preview. Registrations arrive in dependency order, so by the time
 * a resource registers, everything it depends on has been judged: with `--exclude-dependents` it is
 * excluded when any of those was.
 */
export class ExclusionTracker {
  private readonly matches: UrnMatcher;
  private readonly excluded = new Set<string>();

  constructor(
    private readonly patterns: readonly string[],
    private readonly dependents: boolean,
  ) {
    this.matches = urnMatcher(patterns);
  }

  get constrained(): boolean {
    return this.patterns.length > 0;
  }

  /** Judges one registration (its URN and links as they will be recorded) and remembers the verdict. */
  exclude(resource: ResourceV3): boolean {
    if (!this.constrained) return false;
    const out = this.matches(resource.urn) || (this.dependents && dependenciesOf(resource).some((d) => this.excluded.has(d)));
    if (out) this.excluded.add(resource.urn);
    return out;
  }
}

/**
 * Resources an `--exclude` keeps from deletion (update deletes and destroy): the excluded ones,
 * with `--exclude-dependents` everything depending on them, and then everything those need to keep
 * existing (parents, dependencies, providers), transitively.
 */
export function keptByExcludes(resources: readonly ResourceV3[], patterns: readonly string[], dependents: boolean): Set<string> {
  if (patterns.length === 0) return new Set();
  const matches = urnMatcher(patterns);
  const seeds = resources.filter((r) => matches(r.urn)).map((r) => r.urn);
  const kept = new Set(dependents ? withDependents(resources, seeds) : seeds);
  const byUrn = new Map(resources.map((r) => [r.urn, r] as const));
  const frontier = [...kept];
  while (frontier.length > 0) {
    const r = byUrn.get(frontier.pop()!);
    for (const dep of r ? dependenciesOf(r) : []) {
      if (!kept.has(dep) && byUrn.has(dep)) {
        kept.add(dep);
        frontier.push(dep);
      }
    }
  }
  return kept;
}

/** Resources `refresh --exclude` leaves alone: the excluded ones, with `--exclude-dependents` their dependents too. */
export function excludedFromRefresh(resources: readonly ResourceV3[], patterns: readonly string[], dependents: boolean): Set<string> {
  if (patterns.length === 0) return new Set();
  const matches = urnMatcher(patterns);
  const seeds = resources.filter((r) => matches(r.urn)).map((r) => r.urn);
  return new Set(dependents ? withDependents(resources, seeds) : seeds);
}

/** `seeds` plus every resource that depends on one of them, transitively. */
function withDependents(resources: readonly ResourceV3[], seeds: readonly string[]): string[] {
  const dependentsOf = new Map<string, string[]>();
  for (const r of resources) {
    for (const dep of dependenciesOf(r)) {
      const list = dependentsOf.get(dep);
      if (list) list.push(r.urn);
      else dependentsOf.set(dep, [r.urn]);
    }
  }
  const out = new Set(seeds);
  const frontier = [...seeds];
  while (frontier.length > 0) {
    for (const d of dependentsOf.get(frontier.pop()!) ?? []) {
      if (!out.has(d)) {
        out.add(d);
        frontier.push(d);
      }
    }
  }
  return [...out];
}
