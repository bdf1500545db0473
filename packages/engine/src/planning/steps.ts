/** Steps: what the planner decided to do with one resource, before anything is done. */
import type { PropertyDiff, ResourceV3 } from "@stackyard/protocol";
import type { Provider } from "../providers/provider.js";

/** A resource from the base state, with its position there (journal entries refer to it by index). */
export interface OldResource {
  state: ResourceV3;
  index: number;
}

export interface DiffSummary {
  changedKeys: string[];
  replaceKeys?: string[];
  detailedDiff?: Record<string, PropertyDiff>;
}

export type Step =
  | { op: "same"; old: OldResource; new: ResourceV3; provider?: Provider }
  | { op: "create"; new: ResourceV3; provider?: Provider }
  | { op: "update"; old: OldResource; new: ResourceV3; provider?: Provider; diff: DiffSummary }
  | { op: "replace"; old: OldResource; new: ResourceV3; provider: Provider; diff: DiffSummary; deleteBeforeReplace: boolean }
  | { op: "import"; new: ResourceV3; provider: Provider; old?: OldResource }
  /** Not targeted by --target: nothing happens, outputs resolve as unknown. */
  | { op: "skip-create"; new: ResourceV3 };

export type StepOp = Step["op"];
