/** Fixtures for the DIY backend tests: temp stores and synthetic journals shaped like the engine's. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JournalEntry, ResourceV3 } from "@stackyard/protocol";
import { JournalEntryKind } from "@stackyard/protocol";
import type { StackRef, UpdateMetadata } from "../backend.js";
import { openDiyBackend, type DiyBackend, type DiyBackendOptions } from "./index.js";

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "stackyard-diy-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function openTemp(
  t: { after(fn: () => void): void },
  options: DiyBackendOptions = {},
): Promise<{ dir: string; backend: DiyBackend }> {
  const dir = tempDir(t);
  const backend = await openDiyBackend(`file://${dir}`, { env: {}, ...options });
  return { dir, backend };
}

export function ref(project: string, name: string): StackRef {
  return { organization: "organization", project, name };
}

export const META: UpdateMetadata = { message: "test", environment: { "exec.kind": "cli" }, config: {} };

export function stackUrn(project: string, stack: string): string {
  return `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
}

export function resource(project: string, stack: string, i: number, padding = 0): ResourceV3 {
  return {
    urn: `urn:pulumi:${stack}::${project}::test:index:Thing::thing-${i}`,
    custom: true,
    id: `id-${i}`,
    type: "test:index:Thing",
    inputs: { index: i, label: `thing number ${i}`, pad: "x".repeat(padding) },
    outputs: { index: i, label: `thing number ${i}`, pad: "x".repeat(padding), arn: `arn:test:${i}` },
    parent: stackUrn(project, stack),
    dependencies: i > 0 ? [`urn:pulumi:${stack}::${project}::test:index:Thing::thing-${i - 1}`] : [],
  };
}

/** Begin/Success pairs creating `count` resources, as the engine journals a fresh `up`. */
export function createEntries(project: string, stack: string, count: number, padding = 0): JournalEntry[] {
  const entries: JournalEntry[] = [];
  let seq = 1;
  for (let i = 0; i < count; i++) {
    const r = resource(project, stack, i, padding);
    entries.push({
      version: 1,
      kind: JournalEntryKind.Begin,
      sequenceID: seq++,
      operationID: i + 1,
      removeOld: null,
      removeNew: null,
      operation: { resource: { ...r, outputs: undefined }, type: "creating" },
    });
    entries.push({
      version: 1,
      kind: JournalEntryKind.Success,
      sequenceID: seq++,
      operationID: i + 1,
      removeOld: null,
      removeNew: null,
      state: r,
    });
  }
  return entries;
}
