/**
 * Wire types of the Pulumi Cloud ("httpstate") service API: what the CLI sends to a service backend
 * and what it accepts back, plus the documented REST API shapes Stackyard serves.
 */
import type { UntypedDeployment } from "./checkpoint.js";
import type { EngineEvent } from "./events.js";
import type { ConfigValue, ResourceChanges, UpdateInfo } from "./history.js";
import type { JournalEntry } from "./journal.js";

/** `{code, message}` on every 4xx/5xx; the CLI trusts `code` over the HTTP status. */
export interface ErrorResponse {
  code: number;
  message: string;
  documentationUrl?: string;
  errors?: { resource: string; attribute: string; errorType: string; customMessage?: string }[];
}

export interface APICapabilityConfig {
  capability: string;
  version?: number;
  configuration?: Record<string, unknown>;
}

export interface CapabilitiesResponse {
  capabilities: APICapabilityConfig[];
}

export interface UserOrganization {
  githubLogin: string;
  name: string;
  avatarUrl: string;
}

export interface TokenInfo {
  name: string;
  organization?: string;
  team?: string;
}

export interface ServiceUser {
  id: string;
  githubLogin: string;
  name: string;
  email: string;
  avatarUrl: string;
  organizations: UserOrganization[];
  identities: string[];
  siteAdmin: boolean;
  tokenInfo?: TokenInfo;
}

/** Go field names: this response type carries no JSON tags upstream. */
export interface DefaultOrganizationResponse {
  GitHubLogin: string;
  Messages?: { severity: string; message: string }[];
}

export interface OperationStatus {
  kind: string;
  author: string;
  started: number;
}

export interface Stack {
  id: string;
  orgName: string;
  projectName: string;
  stackName: string;
  currentOperation?: OperationStatus;
  activeUpdate: string;
  tags: Record<string, string>;
  version: number;
}

export interface StackSummary {
  id: string;
  orgName: string;
  projectName: string;
  stackName: string;
  lastUpdate?: number;
  resourceCount?: number;
}

export interface ListStacksResponse {
  stacks: StackSummary[];
  continuationToken?: string;
}

export interface CreateStackRequest {
  stackName: string;
  tags?: Record<string, string>;
  teams?: string[];
  state?: UntypedDeployment;
}

export interface RenameStackRequest {
  newName: string;
  newProject: string;
}

export interface UpdateProgramRequest {
  name: string;
  runtime: string;
  main: string;
  description: string;
  options: { dryRun?: boolean; [option: string]: unknown };
  config?: Record<string, ConfigValue>;
  metadata?: { message?: string; environment?: Record<string, string> };
}

export interface UpdateProgramResponse {
  updateID: string;
  requiredPolicies?: unknown[];
  messages?: { severity: string; message: string }[];
}

export interface StartUpdateRequest {
  tags?: Record<string, string> | null;
  journalVersion?: number;
}

export interface StartUpdateResponse {
  version: number;
  token: string;
  tokenExpiration: number;
  journalVersion: number;
}

export interface RenewUpdateLeaseRequest {
  token?: string;
  duration: number;
}

export interface RenewUpdateLeaseResponse {
  token: string;
  tokenExpiration: number;
}

export interface CompleteUpdateRequest {
  status: "succeeded" | "failed" | "cancelled";
}

export interface PatchUpdateCheckpointRequest extends UntypedDeployment {
  isInvalid?: boolean;
}

export interface PatchUpdateVerbatimCheckpointRequest {
  version: number;
  untypedDeployment: UntypedDeployment;
  sequenceNumber: number;
}

/** One text edit of a delta checkpoint; offsets are UTF-8 byte offsets into the previous state. */
export interface TextEdit {
  Span: { uri: string; start: { line: number; column: number; offset: number }; end: { line: number; column: number; offset: number } };
  NewText: string;
}

export interface PatchUpdateCheckpointDeltaRequest {
  version: number;
  checkpointHash: string;
  sequenceNumber: number;
  deploymentDelta: TextEdit[];
}

export interface JournalEntriesRequest {
  entries: JournalEntry[];
}

export interface EngineEventBatch {
  events: EngineEvent[];
}

export interface UpdateStatusResponse {
  status: string;
  events: { index: string; kind: string; fields: Record<string, unknown> }[];
  continuationToken?: string;
}

export interface GetUpdateEventsResponse {
  events: EngineEvent[];
  continuationToken: string | null;
}

export interface GetHistoryResponse {
  updates: UpdateInfo[];
}

export interface UserInfo {
  name: string;
  githubLogin: string;
  avatarUrl: string;
  email?: string;
}

/** One element of `GET …/updates?output-type=service` and of the previews listing. */
export interface ServiceUpdateInfo {
  info: UpdateInfo & { resourceCount?: number };
  updateID: string;
  version: number;
  latestVersion: number;
  requestedBy: UserInfo;
}

export interface ImportStackResponse {
  updateId: string;
}

export interface EncryptValueRequest { plaintext: string }
export interface EncryptValueResponse { ciphertext: string }
export interface DecryptValueRequest { ciphertext: string }
export interface DecryptValueResponse { plaintext: string }
export interface BatchEncryptRequest { plaintexts: string[] }
export interface BatchEncryptResponse { ciphertexts: string[] }
export interface BatchDecryptRequest { ciphertexts: string[] }
export interface BatchDecryptResponse { plaintexts: Record<string, string> }

export interface ResourceCountResponse {
  resourceCount: number;
  version: number;
}

export interface AccessToken {
  id: string;
  name?: string;
  description: string;
  expires?: number;
  lastUsed: number;
}

export interface CreateAccessTokenResponse {
  id: string;
  tokenValue: string;
}

export type OrgRole = "admin" | "member";

export interface OrgMember {
  role: OrgRole;
  user: UserInfo;
  knownToPulumi: boolean;
  virtualAdmin: boolean;
}

export interface Team {
  kind: string;
  name: string;
  displayName: string;
  description: string;
  userRole?: string;
  members?: UserInfo[];
  stacks?: { projectName: string; stackName: string; permission: number }[];
}

export interface AuditLogEvent {
  timestamp: number;
  sourceIP: string;
  event: string;
  description: string;
  user: UserInfo;
  tokenID?: string;
  tokenName?: string;
  requireOrgAdmin?: boolean;
  requireStackAdmin?: boolean;
  authenticationFailure?: boolean;
}

export interface AuditLogsResponse {
  auditLogEvents: AuditLogEvent[];
  continuationToken?: string;
}

export type { ResourceChanges };
