/**
 * Journal entries: the append-only record of one update's state changes, in the wire shape the
 * Pulumi CLI sends to `/journalentries`. Replaying them over the update's base deployment yields the
 * deployment at that point, including the operations that began and never finished.
 */
import { createHash } from "node:crypto";
import type { DeploymentV3, OperationV2, ResourceV3, SecretsProvidersV1 } from "./checkpoint.js";
import { DEPLOYMENT_SCHEMA_VERSION_CURRENT, DEPLOYMENT_SCHEMA_VERSION_LATEST } from "./checkpoint.js";

export enum JournalEntryKind {
  Begin = 0,
  Success = 1,
  Failure = 2,
  RefreshSuccess = 3,
  Outputs = 4,
  Write = 5,
  SecretsManager = 6,
  RebuiltBaseState = 7,
}

export interface JournalEntry {
  version: 1;
  kind: JournalEntryKind;
  sequenceID: number;
  operationID: number;
  /** Index of a base-deployment resource this entry removes (or replaces, for refresh/outputs). */
  removeOld: number | null;
  /** Operation id of an earlier entry in this journal whose resource this entry removes. */
  removeNew: number | null;
  pendingReplacementOld?: number | null;
  pendingReplacementNew?: number | null;
  deleteOld?: number | null;
  deleteNew?: number | null;
  state?: ResourceV3;
  operation?: OperationV2;
  isRefresh?: boolean;
  secretsProvider?: SecretsProvidersV1;
  newSnapshot?: DeploymentV3;
}

export interface ReplayedDeployment {
  version: number;
  features?: string[];
  deployment: DeploymentV3;
}

/** Lowercase hex SHA-256 of the manifest version, as Pulumi checks it. */
export function manifestMagic(version: string): string {
  return version === "" ? "" : createHash("sha256").update(version).digest("hex");
}

/**
 * Folds journal entries over a base deployment. Feed entries in sequence order with `add`, read the
 * result with `deployment()` at any point; both are linear in the size of the journal and base.
 */
export class JournalReplayer {
  private base: DeploymentV3;
  private newResources: (ResourceV3 | undefined)[] = [];
  private indexByOperation = new Map<number, number>();
  private removedBase = new Set<number>();
  private replacedBase = new Map<number, ResourceV3>();
  private deleteMarkedBase = new Set<number>();
  private pendingReplacementBase = new Set<number>();
  private incomplete = new Map<number, JournalEntry>();
  private sawRefresh = false;

  constructor(base: DeploymentV3 | undefined, private readonly engineVersion: string) {
    this.base = base ?? { manifest: { time: new Date().toISOString(), magic: "", version: "" } };
  }

  add(entry: JournalEntry): void {
    switch (entry.kind) {
      case JournalEntryKind.Begin:
        this.incomplete.set(entry.operationID, entry);
        break;
      case JournalEntryKind.Success:
        this.incomplete.delete(entry.operationID);
        if (entry.state) {
          this.indexByOperation.set(entry.operationID, this.newResources.length);
          this.newResources.push(entry.state);
        }
        if (entry.removeOld != null) this.removedBase.add(entry.removeOld);
        if (entry.removeNew != null) this.dropNew(entry.removeNew);
        if (entry.deleteOld != null) this.deleteMarkedBase.add(entry.deleteOld);
        if (entry.deleteNew != null) this.patchNew(entry.deleteNew, (r) => ({ ...r, delete: true }));
        if (entry.pendingReplacementOld != null) this.pendingReplacementBase.add(entry.pendingReplacementOld);
        if (entry.pendingReplacementNew != null) {
          this.patchNew(entry.pendingReplacementNew, (r) => ({ ...r, pendingReplacement: true }));
        }
        if (entry.isRefresh) this.sawRefresh = true;
        break;
      case JournalEntryKind.RefreshSuccess:
        this.incomplete.delete(entry.operationID);
        this.sawRefresh = true;
        if (entry.removeOld != null) {
          if (entry.state) this.replacedBase.set(entry.removeOld, entry.state);
          else this.removedBase.add(entry.removeOld);
        }
        if (entry.removeNew != null) {
          if (entry.state) this.patchNew(entry.removeNew, () => entry.state as ResourceV3);
          else this.dropNew(entry.removeNew);
        }
        break;
      case JournalEntryKind.Failure:
        this.incomplete.delete(entry.operationID);
        break;
      case JournalEntryKind.Outputs:
        if (entry.state && entry.removeOld != null) this.replacedBase.set(entry.removeOld, entry.state);
        if (entry.state && entry.removeNew != null) this.patchNew(entry.removeNew, () => entry.state as ResourceV3);
        break;
      case JournalEntryKind.Write:
        if (entry.newSnapshot) this.base = entry.newSnapshot;
        break;
      case JournalEntryKind.SecretsManager:
        if (entry.secretsProvider) this.base = { ...this.base, secrets_providers: entry.secretsProvider };
        break;
      case JournalEntryKind.RebuiltBaseState: {
        const rebuilt = this.deployment().deployment;
        this.reset(rebuilt);
        break;
      }
      default:
        throw new Error(`unknown journal entry kind ${String((entry as JournalEntry).kind)}`);
    }
  }

  private reset(base: DeploymentV3): void {
    this.base = base;
    this.newResources = [];
    this.indexByOperation.clear();
    this.removedBase.clear();
    this.replacedBase.clear();
    this.deleteMarkedBase.clear();
    this.pendingReplacementBase.clear();
    this.incomplete.clear();
  }

  private dropNew(operationID: number): void {
    const index = this.indexByOperation.get(operationID);
    if (index !== undefined) this.newResources[index] = undefined;
  }

  private patchNew(operationID: number, patch: (r: ResourceV3) => ResourceV3): void {
    const index = this.indexByOperation.get(operationID);
    const current = index === undefined ? undefined : this.newResources[index];
    if (index !== undefined && current) this.newResources[index] = patch(current);
  }

  deployment(now: Date = new Date()): ReplayedDeployment {
    const resources: ResourceV3[] = [];
    for (const r of this.newResources) if (r) resources.push(r);
    const baseResources = this.base.resources ?? [];
    for (let i = 0; i < baseResources.length; i++) {
      if (this.removedBase.has(i)) continue;
      const replaced = this.replacedBase.get(i);
      if (replaced) {
        resources.push(replaced);
        continue;
      }
      let r = baseResources[i]!;
      if (this.pendingReplacementBase.has(i)) r = { ...r, pendingReplacement: true };
      if (this.deleteMarkedBase.has(i)) r = { ...r, delete: true };
      resources.push(r);
    }
    const operations: OperationV2[] = [];
    for (const entry of this.incomplete.values()) if (entry.operation) operations.push(entry.operation);
    for (const op of this.base.pending_operations ?? []) if (op.type === "creating") operations.push(op);

    if (this.sawRefresh) pruneDanglingReferences(resources);

    const deployment: DeploymentV3 = {
      manifest: { time: now.toISOString(), magic: manifestMagic(this.engineVersion), version: this.engineVersion },
    };
    if (this.base.secrets_providers) deployment.secrets_providers = this.base.secrets_providers;
    if (resources.length > 0) deployment.resources = resources;
    if (operations.length > 0) deployment.pending_operations = operations;
    if (this.base.metadata) deployment.metadata = this.base.metadata;
    const features = deploymentFeatures(deployment);
    return features.length > 0
      ? { version: DEPLOYMENT_SCHEMA_VERSION_LATEST, features, deployment }
      : { version: DEPLOYMENT_SCHEMA_VERSION_CURRENT, deployment };
  }
}

/**
 * After a refresh removes resources, others may still name them. Resources are in dependency
 * order, so one forward pass can drop references to anything not seen earlier.
 */
export function pruneDanglingReferences(resources: ResourceV3[]): void {
  const present = new Set<string>();
  const parentOf = new Map<string, string | undefined>();
  for (const r of resources) {
    if (r.dependencies) r.dependencies = r.dependencies.filter((d) => present.has(d));
    if (r.propertyDependencies) {
      const pruned: Record<string, string[]> = {};
      for (const [k, deps] of Object.entries(r.propertyDependencies)) {
        const kept = deps.filter((d) => present.has(d));
        if (kept.length > 0) pruned[k] = kept;
      }
      r.propertyDependencies = pruned;
    }
    if (r.deletedWith && !present.has(r.deletedWith)) delete r.deletedWith;
    if (r.replaceWith) r.replaceWith = r.replaceWith.filter((d) => present.has(d));
    let parent = r.parent;
    while (parent && !present.has(parent)) parent = parentOf.get(parent);
    if (parent) r.parent = parent;
    else delete r.parent;
    present.add(r.urn);
    parentOf.set(r.urn, r.parent);
  }
}

/** The schema features a deployment uses (these force version 4). */
export function deploymentFeatures(deployment: DeploymentV3): string[] {
  const features = new Set<string>();
  const visit = (r: ResourceV3) => {
    if (r.refreshBeforeUpdate) features.add("refreshBeforeUpdate");
    if (r.viewOf) features.add("views");
    if (r.resourceHooks && Object.keys(r.resourceHooks).length > 0) features.add("hooks");
    if (r.taint) features.add("taint");
    if (r.replaceWith && r.replaceWith.length > 0) features.add("replaceWith");
  };
  for (const r of deployment.resources ?? []) visit(r);
  for (const op of deployment.pending_operations ?? []) visit(op.resource);
  if (deployment.snippets && deployment.snippets.length > 0) features.add("snippets-prototype");
  return [...features].sort();
}
