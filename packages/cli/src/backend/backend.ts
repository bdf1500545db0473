/**
 * What the CLI needs from wherever stacks live: the DIY file backend (`file://`) or a Stackyard
 * (Pulumi Cloud compatible) service (`http(s)://`). Commands talk only to this interface.
 */
import type {
  DeploymentV3,
  EngineEvent,
  ResourceChanges,
  UntypedDeployment,
  UpdateInfo,
  UpdateKind,
} from "@stackyard/protocol";
import type { JournalSink, SecretsManager } from "@stackyard/engine/api";

/** A fully qualified stack name. DIY's organization is always "organization". */
export interface StackRef {
  organization: string;
  project: string;
  name: string;
}

export function formatStackRef(ref: StackRef): string {
  return `${ref.organization}/${ref.project}/${ref.name}`;
}

export interface StackSummary {
  ref: StackRef;
  /** Unix seconds of the last update's end, when there was one. */
  lastUpdate?: number;
  updateInProgress?: boolean;
  resourceCount?: number;
  url?: string;
}

export interface UserInfo {
  user: string;
  organizations: string[];
  url: string;
  tokenInformation?: { name: string; organization?: string; team?: string };
}

export interface UpdateMetadata {
  message: string;
  environment: Record<string, string>;
  /** Config as stored in history (apitype.ConfigValue). */
  config: UpdateInfo["config"];
}

/** One running, state-changing operation on a stack: holds the lock/lease until `complete`. */
export interface UpdateSession {
  /** The state the operation starts from (secrets as ciphertext). */
  readonly base: DeploymentV3 | undefined;
  readonly journal: JournalSink;
  /** Engine events, in order (the service stores them; DIY ignores them). */
  recordEvents(events: EngineEvent[]): void;
  /** Writes the final state and history entry, releases the lock. */
  complete(result: "succeeded" | "failed" | "canceled", resourceChanges: ResourceChanges): Promise<void>;
}

/**
 * A dry run the backend keeps a record of (a service stores previews with their events; the DIY
 * backend keeps none and has no `beginPreview`).
 */
export interface PreviewSession {
  recordEvents(events: EngineEvent[]): void;
  complete(result: "succeeded" | "failed" | "canceled"): Promise<void>;
}

/** Errors whose text the Automation API matches on; commands print `message` as is. */
export class StackNotFoundError extends Error {
  constructor(readonly stackName: string) {
    super(`no stack named '${stackName}' found`);
  }
}
export class StackAlreadyExistsError extends Error {
  constructor(readonly stackName: string) {
    super(`stack '${stackName}' already exists`);
  }
}
export class ConcurrentUpdateError extends Error {}

export interface Backend {
  /** The URL the user logged in to: `file:///abs/dir` or `https://host`. */
  readonly url: string;
  readonly kind: "diy" | "service";
  /** The organization unqualified stack names belong to (service backends). */
  readonly defaultOrganization?: string;

  /** Parses `name`, `org/name` or `org/project/name` relative to the current project. */
  parseStackRef(text: string, currentProject: string | undefined): StackRef;
  currentUser(): Promise<UserInfo>;

  /** `initialState`: the new stack's first checkpoint (Pulumi records a non-default secrets provider there). */
  createStack(ref: StackRef, options: { tags?: Record<string, string>; initialState?: UntypedDeployment }): Promise<void>;
  /** Undefined when there is no such stack. */
  getStack(ref: StackRef): Promise<StackSummary | undefined>;
  listStacks(filter: { project?: string; organization?: string; tag?: { name: string; value?: string } }): Promise<StackSummary[]>;
  /** Refuses a stack with resources unless `force`. */
  removeStack(ref: StackRef, force: boolean): Promise<void>;
  renameStack(ref: StackRef, newRef: StackRef): Promise<void>;

  getTags(ref: StackRef): Promise<Record<string, string>>;
  setTags(ref: StackRef, tags: Record<string, string>): Promise<void>;

  /** The latest (or a given version's) state, secrets as ciphertext. */
  exportDeployment(ref: StackRef, version?: number): Promise<UntypedDeployment>;
  importDeployment(ref: StackRef, deployment: UntypedDeployment): Promise<void>;

  /** Newest first. `page` is 1-based. */
  history(ref: StackRef, pageSize?: number, page?: number): Promise<UpdateInfo[]>;

  /** Starts a state-changing operation; fails with ConcurrentUpdateError when one is running. */
  beginUpdate(ref: StackRef, kind: UpdateKind, metadata: UpdateMetadata): Promise<UpdateSession>;
  /** Records a preview of `kind` (no lock, no state written); absent where previews leave no record. */
  beginPreview?(ref: StackRef, kind: UpdateKind, metadata: UpdateMetadata): Promise<{ session: PreviewSession; base: DeploymentV3 | undefined }>;
  /** Breaks the stack's lock / cancels its running update. */
  cancelUpdate(ref: StackRef): Promise<void>;

  /** The secrets manager for a stack whose provider is "service" (service backends only). */
  serviceSecretsManager?(ref: StackRef): SecretsManager;
}
