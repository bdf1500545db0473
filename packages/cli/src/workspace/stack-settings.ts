/**
 * Pulumi.<stack>.yaml: secrets provider info, `config` (with `secure:` values and objects) and
 * `environment`; keys this model does not know are kept as they were.
 */
import { extname } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { isMap, parse as parseYaml, parseDocument, stringify as stringifyYaml, type YAMLMap } from "yaml";
import type { StackSecretsSettings } from "@stackyard/engine/secrets/index";
import { parseKey } from "./config-key.js";
import { fromWire, objectToValue, toWire, valueToObject, type ConfigValue, type StackConfig } from "./config-value.js";
import { atomicWriteFile, readFileIfExists, withFileLock } from "./fs-util.js";

export interface StackSettings extends StackSecretsSettings {
  config: StackConfig;
  /** `environment:` as written (imports list or object); only ESC-capable backends use it. */
  environment?: unknown;
  /** Every other top-level key, preserved on save. */
  extra: Record<string, unknown>;
}

const KNOWN_KEYS = new Set(["secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment"]);

export function emptyStackSettings(): StackSettings {
  return { config: new Map(), extra: {} };
}

/**
 * Decodes a settings document (pure). Bare config keys belong to the project, and `ns:config:k`
 * is read as `ns:k`.
 */
export function parseStackSettings(raw: unknown, projectName: string | undefined): StackSettings {
  const settings = emptyStackSettings();
  if (raw === null || raw === undefined) return settings;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error("stack settings must be an object");
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    switch (key) {
      case "secretsprovider":
      case "encryptedkey":
      case "encryptionsalt":
        if (typeof value === "string" && value !== "") settings[key] = value;
        break;
      case "config":
        if (value === null || value === undefined) break;
        if (typeof value !== "object" || Array.isArray(value)) throw new Error("stack 'config' must be an object");
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const full = !k.includes(":") && projectName ? `${projectName}:${k}` : parseKey(k);
          settings.config.set(full, objectToValue(fromWire(v)));
        }
        break;
      case "environment":
        if (value !== null && value !== undefined) settings.environment = value;
        break;
      default:
        settings.extra[key] = value;
    }
  }
  return settings;
}

/** The document to write: Pulumi's key order, config keys sorted, unknown keys after. */
export function stackSettingsDocument(settings: StackSettings): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (settings.secretsprovider) doc["secretsprovider"] = settings.secretsprovider;
  if (settings.encryptedkey) doc["encryptedkey"] = settings.encryptedkey;
  if (settings.encryptionsalt) doc["encryptionsalt"] = settings.encryptionsalt;
  if (settings.config.size > 0) {
    const config: Record<string, unknown> = {};
    for (const key of [...settings.config.keys()].sort()) config[key] = valueToWire(settings.config.get(key)!);
    doc["config"] = config;
  }
  if (settings.environment !== undefined) doc["environment"] = settings.environment;
  for (const [k, v] of Object.entries(settings.extra)) if (!KNOWN_KEYS.has(k)) doc[k] = v;
  return doc;
}

/** Plain values are strings in the file (as Pulumi writes them); typed ones keep their YAML type. */
function valueToWire(v: ConfigValue): unknown {
  return toWire(valueToObject(v));
}

/**
 * The file text. Given the file's current YAML, edits it in place so comments and the order of
 * untouched entries survive (Pulumi makes the same comment-preserving edit).
 */
export function serializeStackSettings(settings: StackSettings, format: "yaml" | "json", original?: string): string {
  const doc = stackSettingsDocument(settings);
  if (format === "json") return `${JSON.stringify(doc, null, 4)}\n`;
  if (Object.keys(doc).length === 0) return "{}\n";
  if (original !== undefined) {
    const edited = editYaml(original, doc);
    if (edited !== undefined) return edited;
  }
  return stringifyYaml(doc, { lineWidth: 0 });
}

function keyText(key: unknown): string {
  return typeof key === "object" && key !== null && "value" in key ? String((key as { value: unknown }).value) : String(key);
}

/** Makes `map` hold exactly `target`, replacing only entries whose value changed. */
function editMap(map: YAMLMap, target: Record<string, unknown>, create: (v: unknown) => unknown, nested: Set<string>): void {
  for (const item of [...map.items]) {
    const k = keyText(item.key);
    if (!Object.hasOwn(target, k)) map.delete(item.key);
  }
  for (const [k, v] of Object.entries(target)) {
    const existing = map.get(k, true) as unknown;
    if (nested.has(k) && isMap(existing) && typeof v === "object" && v !== null && !Array.isArray(v)) {
      editMap(existing, v as Record<string, unknown>, create, new Set());
      continue;
    }
    const current = existing && typeof existing === "object" && "toJSON" in existing ? (existing as { toJSON(): unknown }).toJSON() : existing;
    if (existing === undefined || !isDeepStrictEqual(current, v)) map.set(k, create(v));
  }
}

function editYaml(original: string, doc: Record<string, unknown>): string | undefined {
  let parsed;
  try {
    parsed = parseDocument(original);
  } catch {
    return undefined;
  }
  if (parsed.errors.length > 0 || !isMap(parsed.contents)) return undefined;
  editMap(parsed.contents, doc, (v) => parsed.createNode(v), new Set(["config"]));
  return parsed.toString({ lineWidth: 0 });
}

function formatOf(path: string): "yaml" | "json" {
  return extname(path) === ".json" ? "json" : "yaml";
}

export async function loadStackSettings(path: string, projectName: string | undefined): Promise<StackSettings> {
  const text = await readFileIfExists(path);
  if (text === undefined) return emptyStackSettings();
  let raw: unknown;
  try {
    raw = formatOf(path) === "json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(`could not parse ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseStackSettings(raw, projectName);
  } catch (err) {
    throw new Error(`could not read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function saveStackSettings(path: string, settings: StackSettings): Promise<void> {
  const format = formatOf(path);
  const original = format === "yaml" ? await readFileIfExists(path) : undefined;
  await atomicWriteFile(path, serializeStackSettings(settings, format, original));
}

/**
 * Load → change → save under the file's lock, so two processes editing the same stack's config
 * (e.g. parallel `config set`) both land.
 */
export async function updateStackSettings<T>(
  path: string,
  projectName: string | undefined,
  change: (settings: StackSettings) => Promise<T> | T,
): Promise<T> {
  return withFileLock(path, async () => {
    const settings = await loadStackSettings(path, projectName);
    const result = await change(settings);
    await saveStackSettings(path, settings);
    return result;
  });
}
