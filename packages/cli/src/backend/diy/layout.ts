/**
 * Where each piece of a stack lives under `<root>/.pulumi/`, for the project-scoped layout
 * (meta.yaml version 1) and the legacy flat layout (version 0).
 */
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { StackRef } from "../backend.js";
import { DIY_ORGANIZATION, isValidName } from "./names.js";
import { ByteCounter, ensureDir, isDirectory, listDir, readIfExists, writeFileAtomic } from "./fsio.js";

export const BOOKKEEPING_DIR = ".pulumi";
const META_PATH = join(BOOKKEEPING_DIR, "meta.yaml");

export type LayoutVersion = 0 | 1;

export interface StackPaths {
  /** Stack file without extension: `.../stacks/<project>/<stack>`. */
  base: string;
  plain: string;
  gzip: string;
  zstd: string;
  tags: string;
  /** Our write-ahead journal; its extension keeps Pulumi's stack listing from mistaking it for a stack. */
  journal: string;
  historyDir: string;
  backupDir: string;
  lockDir: string;
  /** `checkpoint.stack` as Pulumi writes it. */
  qualifiedName: string;
}

export class Layout {
  constructor(
    readonly root: string,
    readonly version: LayoutVersion,
  ) {}

  get stacksDir(): string {
    return join(this.root, BOOKKEEPING_DIR, "stacks");
  }

  paths(ref: StackRef): StackPaths {
    const bk = join(this.root, BOOKKEEPING_DIR);
    if (this.version === 1) {
      const base = join(bk, "stacks", ref.project, ref.name);
      return {
        base,
        plain: `${base}.json`,
        gzip: `${base}.json.gz`,
        zstd: `${base}.json.zst`,
        tags: `${base}.pulumi-tags`,
        journal: `${base}.journal.jsonl`,
        historyDir: join(bk, "history", ref.project, ref.name),
        backupDir: join(bk, "backups", ref.project, ref.name),
        lockDir: join(bk, "locks", DIY_ORGANIZATION, ref.project, ref.name),
        qualifiedName: `${DIY_ORGANIZATION}/${ref.project}/${ref.name}`,
      };
    }
    const base = join(bk, "stacks", ref.name);
    return {
      base,
      plain: `${base}.json`,
      gzip: `${base}.json.gz`,
      zstd: `${base}.json.zst`,
      tags: `${base}.pulumi-tags`,
      journal: `${base}.journal.jsonl`,
      historyDir: join(bk, "history", ref.name),
      backupDir: join(bk, "backups", ref.name),
      lockDir: join(bk, "locks", ref.name),
      qualifiedName: ref.name,
    };
  }

  /** Every stack file present, as (project, name, file); project is "" in the legacy layout. */
  listStackFiles(): { project: string; name: string }[] {
    const found = new Map<string, { project: string; name: string }>();
    const add = (project: string, file: string) => {
      const name = stackNameOfFile(file);
      if (name !== undefined) found.set(`${project}/${name}`, { project, name });
    };
    if (this.version === 1) {
      for (const project of listDir(this.stacksDir)) {
        const dir = join(this.stacksDir, project);
        if (!isValidName(project) || !isDirectory(dir)) continue;
        for (const file of listDir(dir)) add(project, file);
      }
    } else {
      for (const file of listDir(this.stacksDir)) add("", file);
    }
    return [...found.values()];
  }
}

/** `dev.json` / `dev.json.gz` / `dev.json.zst` → `dev`; anything else (`.bak`, tags, journals, temp files) → undefined. */
export function stackNameOfFile(file: string): string | undefined {
  for (const ext of [".json", ".json.gz", ".json.zst"]) {
    if (file.endsWith(ext)) {
      const name = file.slice(0, -ext.length);
      if (name !== "" && /^[a-zA-Z0-9\-_.]{1,100}$/.test(name)) return name;
    }
  }
  return undefined;
}

/**
 * Reads `.pulumi/meta.yaml`, creating it for a fresh store. An existing store with flat stack files
 * and no meta.yaml stays legacy, so older CLIs keep finding their stacks.
 */
export function ensureMeta(root: string, wantLegacy: boolean, counter: ByteCounter): LayoutVersion {
  const metaFile = join(root, META_PATH);
  const body = readIfExists(metaFile);
  if (body !== undefined) {
    let doc: unknown;
    try {
      doc = parseYaml(body.toString("utf8"));
    } catch (err) {
      throw new Error(`corrupt store: unmarshal "${META_PATH}": ${(err as Error).message}`);
    }
    const version = (doc as { version?: unknown } | null)?.version;
    if (version === undefined || version === null) throw new Error(`corrupt store: missing version in "${META_PATH}"`);
    if (version === 0 || version === 1) return version;
    throw new Error(
      `state store unsupported: 'meta.yaml' version (${String(version)}) is not supported by this version of the Pulumi CLI`,
    );
  }
  const legacyStacks = new Layout(root, 0).listStackFiles();
  const version: LayoutVersion = legacyStacks.length > 0 || wantLegacy ? 0 : 1;
  // Like Pulumi, never write meta.yaml for a legacy store: some buckets only allow .pulumi/stacks/.
  if (version === 1) {
    ensureDir(join(root, BOOKKEEPING_DIR));
    counter.add("other", writeFileAtomic(metaFile, "version: 1\n"));
  }
  return version;
}
