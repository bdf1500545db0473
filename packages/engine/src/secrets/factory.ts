/**
 * Chooses and builds a stack's secrets manager from its settings (`Pulumi.<stack>.yaml`) or from a
 * checkpoint's `secrets_providers`. The service provider is not built here: the service backend
 * client supplies it through the `service` hook (Backend.serviceSecretsManager).
 */
import type { SecretsManager } from "../api.js";
import {
  createPassphraseState,
  openPassphraseSecretsManager,
  PASSPHRASE_TYPE,
  readPassphrase,
  type Env,
} from "./passphrase.js";

export const SERVICE_TYPE = "service";
export const BASE64_TYPE = "b64";

/** The secrets-related keys of `Pulumi.<stack>.yaml`, spelled as in the file. */
export interface StackSecretsSettings {
  secretsprovider?: string;
  encryptionsalt?: string;
  encryptedkey?: string;
}

/** `secrets_providers` of a checkpoint. */
export interface SecretsProviderState {
  type: string;
  state?: unknown;
}

export type ServiceSecretsManagerFactory = () => SecretsManager | Promise<SecretsManager>;

export interface SecretsFactoryOptions {
  env?: Env;
  cwd?: string;
  /** What a stack without any provider information gets: "passphrase" on DIY, "service" on a service backend. */
  defaultProvider: "passphrase" | "service";
  /** Builds the service secrets manager; absent on backends without one. */
  service?: ServiceSecretsManagerFactory;
  /** The latest checkpoint's providers, used when the settings carry no provider information (e.g. a lost config file). */
  stateProviders?: SecretsProviderState;
}

export interface StackSecretsResult {
  manager: SecretsManager;
  /** The settings to persist; equal to the input unless `changed`. */
  settings: StackSecretsSettings;
  /** True when a new salt was created or provider info was recovered, so the caller must save the stack file. */
  changed: boolean;
}

/** Pulumi's cloud KMS providers; recognised so the error says what is missing rather than "unknown". */
const CLOUD_PROVIDER_SCHEMES = ["awskms://", "azurekeyvault://", "gcpkms://", "hashivault://", "base64key://"];

/** Validates `stack init --secrets-provider`. */
export function validateSecretsProvider(provider: string | undefined): void {
  if (provider === undefined || provider === "" || provider === "default" || provider === PASSPHRASE_TYPE || provider === SERVICE_TYPE) {
    return;
  }
  if (CLOUD_PROVIDER_SCHEMES.some((s) => provider.startsWith(s))) {
    throw new Error(`secrets provider '${provider}' is not supported by Stackyard yet; use 'passphrase' or 'default'`);
  }
  throw new Error(
    `unknown secrets provider type '${provider}' (supported values: default, passphrase, awskms, azurekeyvault, gcpkms, hashivault)`,
  );
}

/** Which kind of manager the settings call for, or undefined when they say nothing. */
export function providerKindFromSettings(settings: StackSecretsSettings): "passphrase" | "service" | "default" | undefined {
  const provider = settings.secretsprovider;
  if (provider === PASSPHRASE_TYPE) return "passphrase";
  if (provider === SERVICE_TYPE) return "service";
  if (provider === "default") return "default";
  if (provider) {
    validateSecretsProvider(provider);
    throw new Error(`unsupported secrets provider '${provider}'`);
  }
  if (settings.encryptionsalt) return "passphrase";
  return undefined;
}

function requireService(options: { service?: ServiceSecretsManagerFactory }): ServiceSecretsManagerFactory {
  if (!options.service) throw new Error("the service secrets provider is only available when logged in to a Stackyard service backend");
  return options.service;
}

/**
 * The manager for a stack's config and state. Creates a passphrase salt when the stack has none
 * (first secret of a stack, or `stack init`), reporting `changed` so the caller saves the settings.
 */
export async function secretsManagerForStack(settings: StackSecretsSettings, options: SecretsFactoryOptions): Promise<StackSecretsResult> {
  let kind = providerKindFromSettings(settings);
  if (kind === undefined && options.stateProviders) {
    const recovered = await secretsManagerFromState(options.stateProviders, { ...options, onIncorrectPassphrase: "error" });
    if (recovered.type === PASSPHRASE_TYPE) {
      const salt = (recovered.state as { salt?: string }).salt;
      return { manager: recovered, settings: { ...settings, encryptionsalt: salt }, changed: true };
    }
    return { manager: recovered, settings, changed: false };
  }
  if (kind === undefined || kind === "default") kind = options.defaultProvider;

  if (kind === "service") {
    const manager = await requireService(options)();
    const next: StackSecretsSettings = { ...settings };
    delete next.encryptionsalt;
    delete next.encryptedkey;
    const changed = settings.encryptionsalt !== undefined || settings.encryptedkey !== undefined;
    return { manager, settings: next, changed };
  }

  // Passphrase stacks keep only the salt, like Pulumi (which drops secretsprovider/encryptedkey).
  const next: StackSecretsSettings = { ...settings };
  delete next.secretsprovider;
  delete next.encryptedkey;
  if (settings.encryptionsalt) {
    const manager = await openPassphraseSecretsManager(settings.encryptionsalt, { env: options.env, cwd: options.cwd, onIncorrect: "error" });
    return { manager, settings: next, changed: settings.secretsprovider !== undefined || settings.encryptedkey !== undefined };
  }
  const manager = await createPassphraseState(await readPassphrase(options.env, options.cwd));
  next.encryptionsalt = manager.saltState;
  return { manager, settings: next, changed: true };
}

/**
 * The manager named by a checkpoint's `secrets_providers` (export/import, outputs, the engine's
 * base state). A wrong passphrase yields a locked manager by default, as in Pulumi, so state that
 * needs no decryption still round-trips.
 */
export async function secretsManagerFromState(
  providers: SecretsProviderState,
  options: Omit<SecretsFactoryOptions, "defaultProvider" | "stateProviders"> & { onIncorrectPassphrase?: "error" | "locked" },
): Promise<SecretsManager> {
  switch (providers.type) {
    case PASSPHRASE_TYPE: {
      const salt = (providers.state as { salt?: unknown } | undefined)?.salt;
      if (typeof salt !== "string" || salt === "") throw new Error("passphrase secrets provider state is missing its salt");
      return openPassphraseSecretsManager(salt, { env: options.env, cwd: options.cwd, onIncorrect: options.onIncorrectPassphrase ?? "locked" });
    }
    case SERVICE_TYPE:
      return requireService(options)();
    case BASE64_TYPE:
      return new Base64SecretsManager();
    default:
      throw new Error(`unknown secrets provider type '${providers.type}'`);
  }
}

/** Pulumi's test-only "b64" provider: state files produced by its test suites use it. */
export class Base64SecretsManager implements SecretsManager {
  readonly type = BASE64_TYPE;
  readonly state = {};
  async encrypt(plaintexts: string[]): Promise<string[]> {
    return plaintexts.map((p) => Buffer.from(p, "utf8").toString("base64"));
  }
  async decrypt(ciphertexts: string[]): Promise<string[]> {
    return ciphertexts.map((c) => Buffer.from(c, "base64").toString("utf8"));
  }
}
