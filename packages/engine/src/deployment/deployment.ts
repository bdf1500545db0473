/**
 * One operation on one stack. The program's registrations arrive through the monitor; each becomes
 * a planned step (planning/) which the executor applies (execution/), recording every state change
 * in the journal (state/). Deletes, refreshes and destroys reuse the same executor.
 */
import { randomUUID } from "node:crypto";
import type { EngineEventBody, ResourceChanges, ResourceV3, StepOp as WireStepOp } from "@stackyard/protocol";
import { UNKNOWN_VALUE } from "@stackyard/protocol";
import type { OperationRequest } from "../api.js";
import type { InvokeGoal, LogSeverity, MonitorHandler, ReadGoal, RegistrationResult } from "../program/monitor.js";
import { aliasUrn, emptyGoal, type RegistrationGoal } from "../program/registration.js";
import { ProviderRegistry, configureVariables } from "../providers/registry.js";
import type { Provider } from "../providers/provider.js";
import { ResourceInitError } from "../providers/provider-client.js";
import { applyIgnoreChanges, decideComponent, decideDiff, type DiffOutcome } from "../planning/decide.js";
import type { OldResource, Step } from "../planning/steps.js";
import { deleteWaves } from "../planning/delete-schedule.js";
import { ExclusionTracker, keptByExcludes, urnMatcher, type UrnMatcher } from "../planning/selection.js";
import { Limiter } from "../execution/limiter.js";
import { randomSeed } from "../execution/random-seed.js";
import { diagnostic, failedEvent, outputsEvent, preEvent, type StepDescription } from "../execution/step-events.js";
import { JournalWriter } from "../state/journal-writer.js";
import type { StateCodec } from "../state/codec.js";
import { OldState } from "./old-state.js";
import {
  containsUnknowns,
  deepEqual,
  markSecretOutputs,
  remarkSecretOutputs,
  resolveOutputValues,
  type PropertyObject,
} from "../properties/values.js";
import {
  formatProviderReference,
  isProviderType,
  makeUrn,
  parentTypeForChildren,
  parseProviderReference,
  STACK_TYPE,
  typePackage,
  urnName,
  urnQualifiedType,
} from "../urn.js";
import { providerPb, toStruct } from "../rpc/proto.js";
import type { resourcePb } from "../rpc/proto.js";
import { diffInputs } from "../properties/diff.js";
import { parallelOf, programConfig } from "../program/program-host.js";

interface NewResource {
  urn: string;
  goal?: RegistrationGoal;
  state?: ResourceV3;
  /** Journal operation that recorded `state` (for later Outputs entries). */
  operationId?: number;
  op?: WireStepOp;
  /** This deployment's alias URNs for the resource (children inherit them). */
  aliases: string[];
  done: Promise<void>;
}

export class StepFailure extends Error {}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function isDefaultProviderUrn(urn: string): boolean {
  return isProviderType(urnQualifiedType(urn)) && urnName(urn).startsWith("default");
}

export class Deployment implements MonitorHandler {
  readonly news = new Map<string, NewResource>();
  readonly changes: ResourceChanges = {};
  readonly limiter: Limiter;
  readonly writer: JournalWriter;
  registry!: ProviderRegistry;
  rootUrn = "";
  stackOutputs: PropertyObject | undefined;
  failed = false;
  programErrorLogged = false;
  private readonly defaultProviders = new Map<string, Promise<string>>();
  /** Versions for default providers of resources that name none (see `defaultProviderVersions`). */
  defaultVersions: Promise<Map<string, string>> = Promise.resolve(new Map());
  private readonly inflight = new Set<Promise<unknown>>();
  readonly shutdownRequested = deferred();
  readonly shutdownComplete = deferred();
  readonly stackUrn: string;

  constructor(
    readonly request: OperationRequest,
    readonly old: OldState,
    readonly codec: StateCodec,
  ) {
    this.limiter = new Limiter(Math.max(1, request.options.parallel ?? 16));
    this.writer = new JournalWriter(request.dryRun ? undefined : request.journal, codec);
    const { project, stack } = request.identity;
    this.stackUrn = makeUrn(stack, project, undefined, STACK_TYPE, `${project}-${stack}`);
  }

  get dryRun(): boolean {
    return this.request.dryRun;
  }

  emit(event: EngineEventBody): void {
    this.request.onEvent(event);
  }

  count(op: WireStepOp, urn: string): void {
    if (isDefaultProviderUrn(urn)) return;
    this.changes[op] = (this.changes[op] ?? 0) + 1;
  }

  /** Tracks an RPC-driven task so the end of the program can wait for stragglers. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const remove = () => this.inflight.delete(p);
    p.then(remove, remove);
    return p;
  }

  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // ---- MonitorHandler -------------------------------------------------------------------------

  deploymentInfo() {
    const { identity } = this.request;
    return {
      project: identity.project,
      stack: identity.stack,
      organization: identity.organization,
      ...programConfig(this.request.config),
      dryRun: this.dryRun,
      parallel: parallelOf(this.request.options),
    };
  }

  setRootResource(urn: string): void {
    this.rootUrn = urn;
  }

  getRootResource(): string {
    return this.rootUrn;
  }

  log(severity: LogSeverity, message: string, urn: string): void {
    if (severity === "error") this.programErrorLogged = true;
    if (severity === "debug") return;
    this.emit(diagnostic(severity, message, urn || undefined));
  }

  async signalAndWaitForShutdown(): Promise<void> {
    this.shutdownRequested.resolve();
    await this.shutdownComplete.promise;
  }

  registerResource(goal: RegistrationGoal): Promise<RegistrationResult> {
    return this.track(this.register(goal));
  }

  private async register(goal: RegistrationGoal): Promise<RegistrationResult> {
    const { project, stack } = this.request.identity;
    const parent = goal.parent ? this.news.get(goal.parent) : undefined;
    // `pulumi import` may parent new resources under ones it leaves untouched in state.
    const parentInState = this.request.kind === "import" && this.old.get(goal.parent) !== undefined;
    if (goal.parent && !parent && goal.parent !== this.stackUrn && !parentInState) {
      throw new Error(`could not find parent resource ${goal.parent}`);
    }
    const urn = makeUrn(stack, project, parentTypeForChildren(goal.parent || undefined), goal.type, goal.name);
    if (this.news.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
    const finished = deferred();
    const entry: NewResource = { urn, goal, aliases: [], done: finished.promise };
    this.news.set(urn, entry);
    try {
      if (this.failed && !this.request.options.continueOnError) {
        return { urn, id: "", outputs: {}, failed: true };
      }
      this.inheritFromParent(goal, parent?.goal);
      entry.aliases = this.aliasUrns(goal, parent);
      if (goal.remote) return await this.construct(goal, urn);
      if (isProviderType(goal.type)) return await this.registerProvider(entry, goal, false);
      return await this.registerOrdinary(entry, goal);
    } catch (err) {
      if (err instanceof StepFailure) return { urn, id: "", outputs: {}, failed: true };
      throw err;
    } finally {
      finished.resolve();
    }
  }

  private inheritFromParent(goal: RegistrationGoal, parent: RegistrationGoal | undefined): void {
    if (!parent) return;
    if (goal.protect === undefined && parent.protect !== undefined) goal.protect = parent.protect;
    if (goal.retainOnDelete === undefined && parent.retainOnDelete !== undefined) goal.retainOnDelete = parent.retainOnDelete;
    if (!goal.deletedWith && parent.deletedWith) goal.deletedWith = parent.deletedWith;
    for (const [pkg, ref] of Object.entries(parent.providers)) if (!(pkg in goal.providers)) goal.providers[pkg] = ref;
    if (!goal.provider && parent.provider && (goal.custom || goal.remote)) {
      const parentPkg = typePackage(urnQualifiedType(parseProviderReference(parent.provider).urn));
      if (parentPkg === typePackage(goal.type)) goal.provider = parent.provider;
    }
  }

  private aliasUrns(goal: RegistrationGoal, parent: NewResource | undefined): string[] {
    const { project, stack } = this.request.identity;
    const self = { stack, project, type: goal.type, name: goal.name, parent: goal.parent };
    const out = goal.aliases.map((a) => aliasUrn(a, self));
    // Children follow their parent's aliases: the URN they would have had under each old parent URN.
    for (const parentAlias of parent?.aliases ?? []) {
      out.push(makeUrn(stack, project, parentTypeForChildren(parentAlias), goal.type, goal.name));
    }
    return out;
  }

  // ---- providers ------------------------------------------------------------------------------

  /** The provider reference a custom resource, read or invoke uses. */
  async providerRefFor(type: string, explicit: string, providers: Record<string, string>, version: string, downloadURL: string): Promise<string> {
    if (explicit) return explicit;
    const pkg = typePackage(type);
    if (providers[pkg]) return providers[pkg]!;
    return this.ensureDefaultProvider(pkg, version || ((await this.defaultVersions).get(pkg) ?? ""), downloadURL);
  }

  async providerFor(ref: string): Promise<Provider> {
    const existing = this.registry.get(ref);
    if (existing) return existing;
    const { urn } = parseProviderReference(ref);
    const old = this.old.get(urn);
    if (old) return this.providerFromState(old.state);
    throw new Error(`unknown provider '${ref}'`);
  }

  providerFromState(providerState: ResourceV3): Promise<Provider> {
    const ref = formatProviderReference(providerState.urn, providerState.id ?? "");
    return this.registry.fromState(ref, typePackage(providerState.type), providerState.inputs ?? {}, {
      urn: providerState.urn,
      name: urnName(providerState.urn),
      type: providerState.type,
      id: providerState.id ?? "",
    });
  }

  /** Registers (once) the engine-made provider for a package and version. */
  ensureDefaultProvider(pkg: string, version: string, downloadURL: string): Promise<string> {
    const key = `${pkg}\u0000${version}\u0000${downloadURL}`;
    let ref = this.defaultProviders.get(key);
    if (!ref) {
      ref = this.track(this.registerDefaultProvider(pkg, version, downloadURL));
      this.defaultProviders.set(key, ref);
    }
    return ref;
  }

  private async registerDefaultProvider(pkg: string, version: string, downloadURL: string): Promise<string> {
    const { project, stack } = this.request.identity;
    let name = "default";
    if (version) name += `_${version.replace(/^v/, "").replace(/[.\-+]/g, "_")}`;
    if (downloadURL) name += `_${downloadURL.replace(/[^A-Za-z0-9_]/g, "_")}`;
    const type = `pulumi:providers:${pkg}`;
    const urn = makeUrn(stack, project, undefined, type, name);
    const inputs: PropertyObject = {};
    const nodejsDynamic = pkg === "pulumi-nodejs" || pkg === "pulumi-python";
    for (const [key, entry] of Object.entries(this.request.config)) {
      if (nodejsDynamic) inputs[key] = entry.secret ? { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: entry.value } : entry.value;
      else if (key.startsWith(`${pkg}:`)) {
        const k = key.slice(pkg.length + 1);
        inputs[k] = entry.secret ? { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: entry.value } : entry.value;
      }
    }
    if (version) inputs["version"] = version;
    if (downloadURL) inputs["pluginDownloadURL"] = downloadURL;
    const goal: RegistrationGoal = { ...emptyGoal(type, name, "", true), inputs, rawInputs: inputs, version, pluginDownloadURL: downloadURL };
    const finished = deferred();
    const entry: NewResource = { urn, goal, aliases: [], done: finished.promise };
    this.news.set(urn, entry);
    try {
      const result = await this.registerProvider(entry, goal, true);
      if (result.failed) throw new StepFailure(`default provider for ${pkg} failed`);
      return formatProviderReference(result.urn, result.id);
    } finally {
      finished.resolve();
    }
  }

  /** A provider resource: loads the plugin, checks and diffs its config, configures it. */
  private async registerProvider(entry: NewResource, goal: RegistrationGoal, internal: boolean): Promise<RegistrationResult> {
    const { urn } = entry;
    const pkg = typePackage(goal.type);
    const version = typeof goal.inputs["version"] === "string" ? goal.inputs["version"] : undefined;
    const old = this.old.claim(urn, entry.aliases);
    const baseState = this.newState(goal, urn, undefined);
    const describe = (op: WireStepOp, state?: ResourceV3): StepDescription => ({ op, urn, type: goal.type, new: state ?? baseState, ...(old ? { old: old.state } : {}) });
    let provider: Provider;
    let inputs: PropertyObject;
    try {
      provider = await this.registry.load(pkg, version);
      const checked = await provider.checkConfig(urn, goal.name, goal.type, old?.state.inputs ?? {}, goal.inputs);
      if (checked && checked.failures.length > 0) {
        throw new Error(checked.failures.map((f) => `${f.property ? `${f.property}: ` : ""}${f.reason}`).join("; "));
      }
      inputs = checked?.inputs ?? goal.inputs;
    } catch (err) {
      this.failStep(describe("create"), err);
      throw new StepFailure(String(err));
    }
    let op: WireStepOp = "create";
    if (old) {
      const diff = await provider.diffConfig(urn, goal.name, goal.type, old.state.inputs ?? {}, old.state.outputs ?? {}, inputs);
      const changed = diff ? diff.changes === "some" || (diff.changes === "unknown" && !deepEqual(old.state.inputs ?? {}, inputs)) : !deepEqual(old.state.inputs ?? {}, inputs);
      op = changed ? "update" : "same";
    }
    const id = old?.state.id ?? (this.dryRun ? UNKNOWN_VALUE : randomUUID());
    const state = this.newState(goal, urn, old);
    state.id = id;
    state.inputs = inputs;
    state.outputs = inputs;
    const ref = formatProviderReference(urn, id);
    const configured = (async () => {
      if (!containsUnknowns(inputs)) {
        await provider.configure(inputs, configureVariables(pkg, inputs), { urn, name: goal.name, type: goal.type, id });
      }
      return provider;
    })();
    this.registry.register(ref, configured);
    this.emit(preEvent(describe(op, state), this.dryRun));
    try {
      await configured;
    } catch (err) {
      this.failStep(describe(op, state), err);
      throw new StepFailure(String(err));
    }
    await this.recordSuccess(entry, state, op, old);
    this.emit(outputsEvent(describe(op, state), this.dryRun));
    if (!internal) this.count(op, urn);
    return { urn, id, outputs: inputs };
  }

  // ---- ordinary resources ---------------------------------------------------------------------

  /** The state a registration would record, before the provider has said anything. */
  private newState(goal: RegistrationGoal, urn: string, old: OldResource | undefined): ResourceV3 {
    const s: ResourceV3 = { urn, custom: goal.custom, type: goal.type, inputs: goal.inputs, outputs: {} };
    if (goal.parent) s.parent = goal.parent;
    if (goal.protect) s.protect = true;
    if (goal.dependencies.length) s.dependencies = goal.dependencies;
    if (Object.keys(goal.propertyDependencies).length) s.propertyDependencies = goal.propertyDependencies;
    if (goal.additionalSecretOutputs.length) s.additionalSecretOutputs = goal.additionalSecretOutputs;
    if (goal.aliases.length) s.aliases = goal.aliases.filter((a) => a.urn).map((a) => a.urn!);
    if (Object.keys(goal.customTimeouts).length) s.customTimeouts = goal.customTimeouts;
    if (goal.retainOnDelete) s.retainOnDelete = true;
    if (goal.deletedWith) s.deletedWith = goal.deletedWith;
    if (goal.ignoreChanges.length) s.ignoreChanges = goal.ignoreChanges;
    if (goal.replaceOnChanges.length) s.replaceOnChanges = goal.replaceOnChanges;
    if (goal.hideDiffs.length) s.hideDiff = goal.hideDiffs;
    if (goal.importId) s.importID = goal.importId;
    const now = new Date().toISOString();
    s.created = old?.state.created ?? now;
    s.modified = old?.state.modified ?? now;
    return s;
  }

  private targetMatcher: UrnMatcher | undefined;
  private exclusions: ExclusionTracker | undefined;

  private isTargeted(urn: string): boolean {
    const targets = this.request.options.targets;
    if (!targets || targets.length === 0) return true;
    this.targetMatcher ??= urnMatcher(targets);
    return this.targetMatcher(urn);
  }

  /** `--target` / `--exclude` for one registration (targets win when both are given). */
  private isIncluded(state: ResourceV3): boolean {
    if ((this.request.options.targets ?? []).length > 0) return this.isTargeted(state.urn);
    this.exclusions ??= new ExclusionTracker(this.request.options.excludes ?? [], this.request.options.excludeDependents ?? false);
    return !this.exclusions.exclude(state);
  }

  private async registerOrdinary(entry: NewResource, goal: RegistrationGoal): Promise<RegistrationResult> {
    const { urn } = entry;
    const old = this.old.claim(urn, entry.aliases);
    let provider: Provider | undefined;
    let providerRef = "";
    if (goal.custom) {
      providerRef = await this.providerRefFor(goal.type, goal.provider, goal.providers, goal.version, goal.pluginDownloadURL);
      provider = await this.providerFor(providerRef);
    }
    const state = this.newState(goal, urn, old);
    if (providerRef) state.provider = providerRef;

    if ((this.request.kind === "update" || this.request.kind === "preview") && !this.isIncluded(state)) {
      if (!old) {
        return { urn, id: "", outputs: {}, unknown: true };
      }
      // Untargeted resources keep their recorded state untouched.
      const kept = { ...old.state };
      return this.executeStep(entry, { op: "same", old, new: kept, ...(provider ? { provider } : {}) }, goal);
    }

    const step = await this.plan(entry, goal, state, old, provider);
    return this.executeStep(entry, step, goal);
  }

  /** Step planning: Check, Diff, and the decision between them. */
  private async plan(entry: NewResource, goal: RegistrationGoal, state: ResourceV3, old: OldResource | undefined, provider: Provider | undefined): Promise<Step> {
    const { urn } = entry;
    if (!goal.custom || !provider) {
      if (!old) return { op: "create", new: state };
      const outcome = decideComponent(old.state.inputs ?? {}, state.inputs ?? {});
      state.outputs = old.state.outputs ?? {};
      return outcome.kind === "same" ? { op: "same", old, new: state } : { op: "update", old, new: state, diff: { changedKeys: outcome.changedKeys, ...(outcome.kind === "update" && outcome.detailedDiff ? { detailedDiff: outcome.detailedDiff } : {}) } };
    }
    if (goal.importProperties) {
      // `pulumi import`: there are no program inputs to check; they come from the provider's Read.
      if (old) {
        this.failStep({ op: "import", urn, type: goal.type, new: state }, new Error(`resource '${urn}' already exists`));
        throw new StepFailure("already exists");
      }
      return { op: "import", new: state, provider };
    }
    const forceReplace = (this.request.options.replaces ?? []).includes(urn);
    let news = goal.inputs;
    if (old && goal.ignoreChanges.length > 0) {
      const applied = applyIgnoreChanges(old.state.inputs ?? {}, news, goal.ignoreChanges);
      news = applied.inputs;
      for (const path of applied.unapplied) this.emit(diagnostic("info", `cannot ignore changes to the following properties because one or more elements of the path are missing: "${path}"`, urn));
    }
    const olds = old && !old.state.external && !forceReplace ? old.state.inputs : undefined;
    const checked = await this.limiter.run(() => provider.check(urn, goal.name, goal.type, olds, news, randomSeed(), old?.state.outputs));
    if (checked.failures.length > 0) {
      for (const f of checked.failures) {
        this.emit(diagnostic("error", `${goal.type} resource '${goal.name}': property ${f.property} value ${JSON.stringify(news[f.property] ?? null)} has a problem: ${f.reason}`, urn));
      }
      this.failed = true;
      this.emit(failedEvent({ op: old ? "update" : "create", urn, type: goal.type, new: state }));
      throw new StepFailure("check failed");
    }
    state.inputs = checked.inputs;
    if (!old) {
      return goal.importId ? { op: "import", new: state, provider } : { op: "create", new: state, provider };
    }
    state.id = old.state.id ?? "";
    state.outputs = old.state.outputs ?? {};
    const diff = await this.limiter.run(() =>
      provider.diff({
        id: old.state.id ?? "",
        urn,
        name: goal.name,
        type: goal.type,
        oldInputs: old.state.inputs ?? {},
        oldOutputs: old.state.outputs ?? {},
        news: checked.inputs,
        ignoreChanges: goal.ignoreChanges,
      }),
    );
    const outcome: DiffOutcome = decideDiff({
      diff,
      oldInputs: old.state.inputs ?? {},
      newInputs: checked.inputs,
      replaceOnChanges: goal.replaceOnChanges,
      deleteBeforeReplaceOption: goal.deleteBeforeReplace,
      forceReplace,
      hasInitErrors: (old.state.initErrors?.length ?? 0) > 0,
    });
    if (outcome.kind === "same") return { op: "same", old, new: state, provider };
    // A changing resource has no outputs until the provider answers (the display diffs inputs meanwhile).
    state.outputs = {};
    const summary = { changedKeys: outcome.changedKeys, ...(outcome.detailedDiff ? { detailedDiff: outcome.detailedDiff } : {}) };
    if (outcome.kind === "update") return { op: "update", old, new: state, provider, diff: summary };
    if (old.state.protect && goal.protect !== false) {
      this.emit(
        diagnostic(
          "error",
          `unable to replace resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``,
          urn,
        ),
      );
      this.failed = true;
      throw new StepFailure("protected");
    }
    // Replacements recompute defaults and autonames from scratch.
    const rechecked = await this.limiter.run(() => provider.check(urn, goal.name, goal.type, undefined, news, randomSeed()));
    if (rechecked.failures.length === 0) state.inputs = rechecked.inputs;
    return { op: "replace", old, new: state, provider, diff: { ...summary, replaceKeys: outcome.replaceKeys }, deleteBeforeReplace: outcome.deleteBeforeReplace };
  }

  // ---- execution ------------------------------------------------------------------------------

  private describe(step: Step, op: WireStepOp = step.op as WireStepOp): StepDescription {
    const d: StepDescription = { op, urn: step.new.urn, type: step.new.type, new: step.new };
    if ("old" in step && step.old) d.old = step.old.state;
    if ("diff" in step) {
      d.diffs = step.diff.changedKeys;
      if (step.diff.replaceKeys) d.keys = step.diff.replaceKeys;
      if (step.diff.detailedDiff) d.detailedDiff = step.diff.detailedDiff;
    }
    return d;
  }

  private failStep(description: StepDescription, err: unknown): void {
    this.failed = true;
    const message = err instanceof Error ? err.message : String(err);
    this.emit(diagnostic("error", message, description.urn));
    this.emit(failedEvent(description));
  }

  private async recordSuccess(entry: NewResource, state: ResourceV3, op: WireStepOp, old: OldResource | undefined, extra: { deleteOld?: boolean } = {}): Promise<void> {
    entry.state = state;
    entry.op = op;
    if (!this.writer.enabled) return;
    const operationId = this.writer.nextOperationId();
    entry.operationId = operationId;
    const fields: Parameters<JournalWriter["success"]>[1] = { state };
    if (old) {
      if (extra.deleteOld) fields.deleteOld = old.index;
      else fields.removeOld = old.index;
    }
    await this.writer.success(operationId, fields);
  }

  /** Runs a provider mutation guarded by a pending operation in the journal. */
  private async guarded<T>(type: "creating" | "updating" | "deleting" | "reading" | "importing", state: ResourceV3, run: () => Promise<T>): Promise<{ value: T; operationId: number }> {
    const operationId = this.writer.enabled ? this.writer.nextOperationId() : 0;
    if (this.writer.enabled) await this.writer.begin(operationId, type, state);
    try {
      return { value: await this.limiter.run(run), operationId };
    } catch (err) {
      if (this.writer.enabled && !(err instanceof ResourceInitError)) await this.writer.failure(operationId);
      throw err;
    }
  }

  private finishOutputs(state: ResourceV3, provider: Provider, outputs: PropertyObject): PropertyObject {
    let out = provider.capabilities.acceptSecrets ? outputs : remarkSecretOutputs(state.inputs ?? {}, outputs);
    out = markSecretOutputs(out, state.additionalSecretOutputs ?? []);
    return out;
  }

  private timeout(state: ResourceV3, kind: "create" | "update" | "delete"): number {
    return state.customTimeouts?.[kind] ?? 0;
  }

  async executeStep(entry: NewResource, step: Step, goal: RegistrationGoal): Promise<RegistrationResult> {
    const { urn } = entry;
    const planning = this.dryRun;
    switch (step.op) {
      case "skip-create":
        return { urn, id: "", outputs: {}, unknown: true };
      case "same": {
        this.emit(preEvent(this.describe(step), planning));
        await this.recordSuccess(entry, step.new, "same", step.old);
        if (step.new.custom) this.emit(outputsEvent(this.describe(step), planning));
        this.count("same", urn);
        return this.result(step.new);
      }
      case "create": {
        this.emit(preEvent(this.describe(step), planning));
        if (!step.provider) {
          await this.recordSuccess(entry, step.new, "create", undefined);
          this.count("create", urn);
          return this.result(step.new);
        }
        const provider = step.provider;
        try {
          if (planning) {
            if (provider.capabilities.supportsPreview) {
              const res = await this.limiter.run(() => provider.create({ urn, name: goal.name, type: goal.type, properties: step.new.inputs ?? {}, timeout: this.timeout(step.new, "create"), preview: true }));
              step.new.outputs = this.finishOutputs(step.new, provider, res.properties);
            } else step.new.outputs = step.new.inputs ?? {};
            step.new.id = "";
          } else {
            const { value, operationId } = await this.guarded("creating", step.new, () =>
              provider.create({ urn, name: goal.name, type: goal.type, properties: step.new.inputs ?? {}, timeout: this.timeout(step.new, "create"), preview: false }),
            );
            if (!value.id) throw new Error("provider did not return an ID from Create");
            step.new.id = value.id;
            step.new.outputs = this.finishOutputs(step.new, provider, value.properties);
            entry.state = step.new;
            entry.op = "create";
            entry.operationId = operationId;
            await this.writer.success(operationId, { state: step.new });
          }
        } catch (err) {
          await this.recordInitFailure(entry, step.new, err, undefined);
          this.failStep(this.describe(step), err);
          throw new StepFailure(String(err));
        }
        entry.state = step.new;
        entry.op = "create";
        this.emit(outputsEvent(this.describe(step), planning));
        this.count("create", urn);
        return this.result(step.new);
      }
      case "update": {
        this.emit(preEvent(this.describe(step), planning));
        if (!step.provider) {
          await this.recordSuccess(entry, step.new, "update", step.old);
          this.count("update", urn);
          return this.result(step.new);
        }
        const provider = step.provider;
        const args = {
          id: step.old.state.id ?? "",
          urn,
          name: goal.name,
          type: goal.type,
          oldInputs: step.old.state.inputs ?? {},
          oldOutputs: step.old.state.outputs ?? {},
          news: step.new.inputs ?? {},
          timeout: this.timeout(step.new, "update"),
          ignoreChanges: goal.ignoreChanges,
        };
        try {
          if (planning) {
            step.new.outputs = provider.capabilities.supportsPreview
              ? this.finishOutputs(step.new, provider, await this.limiter.run(() => provider.update({ ...args, preview: true })))
              : (step.new.inputs ?? {});
          } else {
            const { value, operationId } = await this.guarded("updating", step.new, () => provider.update({ ...args, preview: false }));
            step.new.outputs = this.finishOutputs(step.new, provider, value);
            step.new.modified = new Date().toISOString();
            delete step.new.initErrors;
            entry.state = step.new;
            entry.op = "update";
            entry.operationId = operationId;
            await this.writer.success(operationId, { state: step.new, removeOld: step.old.index });
          }
        } catch (err) {
          await this.recordInitFailure(entry, { ...step.new, inputs: step.old.state.inputs ?? {} }, err, step.old);
          this.failStep(this.describe(step), err);
          throw new StepFailure(String(err));
        }
        entry.state = step.new;
        entry.op = "update";
        this.emit(outputsEvent(this.describe(step), planning));
        this.count("update", urn);
        return this.result(step.new);
      }
      case "replace":
        return this.executeReplace(entry, step, goal);
      case "import":
        return this.executeImport(entry, step, goal);
    }
  }

  /** A provider that failed after creating something tells us its id: keep it in state so nothing is lost. */
  private async recordInitFailure(entry: NewResource, state: ResourceV3, err: unknown, old: OldResource | undefined): Promise<void> {
    if (!(err instanceof ResourceInitError) || this.dryRun) return;
    const partial: ResourceV3 = { ...state, id: err.id || state.id || "", outputs: err.properties, initErrors: err.reasons };
    if (err.inputs) partial.inputs = err.inputs;
    entry.state = partial;
    await this.recordSuccess(entry, partial, old ? "update" : "create", old);
  }

  private async executeReplace(entry: NewResource, step: Extract<Step, { op: "replace" }>, goal: RegistrationGoal): Promise<RegistrationResult> {
    const { urn } = entry;
    const planning = this.dryRun;
    const provider = step.provider;
    const createArgs = () => ({ urn, name: goal.name, type: goal.type, properties: step.new.inputs ?? {}, timeout: this.timeout(step.new, "create"), preview: planning });
    const doCreate = async (deleteOld: boolean): Promise<void> => {
      this.emit(preEvent(this.describe(step, "create-replacement"), planning));
      if (planning) {
        step.new.outputs = provider.capabilities.supportsPreview ? this.finishOutputs(step.new, provider, (await this.limiter.run(() => provider.create(createArgs()))).properties) : (step.new.inputs ?? {});
        step.new.id = "";
      } else {
        const { value, operationId } = await this.guarded("creating", step.new, () => provider.create(createArgs()));
        if (!value.id) throw new Error("provider did not return an ID from Create");
        step.new.id = value.id;
        step.new.outputs = this.finishOutputs(step.new, provider, value.properties);
        step.new.created = new Date().toISOString();
        step.new.modified = step.new.created;
        entry.state = step.new;
        entry.op = "replace";
        entry.operationId = operationId;
        await this.writer.success(operationId, deleteOld ? { state: step.new, deleteOld: step.old.index } : { state: step.new, removeOld: step.old.index });
      }
      this.emit(outputsEvent(this.describe(step, "create-replacement"), planning));
    };
    try {
      if (step.deleteBeforeReplace) {
        await this.deleteOne(step.old, "delete-replaced", true, undefined, true);
        this.emit(preEvent(this.describe(step, "replace"), planning));
        this.emit(outputsEvent(this.describe(step, "replace"), planning));
        await doCreate(false);
      } else {
        await doCreate(true);
        this.emit(preEvent(this.describe(step, "replace"), planning));
        this.emit(outputsEvent(this.describe(step, "replace"), planning));
        this.replacedOlds.push(step.old);
      }
    } catch (err) {
      if (!(err instanceof StepFailure)) {
        this.failStep(this.describe(step, "create-replacement"), err);
      }
      throw new StepFailure(String(err));
    }
    entry.state = step.new;
    entry.op = "replace";
    this.count("replace", urn);
    return this.result(step.new);
  }

  private async executeImport(entry: NewResource, step: Extract<Step, { op: "import" }>, goal: RegistrationGoal): Promise<RegistrationResult> {
    const { urn } = entry;
    const provider = step.provider;
    this.emit(preEvent(this.describe(step), this.dryRun));
    try {
      const read = await this.limiter.run(() => provider.read({ id: goal.importId, urn, name: goal.name, type: goal.type, state: {}, inputs: undefined }));
      if (!read.id) throw new Error(`resource '${goal.importId}' does not exist`);
      const importedInputs = read.inputs ?? {};
      if (goal.importProperties) {
        // `pulumi import`: the resource's inputs are what the provider read, not what a program said.
        step.new.inputs = pickProperties(importedInputs, goal.importProperties);
        const checked = await this.limiter.run(() => provider.check(urn, goal.name, goal.type, importedInputs, step.new.inputs ?? {}, randomSeed()));
        for (const f of checked.failures) {
          this.emit(diagnostic("warning", `One or more imported inputs failed to validate: ${f.property ? `${f.property}: ` : ""}${f.reason}. The import will still proceed, but you will need to edit the generated code after copying it into your program.`, urn));
        }
      }
      const differences = goal.importProperties ? [] : diffInputs(importedInputs, step.new.inputs ?? {}).changedKeys;
      if (differences.length > 0) {
        const message = `inputs to import do not match the existing resource; importing this resource will fail`;
        if (!this.dryRun) throw new Error(`${message}: differences in ${differences.join(", ")}`);
        this.emit(diagnostic("warning", `${message}`, urn));
      }
      step.new.id = read.id;
      step.new.outputs = this.finishOutputs(step.new, provider, read.properties);
      if (!this.dryRun) {
        const operationId = this.writer.nextOperationId();
        entry.operationId = operationId;
        await this.writer.success(operationId, { state: step.new });
      }
    } catch (err) {
      this.failStep(this.describe(step), err);
      throw new StepFailure(String(err));
    }
    entry.state = step.new;
    entry.op = "import";
    this.emit(outputsEvent(this.describe(step), this.dryRun));
    this.count("import", urn);
    return this.result(step.new);
  }

  /**
   * What the program is told about a registered resource. Like Pulumi's engine, no property
   * dependencies: those are answered only for remote components (`construct`), whose outputs can
   * depend on resources the program never saw. Echoing a resource's input dependencies back would
   * make the SDK build a dependency object per input edge for nothing.
   */
  private result(state: ResourceV3): RegistrationResult {
    return { urn: state.urn, id: state.custom ? (state.id ?? "") : "", outputs: state.outputs ?? {} };
  }

  // ---- outputs, reads, invokes, construct, call ----------------------------------------------

  registerResourceOutputs(urn: string, outputs: PropertyObject): Promise<void> {
    return this.track(this.recordOutputs(urn, outputs));
  }

  private async recordOutputs(urn: string, rawOutputs: PropertyObject): Promise<void> {
    const entry = this.news.get(urn);
    if (!entry) throw new Error(`cannot complete a resource '${urn}' whose registration isn't complete`);
    await entry.done;
    if (!entry.state) return;
    const outputs = resolveOutputValues(rawOutputs) as PropertyObject;
    const state = { ...entry.state, outputs };
    entry.state = state;
    if (urn === this.stackUrn || entry.state.type === STACK_TYPE) this.stackOutputs = outputs;
    if (this.writer.enabled && entry.operationId !== undefined) {
      await this.writer.outputs(this.writer.nextOperationId(), entry.operationId, state);
    }
    if (!state.custom) {
      const old = this.old.get(urn);
      this.emit(outputsEvent({ op: entry.op ?? "same", urn, type: state.type, new: state, ...(old ? { old: old.state } : {}) }, this.dryRun));
    }
  }

  readResource(goal: ReadGoal): Promise<{ urn: string; properties: PropertyObject }> {
    return this.track(this.read(goal));
  }

  private async read(goal: ReadGoal): Promise<{ urn: string; properties: PropertyObject }> {
    const { project, stack } = this.request.identity;
    const urn = makeUrn(stack, project, parentTypeForChildren(goal.parent || undefined), goal.type, goal.name);
    if (this.news.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
    const finished = deferred();
    const entry: NewResource = { urn, aliases: [], done: finished.promise };
    this.news.set(urn, entry);
    try {
      const ref = await this.providerRefFor(goal.type, goal.provider, {}, goal.version, "");
      const provider = await this.providerFor(ref);
      const old = this.old.claim(urn, []);
      const state: ResourceV3 = { urn, custom: true, type: goal.type, id: goal.id, external: true, inputs: goal.properties, outputs: {}, provider: ref };
      if (goal.parent) state.parent = goal.parent;
      if (goal.dependencies.length) state.dependencies = goal.dependencies;
      const describe = (): StepDescription => ({ op: "read", urn, type: goal.type, new: state, ...(old ? { old: old.state } : {}) });
      this.emit(preEvent(describe(), this.dryRun));
      try {
        const res = await this.limiter.run(() => provider.read({ id: goal.id, urn, name: goal.name, type: goal.type, state: goal.properties, inputs: goal.properties }));
        if (!res.id) throw new Error(`resource '${goal.id}' does not exist`);
        state.id = res.id;
        state.outputs = markSecretOutputs(res.properties, goal.additionalSecretOutputs);
        if (res.inputs) state.inputs = res.inputs;
      } catch (err) {
        this.failStep(describe(), err);
        throw err;
      }
      const changed = !old || !deepEqual(old.state.outputs ?? {}, state.outputs ?? {});
      await this.recordSuccess(entry, state, "read", old);
      this.emit(outputsEvent(describe(), this.dryRun));
      this.count(changed ? "read" : "same", urn);
      return { urn, properties: state.outputs ?? {} };
    } finally {
      finished.resolve();
    }
  }

  invoke(goal: InvokeGoal): Promise<{ result: PropertyObject; failures: { property: string; reason: string }[] }> {
    return this.track(
      (async () => {
        const ref = await this.providerRefFor(goal.tok, goal.provider, {}, goal.version, goal.pluginDownloadURL);
        const provider = await this.providerFor(ref);
        const res = await provider.invoke(goal.tok, goal.args, this.dryRun);
        return res;
      })(),
    );
  }

  private async construct(goal: RegistrationGoal, urn: string): Promise<RegistrationResult> {
    const ref = await this.providerRefFor(goal.type, goal.provider, goal.providers, goal.version, goal.pluginDownloadURL);
    const provider = await this.providerFor(ref);
    // The component itself is registered by the provider, under the same URN.
    this.news.delete(urn);
    const info = this.deploymentInfo();
    const req = new providerPb.ConstructRequest();
    req.setProject(info.project).setStack(info.stack).setOrganization(info.organization).setDryrun(this.dryRun).setParallel(info.parallel);
    req.setMonitorendpoint(this.monitorAddress).setType(goal.type).setName(goal.name).setParent(goal.parent);
    req.setInputs(toStruct(goal.rawInputs)).setDependenciesList(goal.dependencies).setConfigsecretkeysList(info.configSecretKeys);
    const cfg = req.getConfigMap();
    for (const [k, v] of Object.entries(info.config)) cfg.set(k, v);
    const inputDeps = req.getInputdependenciesMap();
    for (const [k, urns] of Object.entries(goal.propertyDependencies)) inputDeps.set(k, new providerPb.ConstructRequest.PropertyDependencies().setUrnsList(urns));
    const providers = req.getProvidersMap();
    for (const [k, v] of Object.entries(goal.providers)) providers.set(k, v);
    if (goal.protect !== undefined) req.setProtect(goal.protect);
    if (goal.retainOnDelete !== undefined) req.setRetainondelete(goal.retainOnDelete);
    req.setAdditionalsecretoutputsList(goal.additionalSecretOutputs).setDeletedwith(goal.deletedWith);
    req.setIgnorechangesList(goal.ignoreChanges).setReplaceonchangesList(goal.replaceOnChanges).setAcceptsOutputValues(true);
    if (goal.deleteBeforeReplace !== undefined) req.setDeletebeforereplace(goal.deleteBeforeReplace);
    const res = await provider.construct(req);
    const deps: Record<string, string[]> = {};
    res.getStatedependenciesMap().forEach((v, k) => (deps[k] = v.getUrnsList()));
    const state = res.getState();
    return { urn: res.getUrn(), id: "", outputs: state ? (state.toJavaScript() as PropertyObject) : {}, propertyDependencies: deps };
  }

  monitorAddress = "";

  call(req: InstanceType<typeof resourcePb.ResourceCallRequest>): Promise<InstanceType<typeof providerPb.CallResponse>> {
    return this.track(
      (async () => {
        const tok = req.getTok();
        const ref = await this.providerRefFor(tok, req.getProvider(), {}, req.getVersion(), req.getPlugindownloadurl());
        const provider = await this.providerFor(ref);
        const info = this.deploymentInfo();
        const call = new providerPb.CallRequest();
        call.setTok(tok).setArgs(req.getArgs()).setProject(info.project).setStack(info.stack).setOrganization(info.organization);
        call.setDryrun(this.dryRun).setParallel(info.parallel).setMonitorendpoint(this.monitorAddress).setConfigsecretkeysList(info.configSecretKeys);
        call.setAcceptsOutputValues(true);
        const cfg = call.getConfigMap();
        for (const [k, v] of Object.entries(info.config)) cfg.set(k, v);
        const argDeps = call.getArgdependenciesMap();
        req.getArgdependenciesMap().forEach((v, k) => argDeps.set(k, new providerPb.CallRequest.ArgumentDependencies().setUrnsList(v.getUrnsList())));
        return provider.call(call);
      })(),
    );
  }

  // ---- deletes --------------------------------------------------------------------------------

  readonly replacedOlds: OldResource[] = [];

  /** Deletes one old resource (or, in preview, says it would). */
  async deleteOne(
    old: OldResource,
    op: "delete" | "delete-replaced" | "discard",
    partOfReplace: boolean,
    condemned?: Set<string>,
    leavePendingReplacement = false,
  ): Promise<void> {
    const state = old.state;
    const describe: StepDescription = { op, urn: state.urn, type: state.type, old: state };
    if (state.protect && !partOfReplace) {
      if (this.request.kind === "destroy" && this.request.options.excludeProtected) return;
      this.failed = true;
      this.emit(
        diagnostic(
          "error",
          `resource "${state.urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${state.urn}'\``,
          state.urn,
        ),
      );
      this.emit(failedEvent(describe));
      throw new StepFailure("protected");
    }
    this.emit(preEvent(describe, this.dryRun));
    const skipProvider =
      !state.custom ||
      isProviderType(state.type) ||
      state.external ||
      state.retainOnDelete ||
      (state.deletedWith !== undefined && condemned?.has(state.deletedWith)) ||
      state.pendingReplacement;
    if (!this.dryRun) {
      if (skipProvider) {
        await this.writer.success(this.writer.nextOperationId(), leavePendingReplacement ? { pendingReplacementOld: old.index } : { removeOld: old.index });
      } else {
        try {
          const provider = await this.providerFor(state.provider ?? "");
          const { operationId } = await this.guarded("deleting", state, () =>
            provider.delete({
              id: state.id ?? "",
              urn: state.urn,
              name: urnName(state.urn),
              type: state.type,
              oldInputs: state.inputs ?? {},
              oldOutputs: state.outputs ?? {},
              timeout: state.customTimeouts?.delete ?? 0,
            }),
          );
          // A delete-before-replace leaves a marker until the new copy exists, so a crash in between is visible.
          await this.writer.success(operationId, leavePendingReplacement ? { pendingReplacementOld: old.index } : { removeOld: old.index });
        } catch (err) {
          this.failStep(describe, err);
          throw new StepFailure(String(err));
        }
      }
    }
    this.emit(outputsEvent(describe, this.dryRun));
    if (op !== "delete-replaced") this.count(op, state.urn);
  }

  /** Deletes a set of old resources in reverse dependency order, waves in parallel. */
  async deleteAll(items: { old: OldResource; op: "delete" | "delete-replaced" | "discard" }[]): Promise<void> {
    const byState = new Map(items.map((i) => [i.old.state, i] as const));
    const condemned = new Set(items.map((i) => i.old.state.urn));
    for (const wave of deleteWaves(items.map((i) => i.old.state))) {
      const results = await Promise.allSettled(
        wave.map((state) => {
          const item = byState.get(state)!;
          return this.deleteOne(item.old, item.op, item.op === "delete-replaced", condemned);
        }),
      );
      const failure = results.find((r) => r.status === "rejected");
      if (failure && !this.request.options.continueOnError) return;
    }
  }

  /** After a successful program: delete what it no longer declares, and the copies replacements left. */
  async deleteUnclaimed(): Promise<void> {
    const items: { old: OldResource; op: "delete" | "delete-replaced" | "discard" }[] = [];
    const { excludes = [], excludeDependents = false, targets = [] } = this.request.options;
    const kept = targets.length === 0 ? keptByExcludes(this.old.allLive().map((o) => o.state), excludes, excludeDependents) : new Set<string>();
    for (const old of this.old.unclaimed()) {
      if (!this.isTargeted(old.state.urn) || kept.has(old.state.urn)) continue;
      items.push({ old, op: old.state.external ? "discard" : "delete" });
    }
    for (const old of this.replacedOlds) items.push({ old, op: "delete-replaced" });
    for (const old of this.old.pendingDeletes) items.push({ old, op: "delete-replaced" });
    if (items.length > 0) await this.deleteAll(items);
  }

}

/** The named top-level properties of `inputs` (all of them when `names` is empty). */
function pickProperties(inputs: PropertyObject, names: string[]): PropertyObject {
  if (names.length === 0) return inputs;
  const out: PropertyObject = {};
  for (const name of names) if (name in inputs) out[name] = inputs[name]!;
  return out;
}
