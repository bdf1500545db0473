/** Update history (`stack history --json`, service `/updates`). */

export type UpdateKind = "update" | "preview" | "refresh" | "destroy" | "import" | "resource-import" | "rename";
export type UpdateResult = "not-started" | "in-progress" | "succeeded" | "failed" | "canceled";

/** Op name → count over logical, non-internal steps. */
export type ResourceChanges = Partial<Record<StepOp, number>>;

export type StepOp =
  | "same"
  | "create"
  | "update"
  | "delete"
  | "replace"
  | "create-replacement"
  | "delete-replaced"
  | "read"
  | "read-replacement"
  | "refresh"
  | "discard"
  | "discard-replaced"
  | "remove-pending-replace"
  | "import"
  | "import-replacement";

/** A config value as stored in history (`apitype.ConfigValue`). */
export interface ConfigValue {
  string: string;
  secret: boolean;
  object: boolean;
}

export interface UpdateInfo {
  kind: UpdateKind;
  startTime: number;
  message: string;
  environment: Record<string, string>;
  config: Record<string, ConfigValue>;
  version?: number;
  result: UpdateResult;
  endTime?: number;
  resourceChanges?: ResourceChanges;
}
