/** State (checkpoint) wire types: DeploymentV3 as written by the Pulumi CLI and its backends. */

export type PropertyMap = Record<string, unknown>;

export interface ManifestV1 {
  time: string;
  magic: string;
  version: string;
  plugins?: PluginInfoV1[];
}

export interface PluginInfoV1 {
  name: string;
  path: string;
  type: string;
  version: string;
}

export interface SecretsProvidersV1 {
  type: string;
  state?: unknown;
}

export interface CustomTimeoutsV1 {
  create?: number;
  update?: number;
  delete?: number;
  read?: number;
}

export interface ResourceV3 {
  urn: string;
  custom: boolean;
  delete?: boolean;
  id?: string;
  type: string;
  inputs?: PropertyMap;
  outputs?: PropertyMap;
  parent?: string;
  protect?: boolean;
  taint?: boolean;
  external?: boolean;
  dependencies?: string[];
  initErrors?: string[];
  provider?: string;
  propertyDependencies?: Record<string, string[]>;
  pendingReplacement?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: string[];
  customTimeouts?: CustomTimeoutsV1;
  importID?: string;
  retainOnDelete?: boolean;
  deletedWith?: string;
  replaceWith?: string[];
  replacementTrigger?: unknown;
  created?: string;
  modified?: string;
  sourcePosition?: string;
  stackTrace?: unknown[];
  ignoreChanges?: string[];
  hideDiff?: string[];
  replaceOnChanges?: string[];
  refreshBeforeUpdate?: boolean;
  viewOf?: string;
  resourceHooks?: Record<string, string[]>;
}

export type OperationType = "creating" | "updating" | "deleting" | "reading" | "importing";

export interface OperationV2 {
  resource: ResourceV3;
  type: OperationType;
}

export interface DeploymentMetadataV1 {
  integrity_error?: unknown;
}

export interface DeploymentV3 {
  manifest: ManifestV1;
  secrets_providers?: SecretsProvidersV1;
  resources?: ResourceV3[];
  pending_operations?: OperationV2[];
  metadata?: DeploymentMetadataV1;
  snippets?: unknown[];
  extensions?: Record<string, unknown>;
}

/** What `stack export` prints and `stack import` reads. */
export interface UntypedDeployment {
  version: number;
  features?: string[];
  deployment: DeploymentV3;
}

export interface CheckpointV3 {
  stack: string;
  config?: Record<string, unknown>;
  latest?: DeploymentV3;
}

/** The DIY backend's stack file. */
export interface VersionedCheckpoint {
  version: number;
  features?: string[];
  checkpoint: CheckpointV3;
}

export const DEPLOYMENT_SCHEMA_VERSION_CURRENT = 3;
export const DEPLOYMENT_SCHEMA_VERSION_LATEST = 4;

/** Features that force schema version 4; a reader rejects any feature outside this list. */
export const KNOWN_DEPLOYMENT_FEATURES = [
  "refreshBeforeUpdate",
  "views",
  "hooks",
  "taint",
  "replaceWith",
  "snippets-prototype",
  "extensionParameterization",
  "byteString",
] as const;
