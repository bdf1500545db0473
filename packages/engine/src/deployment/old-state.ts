/** The base state an operation starts from, indexed for the lookups planning makes. */
import type { OperationV2, ResourceV3 } from "@stackyard/protocol";
import type { OldResource } from "../planning/steps.js";

export class OldState {
  /** Live resources by URN (copies marked `delete` are kept apart: they are only ever deleted). */
  private readonly live = new Map<string, OldResource>();
  readonly pendingDeletes: OldResource[] = [];
  private readonly claimed = new Set<string>();

  constructor(readonly resources: ResourceV3[], readonly pendingOperations: OperationV2[]) {
    resources.forEach((state, index) => {
      if (state.delete) this.pendingDeletes.push({ state, index });
      else this.live.set(state.urn, { state, index });
    });
  }

  get(urn: string): OldResource | undefined {
    return this.live.get(urn);
  }

  /** Claims the old resource for a new registration (by URN or by an alias). */
  claim(urn: string, aliases: readonly string[]): OldResource | undefined {
    for (const candidate of [urn, ...aliases]) {
      const old = this.live.get(candidate);
      if (old && !this.claimed.has(candidate)) {
        this.claimed.add(candidate);
        return old;
      }
      if (old && this.claimed.has(candidate) && candidate !== urn) {
        throw new Error(`resource ${urn} aliases ${candidate}, which another resource already claimed`);
      }
    }
    return undefined;
  }

  /** Takes in what a refresh read back: the new state, or none when the resource is gone. */
  refreshed(urn: string, state: ResourceV3 | undefined): void {
    const old = this.live.get(urn);
    if (!old) return;
    if (state) this.live.set(urn, { state, index: old.index });
    else this.live.delete(urn);
  }

  isClaimed(urn: string): boolean {
    return this.claimed.has(urn);
  }

  /** Live resources nobody registered: the deletes of an update. */
  unclaimed(): OldResource[] {
    const out: OldResource[] = [];
    for (const [urn, old] of this.live) if (!this.claimed.has(urn)) out.push(old);
    return out;
  }

  allLive(): OldResource[] {
    return [...this.live.values()];
  }
}
