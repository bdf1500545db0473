/**
 * Deletes run in reverse dependency order, as waves ("antichains"): a resource is deleted only
 * after everything that depends on it is gone; members of one wave run in parallel.
 */
import type { ResourceV3 } from "@stackyard/protocol";
import { parseProviderReference } from "../urn.js";

/** URNs a resource depends on for deletion ordering: parent, dependencies, property deps, deletedWith, provider. */
export function deletionDependencies(r: ResourceV3): string[] {
  const deps: string[] = [];
  if (r.parent) deps.push(r.parent);
  if (r.dependencies) deps.push(...r.dependencies);
  for (const urns of Object.values(r.propertyDependencies ?? {})) deps.push(...urns);
  if (r.deletedWith) deps.push(r.deletedWith);
  if (r.provider) deps.push(parseProviderReference(r.provider).urn);
  return deps;
}

/**
 * Groups condemned resources into waves. Build waves of "nothing condemned depends on me" from the
 * leaves' side: wave 0 holds resources no other condemned resource depends on, and so on.
 */
export function deleteWaves(condemned: readonly ResourceV3[]): ResourceV3[][] {
  const byUrn = new Map<string, ResourceV3[]>();
  for (const r of condemned) {
    const list = byUrn.get(r.urn);
    if (list) list.push(r);
    else byUrn.set(r.urn, [r]);
  }
  // dependents[x] = number of condemned resources that depend on x
  const dependents = new Map<ResourceV3, number>();
  const dependsOn = new Map<ResourceV3, ResourceV3[]>();
  for (const r of condemned) dependents.set(r, 0);
  for (const r of condemned) {
    const targets: ResourceV3[] = [];
    for (const urn of new Set(deletionDependencies(r))) {
      for (const target of byUrn.get(urn) ?? []) if (target !== r) targets.push(target);
    }
    dependsOn.set(r, targets);
    for (const t of targets) dependents.set(t, (dependents.get(t) ?? 0) + 1);
  }
  const waves: ResourceV3[][] = [];
  let ready = condemned.filter((r) => dependents.get(r) === 0);
  const done = new Set<ResourceV3>();
  while (ready.length > 0) {
    waves.push(ready);
    const next: ResourceV3[] = [];
    for (const r of ready) {
      done.add(r);
      for (const t of dependsOn.get(r) ?? []) {
        const left = (dependents.get(t) ?? 0) - 1;
        dependents.set(t, left);
        if (left === 0) next.push(t);
      }
    }
    ready = next;
  }
  // A dependency cycle cannot come from a valid snapshot; delete what is left in one last wave.
  const rest = condemned.filter((r) => !done.has(r));
  if (rest.length > 0) waves.push(rest);
  return waves;
}
