/** The DIY (`file://`) backend: Pulumi's on-disk layout, readable and writable by either CLI. */
import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { UntypedDeployment, UpdateInfo, UpdateKind } from "@stackyard/protocol";
import {
  type Backend,
  type StackRef,
  type StackSummary,
  type UpdateMetadata,
  type UserInfo,
  StackAlreadyExistsError,
  StackNotFoundError,
} from "../backend.js";
import { DiyStore } from "./store.js";
import { DiyUpdateSession } from "./session.js";
import type { StackPaths } from "./layout.js";
import { acquireLock, currentUserName, deleteAllLocks, releaseLock } from "./locks.js";
import { checkSchemaVersion, currentStackFile, makeCheckpoint, toUntyped } from "./checkpoint-file.js";
import { listHistory, listHistoryCheckpoints, readHistory } from "./history.js";
import { deleteTags, loadTags, PROJECT_TAG, saveTags, withSystemTags } from "./tags.js";
import { renameDeployment, parseUrn } from "./rename.js";
import { DIY_ORGANIZATION, parseDiyStackRef, validateProjectName, validateStackName } from "./names.js";
import { ensureDir, listDir, readIfExists, removeIfExists, writeFileAtomic } from "./fsio.js";

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** Rename's own wording ("a stack named … already exists"), still a StackAlreadyExistsError. */
class RenameTargetExistsError extends StackAlreadyExistsError {
  constructor(stackName: string) {
    super(stackName);
    this.message = `a stack named ${stackName} already exists`;
  }
}

export class DiyBackend implements Backend {
  readonly kind = "diy" as const;

  constructor(
    readonly url: string,
    private readonly store: DiyStore,
  ) {}

  /** Everything this backend instance has written, in bytes. */
  get bytesWritten(): number {
    return this.store.counter.total;
  }

  get root(): string {
    return this.store.layout.root;
  }

  get layoutVersion(): 0 | 1 {
    return this.store.layout.version;
  }

  parseStackRef(text: string, currentProject: string | undefined): StackRef {
    if (this.store.layout.version === 1) return parseDiyStackRef(text, currentProject);
    // The legacy layout has no project directories; accept the qualified forms but key by name only.
    const parts = text.split("/");
    const name = parts[parts.length - 1] ?? "";
    validateStackName(name);
    const project = parts.length === 3 ? parts[1]! : currentProject ?? "";
    return { organization: DIY_ORGANIZATION, project, name };
  }

  async currentUser(): Promise<UserInfo> {
    return { user: currentUserName(), organizations: [], url: this.url };
  }

  /** Refs may be built by callers without parseStackRef; they become paths, so check them here. */
  private paths(ref: StackRef): StackPaths {
    if (ref.organization !== DIY_ORGANIZATION) throw new Error("organization name must be 'organization'");
    validateStackName(ref.name);
    // Both names become directory names; "." and ".." pass Pulumi's character rules but would escape.
    if (ref.name === "." || ref.name === "..") throw new Error(`invalid stack name '${ref.name}'`);
    if (ref.project === "." || ref.project === "..") {
      throw new Error("project names may only contain alphanumerics, hyphens, underscores, and periods");
    }
    if (this.store.layout.version === 1) {
      if (ref.project === "") throw new Error("bad stack reference, project was not set");
      validateProjectName(ref.project);
    }
    return this.store.paths(ref);
  }

  private requireStack(paths: StackPaths) {
    const loaded = this.store.load(paths);
    if (loaded === undefined) throw new StackNotFoundError(paths.qualifiedName);
    return loaded;
  }

  private withLock<T>(paths: StackPaths, body: () => T): T {
    const lock = acquireLock(this.store.lockCtx, paths.lockDir);
    try {
      return body();
    } finally {
      releaseLock(lock);
    }
  }

  async createStack(ref: StackRef, options: { tags?: Record<string, string>; initialState?: UntypedDeployment }): Promise<void> {
    const paths = this.paths(ref);
    const initial = options.initialState;
    if (initial) checkSchemaVersion(initial.version, initial.features, ref.name);
    this.withLock(paths, () => {
      if (currentStackFile(paths) !== undefined) throw new StackAlreadyExistsError(paths.qualifiedName);
      const checkpoint = initial
        ? makeCheckpoint(paths.qualifiedName, initial.version, initial.version >= 4 ? initial.features : undefined, initial.deployment)
        : makeCheckpoint(paths.qualifiedName, 3, undefined, undefined);
      this.store.writeStack(paths, checkpoint);
      if (options.tags && Object.keys(options.tags).length > 0) saveTags(paths.tags, options.tags, this.store.counter);
    });
  }

  async getStack(ref: StackRef): Promise<StackSummary | undefined> {
    const paths = this.paths(ref);
    this.store.recoverIfAbandoned(paths);
    const loaded = this.store.load(paths);
    return loaded === undefined ? undefined : summarize(ref, loaded.file.checkpoint.latest);
  }

  async listStacks(filter: {
    project?: string;
    organization?: string;
    tag?: { name: string; value?: string };
  }): Promise<StackSummary[]> {
    const out: StackSummary[] = [];
    const files = this.store.layout
      .listStackFiles()
      .sort((a, b) => (a.project === b.project ? cmp(a.name, b.name) : cmp(a.project, b.project)));
    for (const f of files) {
      // Legacy stacks carry no project in their path; a project filter cannot exclude them (as in Pulumi).
      if (filter.project !== undefined && f.project !== "" && f.project !== filter.project) continue;
      let ref: StackRef = { organization: DIY_ORGANIZATION, project: f.project, name: f.name };
      const paths = this.paths(ref);
      this.store.recoverIfAbandoned(paths);
      let loaded;
      try {
        loaded = this.store.load(paths);
      } catch {
        continue;
      }
      if (loaded === undefined) continue;
      if (f.project === "") ref = { ...ref, project: guessProject(loaded.file.checkpoint.latest?.resources) };
      if (filter.tag) {
        const tags = withSystemTags(loadTags(paths.tags), ref.project);
        const value = tags[filter.tag.name];
        if (value === undefined) continue;
        if (filter.tag.value !== undefined && value !== filter.tag.value) continue;
      }
      out.push(summarize(ref, loaded.file.checkpoint.latest));
    }
    return out;
  }

  async removeStack(ref: StackRef, force: boolean): Promise<void> {
    const paths = this.paths(ref);
    this.withLock(paths, () => {
      this.store.recoverJournal(paths);
      const loaded = this.requireStack(paths);
      const resources = loaded.file.checkpoint.latest?.resources ?? [];
      // A stack holding only its root Stack resource may go without --force, as the service allows.
      if (!force && resources.length > 0 && (resources.length > 1 || resources[0]!.type !== ROOT_STACK_TYPE)) {
        throw new Error("refusing to remove stack because it still contains resources");
      }
      moveToBak(loaded.path, loaded.bytes, this.store);
      for (const p of [paths.plain, paths.gzip, paths.zstd]) removeIfExists(p);
      deleteTags(paths.tags);
      removeIfExists(paths.journal);
      rmSync(paths.historyDir, { recursive: true, force: true });
    });
  }

  async renameStack(ref: StackRef, newRef: StackRef): Promise<void> {
    const paths = this.paths(ref);
    const newPaths = this.paths(newRef);
    this.withLock(paths, () => {
      this.store.recoverJournal(paths);
      const loaded = this.requireStack(paths);
      if (currentStackFile(newPaths) !== undefined) throw new RenameTargetExistsError(newPaths.qualifiedName);
      const file = loaded.file;
      const latest = file.checkpoint.latest;
      const renamed = latest
        ? renameDeployment(latest, newRef.name, newRef.project === "" ? undefined : newRef.project)
        : undefined;
      this.store.writeStack(newPaths, makeCheckpoint(newPaths.qualifiedName, file.version, file.features, renamed));
      moveToBak(loaded.path, loaded.bytes, this.store);
      for (const p of [paths.plain, paths.gzip, paths.zstd]) removeIfExists(p);
      this.moveHistory(paths, ref.name, newPaths, newRef.name);
      this.moveTags(paths, ref, newPaths, newRef);
    });
  }

  private moveHistory(from: StackPaths, oldName: string, to: StackPaths, newName: string): void {
    const files = [...listHistory(from.historyDir, oldName), ...listHistoryCheckpoints(from.historyDir, oldName)];
    if (files.length === 0) return;
    ensureDir(to.historyDir);
    for (const h of files) {
      const bytes = readIfExists(join(from.historyDir, h.file));
      if (bytes === undefined) continue;
      // Only the `<stack>` prefix changes; `-<unixnano>.<kind>.json[.gz]` is kept.
      const suffix = h.file.slice(oldName.length);
      this.store.counter.add("history", writeFileAtomic(join(to.historyDir, `${newName}${suffix}`), bytes));
      removeIfExists(join(from.historyDir, h.file));
    }
    if (listDir(from.historyDir).length === 0) rmSync(from.historyDir, { recursive: true, force: true });
  }

  private moveTags(from: StackPaths, ref: StackRef, to: StackPaths, newRef: StackRef): void {
    if (readIfExists(from.tags) === undefined) return;
    const tags = loadTags(from.tags);
    if (tags[PROJECT_TAG] === ref.project && newRef.project !== "") tags[PROJECT_TAG] = newRef.project;
    saveTags(to.tags, tags, this.store.counter);
    deleteTags(from.tags);
  }

  async getTags(ref: StackRef): Promise<Record<string, string>> {
    const paths = this.paths(ref);
    this.requireStack(paths);
    return withSystemTags(loadTags(paths.tags), ref.project);
  }

  async setTags(ref: StackRef, tags: Record<string, string>): Promise<void> {
    const paths = this.paths(ref);
    this.requireStack(paths);
    saveTags(paths.tags, tags, this.store.counter);
  }

  async exportDeployment(ref: StackRef, version?: number): Promise<UntypedDeployment> {
    const paths = this.paths(ref);
    this.store.recoverIfAbandoned(paths);
    const loaded = this.requireStack(paths);
    if (version === undefined) return toUntyped(loaded.file);
    // Pulumi's DIY backend is not a SpecificDeploymentExporter; `stack export --version` says so,
    // naming the backend by its Name(), which for DIY is the host name.
    throw new Error(`the current backend (${hostname() || "diy"}) does not provide the ability to export previous deployments`);
  }

  async importDeployment(ref: StackRef, deployment: UntypedDeployment): Promise<void> {
    const paths = this.paths(ref);
    this.withLock(paths, () => {
      this.store.recoverJournal(paths);
      this.requireStack(paths);
      checkSchemaVersion(deployment.version, deployment.features, ref.name);
      const features = deployment.version >= 4 ? deployment.features : undefined;
      this.store.writeStack(
        paths,
        makeCheckpoint(paths.qualifiedName, deployment.version, features, deployment.deployment),
        { backUpOld: true },
      );
    });
  }

  async history(ref: StackRef, pageSize?: number, page?: number): Promise<UpdateInfo[]> {
    const paths = this.paths(ref);
    this.requireStack(paths);
    return readHistory(paths.historyDir, ref.name, pageSize, page);
  }

  async beginUpdate(ref: StackRef, kind: UpdateKind, metadata: UpdateMetadata): Promise<DiyUpdateSession> {
    const paths = this.paths(ref);
    const lock = acquireLock(this.store.lockCtx, paths.lockDir);
    try {
      // Holding the lock means no live update owns a journal that may be lying here.
      this.store.recoverJournal(paths);
      const loaded = this.requireStack(paths);
      return new DiyUpdateSession(this.store, paths, ref.name, lock, loaded, kind, metadata);
    } catch (err) {
      releaseLock(lock);
      throw err;
    }
  }

  async cancelUpdate(ref: StackRef): Promise<void> {
    deleteAllLocks(this.paths(ref).lockDir);
  }
}

function moveToBak(path: string, bytes: Buffer, store: DiyStore): void {
  store.counter.add("backup", writeFileAtomic(`${path}.bak`, bytes));
  removeIfExists(path);
}

function summarize(ref: StackRef, latest: { manifest?: { time?: string }; resources?: unknown[] } | undefined): StackSummary {
  const summary: StackSummary = { ref };
  if (latest) {
    // Like Pulumi, "last update" is the checkpoint's manifest time; Go's zero time means never.
    const t = latest.manifest?.time ? Date.parse(latest.manifest.time) : NaN;
    if (Number.isFinite(t) && t > 0) summary.lastUpdate = Math.floor(t / 1000);
    summary.resourceCount = latest.resources?.length ?? 0;
  }
  return summary;
}

function guessProject(resources: { urn: string }[] | undefined): string {
  for (const r of resources ?? []) {
    const u = parseUrn(r.urn);
    if (u) return u.project;
  }
  return "";
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
