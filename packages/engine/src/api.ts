/**
 * The engine's public contract: what a front end (the CLI, the deployment runner) hands the engine
 * for one operation, and what it gets back. Everything here is plain data plus three small sinks,
 * so the engine never knows which backend or display it is talking to.
 */
import type { DeploymentV3, EngineEventBody, JournalEntry, ResourceChanges } from "@stackyard/protocol";

export type OperationKind = "update" | "preview" | "refresh" | "destroy" | "import";

/** A config value as the program sees it: plaintext, objects as JSON text. */
export interface ConfigEntry {
  value: string;
  secret: boolean;
}

/** Keyed by full key `namespace:name`. */
export type ConfigMap = Record<string, ConfigEntry>;

/** How ciphertext in state is made and read. Implementations: passphrase, service, plaintext. */
export interface SecretsManager {
  /** `secrets_providers.type` in state, e.g. "passphrase". */
  readonly type: string;
  /** `secrets_providers.state`, e.g. `{ salt }`. */
  readonly state: unknown;
  encrypt(plaintexts: string[]): Promise<string[]>;
  decrypt(ciphertexts: string[]): Promise<string[]>;
}

/** Where state goes during an operation. The engine awaits `append` before the provider call it guards. */
export interface JournalSink {
  append(entry: JournalEntry): Promise<void>;
}

export type ProgramSource =
  | {
      kind: "nodejs";
      /** Directory holding Pulumi.yaml. */
      rootDirectory: string;
      /** Directory the program runs in (root, or `main`'s directory). */
      programDirectory: string;
      /** "." for the directory, else a file name inside programDirectory. */
      entryPoint: string;
      /** Pulumi.yaml `runtime.options`. */
      runtimeOptions: Record<string, unknown>;
    }
  | {
      /** An Automation API inline program: a LanguageRuntime server at `address` (`--client`). */
      kind: "client";
      address: string;
      rootDirectory: string;
      programDirectory: string;
      entryPoint: string;
      runtimeOptions: Record<string, unknown>;
    };

/** One resource for `pulumi import` (the import file's `resources[]`, names already resolved to URNs). */
export interface ImportSpec {
  type: string;
  name: string;
  /** Provider id; absent for components. */
  id?: string;
  /** Parent URN; the stack when absent. */
  parent?: string;
  /** Provider reference `urn::id` of an explicit provider. */
  provider?: string;
  version?: string;
  pluginDownloadURL?: string;
  /** Input properties to keep from the provider's Read (all when absent or empty). */
  properties?: string[];
  component?: boolean;
  protect: boolean;
}

export interface StackIdentity {
  organization: string;
  project: string;
  stack: string;
}

export interface OperationOptions {
  parallel?: number;
  targets?: string[];
  targetDependents?: boolean;
  excludes?: string[];
  excludeDependents?: boolean;
  replaces?: string[];
  refresh?: boolean;
  expectNoChanges?: boolean;
  excludeProtected?: boolean;
  continueOnError?: boolean;
  /** refresh/destroy: run the program too. */
  runProgram?: boolean;
  /** refresh: drop pending creates instead of keeping them. */
  clearPendingCreates?: boolean;
}

export interface OperationRequest {
  kind: OperationKind;
  dryRun: boolean;
  identity: StackIdentity;
  /** Absent for destroy/refresh without --run-program. */
  program?: ProgramSource;
  config: ConfigMap;
  /** The stack's current state (ciphertext secrets, decrypted with `secrets`). */
  base: DeploymentV3 | undefined;
  secrets: SecretsManager;
  /** Absent for previews: they write nothing. */
  journal?: JournalSink;
  onEvent(event: EngineEventBody): void;
  options: OperationOptions;
  /** Reads another stack's outputs for StackReference; absent ⇒ StackReference fails clearly. */
  readStackOutputs?(name: string): Promise<{ outputs: Record<string, unknown>; secretOutputNames: string[] }>;
  /** Aborting asks providers to cancel and the program to stop. */
  signal?: AbortSignal;
  /** `import`: the resources to adopt. */
  imports?: ImportSpec[];
  /** PULUMI_HOME, for the plugin cache. */
  pulumiHome: string;
  /**
   * Where plugins such as the dynamic provider are resolved from when no program runs (refresh,
   * destroy): the project's program directory, which for inline programs is the host's `main`.
   */
  pluginDirectory?: string;
}

export interface OperationResult {
  result: "succeeded" | "failed" | "canceled";
  resourceChanges: ResourceChanges;
  /** The stack's outputs after the operation (plaintext, secrets still marked). */
  outputs: Record<string, unknown>;
  /** Set when failed: the message already shown through events. */
  error?: string;
}
