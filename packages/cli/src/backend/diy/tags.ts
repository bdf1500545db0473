/** `<stack>.pulumi-tags`: `{"version":1,"tags":{…}}`, indented like Pulumi's json.MarshalIndent. */
import { ByteCounter, readIfExists, removeIfExists, writeFileAtomic } from "./fsio.js";

const TAGS_VERSION = 1;
export const PROJECT_TAG = "pulumi:project";

export function loadTags(path: string): Record<string, string> {
  const bytes = readIfExists(path);
  if (bytes === undefined) return {};
  let parsed: { version?: unknown; tags?: Record<string, string> | null };
  try {
    parsed = JSON.parse(bytes.toString("utf8")) as typeof parsed;
  } catch (err) {
    throw new Error(`failed to unmarshal stack tags: ${(err as Error).message}`);
  }
  if (parsed.version !== TAGS_VERSION) {
    throw new Error(`unsupported stack tags version: ${String(parsed.version)} (expected ${TAGS_VERSION})`);
  }
  return { ...(parsed.tags ?? {}) };
}

/** System tags are filled in only where the user has not set them. */
export function withSystemTags(tags: Record<string, string>, project: string): Record<string, string> {
  const out = { ...tags };
  if (project !== "" && out[PROJECT_TAG] === undefined) out[PROJECT_TAG] = project;
  return out;
}

export function saveTags(path: string, tags: Record<string, string>, counter: ByteCounter): void {
  // Go marshals maps with sorted keys.
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(tags).sort()) sorted[k] = tags[k]!;
  counter.add("other", writeFileAtomic(path, JSON.stringify({ version: TAGS_VERSION, tags: sorted }, null, 4)));
}

export function deleteTags(path: string): void {
  removeIfExists(path);
}
