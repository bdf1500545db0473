/**
 * From stored config to what people and programs see: project-level defaults merged in,
 * secrets decrypted in one batch, the engine's ConfigMap, and `config --json` entries.
 */
import type { ConfigMap, SecretsManager } from "@stackyard/engine/api";
import { parseKey } from "./config-key.js";
import { collectCiphertexts, configGet, configSet, fromWire, goJson, objectToValue, plainValue, valueText, type ConfigValue, type StackConfig } from "./config-value.js";
import { valueMatchesType, fullTypeName, type Project } from "./project.js";

function projectConfigKey(projectName: string, key: string): string {
  return key.includes(":") ? parseKey(key) : `${projectName}:${key}`;
}

/** Go's createConfigValue: scalars as text, anything else as an object value. */
function projectDefaultValue(raw: unknown): ConfigValue {
  if (typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean") return plainValue(String(raw));
  return objectToValue(fromWire(raw));
}

/**
 * A copy of `stackConfig` with project-level `default`/`value`s filled in where the stack has no
 * value, plus the project keys that have neither (Pulumi's mergeConfig, without ESC environments).
 */
export function applyProjectConfig(project: Project, stackConfig: StackConfig): { config: StackConfig; missing: string[] } {
  const config: StackConfig = new Map(stackConfig);
  const missing: string[] = [];
  for (const projectKey of Object.keys(project.config).sort()) {
    const t = project.config[projectKey]!;
    const key = projectConfigKey(project.name, projectKey);
    const found = configGet(config, key, true) !== undefined;
    const hasDefault = t.default !== undefined;
    const hasValue = t.value !== undefined;
    if (!found && !hasValue && !hasDefault && key.startsWith(`${project.name}:`)) {
      missing.push(projectKey);
      continue;
    }
    if (!found && (hasValue || hasDefault)) configSet(config, key, projectDefaultValue(hasDefault ? t.default : t.value), true);
  }
  return { config, missing };
}

function formatMissingKeys(keys: string[]): string {
  if (keys.length === 1) return `'${keys[0]}'`;
  const sorted = [...keys].sort();
  return sorted.map((k, i) => (i === sorted.length - 1 ? `and '${k}'` : i === sorted.length - 2 ? `'${k}' ` : `'${k}', `)).join("");
}

export function missingConfigError(stackName: string, missing: string[]): Error {
  return new Error(`Stack '${stackName}' is missing configuration ${missing.length > 1 ? "values" : "value"} ${formatMissingKeys(missing)}`);
}

/** Decrypts every ciphertext in `config` with one `decrypt` call; ciphertext → plaintext. */
export async function decryptAll(config: Iterable<ConfigValue>, secrets: SecretsManager | undefined): Promise<Map<string, string>> {
  const cts = [...new Set([...config].flatMap(collectCiphertexts))];
  const out = new Map<string, string>();
  if (cts.length === 0) return out;
  if (!secrets) throw new Error("a secrets manager is required to decrypt configuration values");
  const pts = await secrets.decrypt(cts);
  cts.forEach((ct, i) => out.set(ct, pts[i]!));
  return out;
}

export function hasSecureValue(config: StackConfig): boolean {
  for (const v of config.values()) if (v.secure) return true;
  return false;
}

/** Plaintext text of each key; `blind` shows "[secret]" for every secret leaf instead. */
export function configTexts(config: StackConfig, plaintexts: Map<string, string> | "blind"): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of config) {
    out.set(k, valueText(v, (ct) => (plaintexts === "blind" ? "[secret]" : (plaintexts.get(ct) ?? "[secret]"))));
  }
  return out;
}

/** Validates explicitly typed project config, like Pulumi does before running a program. */
function validateTypes(stackName: string, project: Project, config: StackConfig, texts: Map<string, string>): void {
  for (const projectKey of Object.keys(project.config).sort()) {
    const t = project.config[projectKey]!;
    if (t.type === undefined) continue;
    const key = projectConfigKey(project.name, projectKey);
    const stored = configGet(config, key, true);
    if (!stored) continue;
    if (t.secret && !stored.secure) {
      throw new Error(`Stack '${stackName}' with configuration key '${projectKey}' must be encrypted as it's secret`);
    }
    const text = texts.get(key) ?? valueText(stored, () => "");
    const content: unknown = stored.object ? JSON.parse(text) : text;
    if (!valueMatchesType(t.type, t.items, content)) {
      throw new Error(`Stack '${stackName}' with configuration key '${projectKey}' must be of type '${fullTypeName(t.type, t.items)}'`);
    }
  }
}

/**
 * The engine's ConfigMap for an operation: project defaults applied, required keys checked,
 * types validated, secrets decrypted (objects as Go JSON text, secret if any leaf is).
 */
export async function buildEngineConfig(
  project: Project,
  stackName: string,
  stackConfig: StackConfig,
  secrets: SecretsManager | undefined,
): Promise<ConfigMap> {
  const { config, missing } = applyProjectConfig(project, stackConfig);
  if (missing.length > 0) throw missingConfigError(stackName, missing);
  const plaintexts = await decryptAll(config.values(), secrets);
  const texts = configTexts(config, plaintexts);
  validateTypes(stackName, project, config, texts);
  const out: ConfigMap = {};
  for (const [key, v] of config) out[key] = { value: texts.get(key)!, secret: v.secure };
  return out;
}

/** One `config --json` / `config get --json` entry (Go's configValueJSON field order). */
export interface ConfigJsonEntry {
  value?: string;
  objectValue?: unknown;
  secret: boolean;
}

export function configJsonEntry(v: ConfigValue, text: string, showSecrets: boolean): ConfigJsonEntry {
  if (v.secure && !showSecrets) return { secret: true };
  if (v.object) return { value: text, objectValue: JSON.parse(text) as unknown, secret: v.secure };
  return { value: text, secret: v.secure };
}

/** `config --json`: keys sorted like Go's map encoding. */
export function configJson(config: StackConfig, texts: Map<string, string>, showSecrets: boolean): Record<string, ConfigJsonEntry> {
  const out: Record<string, ConfigJsonEntry> = {};
  for (const key of [...config.keys()].sort()) out[key] = configJsonEntry(config.get(key)!, texts.get(key)!, showSecrets);
  return out;
}

/** The stored config as recorded in update history (apitype.ConfigValue). */
export function historyConfig(config: StackConfig): Record<string, { string: string; secret: boolean; object: boolean }> {
  const out: Record<string, { string: string; secret: boolean; object: boolean }> = {};
  for (const key of [...config.keys()].sort()) {
    const v = config.get(key)!;
    out[key] = { string: v.value, secret: v.secure, object: v.object };
  }
  return out;
}

export { goJson };
