/** Entry point of the engine: runs one update, preview, refresh or destroy to completion. */
import { SECRET_MASK } from "@stackyard/protocol";
import type { OperationRequest, OperationResult } from "../api.js";
import { parallelOf, programConfig, runProgram, type ProgramOutcome } from "../program/program-host.js";
import { defaultProviderVersions } from "../providers/required-plugins.js";
import { servicesSpec, startProgramServices, type ProgramServices } from "./program-services.js";
import { takePrelaunch, type LaunchedProgram, type Prelaunch } from "./prelaunch.js";
import { StateCodec } from "../state/codec.js";
import { diagnostic, outputsEvent, preEvent, type StepDescription } from "../execution/step-events.js";
import { OldState } from "./old-state.js";
import { Deployment, StepFailure } from "./deployment.js";
import type { OldResource } from "../planning/steps.js";
import { deepEqual, remarkSecretOutputs, type PropertyObject } from "../properties/values.js";
import { isProviderType, typePackage, urnName, STACK_TYPE } from "../urn.js";
import { emptyGoal } from "../program/registration.js";
import { excludedFromRefresh, keptByExcludes, urnMatcher } from "../planning/selection.js";

/** `prelaunch`: the program, launched ahead for this request (see prelaunch.ts). */
export async function runOperation(request: OperationRequest, prelaunch?: Prelaunch): Promise<OperationResult> {
  const started = Date.now();
  const codec = new StateCodec(request.secrets);
  const decoded = await codec.decodeDeployment(request.base);
  const old = new OldState(decoded.resources, decoded.pending);
  const deployment = new Deployment(request, old, codec);
  // Pulumi's state always names its secrets manager; a new stack's base may not have one yet.
  const baseProvider = request.base?.secrets_providers;
  if (deployment.writer.enabled && (baseProvider?.type !== request.secrets.type || JSON.stringify(baseProvider?.state) !== JSON.stringify(request.secrets.state))) {
    await deployment.writer.secretsManager({ type: request.secrets.type, state: request.secrets.state });
  }

  const prelude: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.config)) prelude[k] = v.secret ? SECRET_MASK : v.value;
  request.onEvent({ preludeEvent: { config: prelude } });

  if (old.pendingOperations.length > 0 && request.kind !== "preview") {
    const lines = old.pendingOperations.map((op) => `  * ${op.resource.urn}, interrupted while ${op.type}`).join("\n");
    request.onEvent(
      diagnostic(
        "warning",
        `Attempting to deploy or update resources with ${old.pendingOperations.length} pending operations from previous deployment.\n${lines}\nThese resources are in an unknown state because the Pulumi CLI was interrupted while waiting for changes to these resources to complete. You should confirm whether or not the operations listed completed successfully by checking the state of the appropriate provider. For example, if you are using AWS, you can confirm using the AWS Console.\n\nOnce you have confirmed the status of the interrupted operations, you can repair your stack using \`pulumi refresh\` which will refresh the state from the provider you are using and clear the pending operations if there are any.\n\nNote that \`pulumi refresh\` will need to be run interactively to clear pending CREATE operations.`,
      ),
    );
  }

  const launched = await takePrelaunch(prelaunch, request);
  const services = launched?.services ?? (await startProgramServices(servicesSpec(request)));
  deployment.monitorAddress = services.monitorAddress;
  deployment.registry = services.registry;
  deployment.defaultVersions = services.requiredPlugins.then(defaultProviderVersions);
  // One plugin per provider in the old state starts now too, as Pulumi's engine loads them up front
  // (the program's own required plugins may already be among them).
  services.registry.prestartEach(
    old
      .allLive()
      .filter((o) => isProviderType(o.state.type))
      .map(({ state }) => ({ pkg: typePackage(state.type), version: typeof state.inputs?.["version"] === "string" ? state.inputs["version"] : undefined })),
  );
  services.attach({
    handler: deployment,
    ...(request.readStackOutputs ? { readStackOutputs: request.readStackOutputs } : {}),
    getResource: (urn) => {
      const state = deployment.news.get(urn)?.state ?? old.get(urn)?.state;
      if (!state) return undefined;
      return { urn, ...(state.custom ? { id: state.id ?? "" } : {}), state: state.outputs ?? {} };
    },
    onPluginOutput: (pkg, line, stream) => {
      // Resource plugins log at debug level; the dynamic provider's output is the user's own code talking.
      if (pkg === "pulumi-nodejs") request.onEvent(diagnostic(stream === "stderr" ? "info#err" : "info", line));
    },
  });
  const { engineService } = services;

  const onAbort = () => {
    deployment.failed = true;
    void deployment.registry.cancelAll();
  };
  request.signal?.addEventListener("abort", onAbort);
  let canceled = false;
  try {
    switch (request.kind) {
      case "update":
      case "preview":
        // `--refresh`: read every resource back first, so the program is planned against reality.
        if (request.options.refresh) await refreshAll(deployment, request, false);
        if (!deployment.failed) canceled = await runProgramPhase(deployment, request, services, launched);
        break;
      case "refresh":
        await refreshAll(deployment, request, true);
        break;
      case "destroy":
        await destroyAll(deployment, request);
        break;
      case "import":
        await importAll(deployment, request);
        break;
    }
    await deployment.writer.flush();
  } catch (err) {
    if (!(err instanceof StepFailure)) {
      deployment.failed = true;
      request.onEvent(diagnostic("error", err instanceof Error ? err.message : String(err)));
    }
  } finally {
    request.signal?.removeEventListener("abort", onAbort);
    await deployment.registry.close();
    await engineService.flush();
    await services.close();
  }
  canceled ||= request.signal?.aborted ?? false;

  const changed = Object.entries(deployment.changes).some(([op, n]) => op !== "same" && (n ?? 0) > 0);
  if (request.options.expectNoChanges && changed && !deployment.failed) {
    deployment.failed = true;
    request.onEvent(diagnostic("error", "no changes were expected but changes occurred"));
  }

  const result: OperationResult["result"] = canceled ? "canceled" : deployment.failed ? "failed" : "succeeded";
  request.onEvent({
    summaryEvent: {
      maybeCorrupt: false,
      durationSeconds: Math.ceil((Date.now() - started) / 1000),
      resourceChanges: deployment.changes,
      PolicyPacks: {},
      isPreview: request.dryRun,
      result,
    },
  });
  request.onEvent({ cancelEvent: {} });

  const oldStack = old.allLive().find((r) => r.state.type === STACK_TYPE)?.state.outputs ?? {};
  let outputs: PropertyObject;
  if (request.kind === "destroy") outputs = deployment.failed ? oldStack : {};
  else if (request.kind === "refresh") outputs = oldStack;
  else if (deployment.failed) outputs = { ...oldStack, ...(deployment.stackOutputs ?? {}) };
  else outputs = deployment.stackOutputs ?? {};

  const out: OperationResult = { result, resourceChanges: deployment.changes, outputs };
  if (deployment.failed) out.error = "update failed";
  return out;
}

/**
 * `pulumi import`: registers the stack (when new) and each resource to adopt, in file order so
 * parents come first; everything else in state is left as it is.
 */
async function importAll(deployment: Deployment, request: OperationRequest): Promise<void> {
  if (!deployment.old.get(deployment.stackUrn)) {
    const stack = await deployment.registerResource(emptyGoal(STACK_TYPE, `${request.identity.project}-${request.identity.stack}`, "", false));
    if (stack.failed) return;
    await deployment.registerResourceOutputs(stack.urn, {});
  }
  for (const spec of request.imports ?? []) {
    const goal = emptyGoal(spec.type, spec.name, spec.parent ?? deployment.stackUrn, !spec.component);
    goal.protect = spec.protect;
    if (spec.provider) goal.provider = spec.provider;
    if (spec.version) goal.version = spec.version;
    if (spec.pluginDownloadURL) goal.pluginDownloadURL = spec.pluginDownloadURL;
    if (!spec.component) {
      goal.importId = spec.id ?? "";
      goal.importProperties = spec.properties ?? [];
    }
    const result = await deployment.registerResource(goal);
    if (result.failed) {
      deployment.failed = true;
      if (!request.options.continueOnError) return;
    } else if (spec.component) {
      await deployment.registerResourceOutputs(result.urn, {});
    }
  }
}

/** Runs the program; returns true when it was canceled. */
async function runProgramPhase(deployment: Deployment, request: OperationRequest, services: ProgramServices, launched: LaunchedProgram | undefined): Promise<boolean> {
  if (!request.program) throw new Error("no program to run");
  const { engineService } = services;
  const onOutput = (line: string, stream: "stdout" | "stderr") =>
    request.onEvent(diagnostic(stream === "stderr" ? "info#err" : "info", line, deployment.rootUrn || deployment.stackUrn));
  launched?.onOutput(onOutput);
  const program =
    launched?.program ??
    runProgram({
      source: request.program,
      identity: request.identity,
      monitorAddress: services.monitorAddress,
      engineAddress: engineService.address,
      dryRun: request.dryRun,
      parallel: parallelOf(request.options),
      ...programConfig(request.config),
      onOutput,
    });
  const onAbort = () => program.cancel();
  request.signal?.addEventListener("abort", onAbort);
  try {
    const first = await Promise.race([
      program.outcome.then((outcome) => ({ kind: "exit" as const, outcome })),
      deployment.shutdownRequested.promise.then(() => ({ kind: "signal" as const })),
    ]);
    await deployment.settle();
    // Error logs decide whether deletes run; make sure every log answered so far has been seen.
    await engineService.flush();
    let outcome: ProgramOutcome;
    if (first.kind === "signal") {
      if (!deployment.failed && !deployment.programErrorLogged) await runDeletes(deployment);
      deployment.shutdownComplete.resolve();
      outcome = await program.outcome;
    } else {
      outcome = first.outcome;
      deployment.shutdownComplete.resolve();
      if (outcome.ok && !deployment.failed && !deployment.programErrorLogged) await runDeletes(deployment);
    }
    await deployment.settle();
    await engineService.flush();
    if (!outcome.ok) {
      deployment.failed = true;
      if (!outcome.bail && !request.signal?.aborted) {
        request.onEvent(diagnostic("error", outcome.message, deployment.rootUrn || deployment.stackUrn));
      }
    }
    if (deployment.programErrorLogged) deployment.failed = true;
    return request.signal?.aborted ?? false;
  } finally {
    request.signal?.removeEventListener("abort", onAbort);
  }
}

async function runDeletes(deployment: Deployment): Promise<void> {
  try {
    await deployment.deleteUnclaimed();
  } catch (err) {
    if (!(err instanceof StepFailure)) throw err;
  }
}


/** `counted`: a refresh operation counts its results; a refresh ahead of an update does not. */
async function refreshAll(deployment: Deployment, request: OperationRequest, counted: boolean): Promise<void> {
  if (request.options.clearPendingCreates && request.base?.pending_operations?.length && deployment.writer.enabled) {
    const { pending_operations: _dropped, ...rest } = request.base;
    await deployment.writer.write(rest);
  }
  const { targets = [], excludes = [], excludeDependents = false } = request.options;
  let items = deployment.old.allLive();
  if (targets.length > 0) {
    const targeted = urnMatcher(targets);
    items = items.filter((o) => targeted(o.state.urn));
  }
  else if (excludes.length > 0) {
    const excluded = excludedFromRefresh(items.map((o) => o.state), excludes, excludeDependents);
    items = items.filter((o) => !excluded.has(o.state.urn));
  }
  await Promise.all(items.map((o) => refreshOne(deployment, o, counted)));
}

async function refreshOne(deployment: Deployment, old: OldResource, counted: boolean): Promise<void> {
  const s = old.state;
  const describe = (op: "refresh", next: typeof s | undefined): StepDescription => ({ op, urn: s.urn, type: s.type, old: s, ...(next ? { new: next } : {}) });
  deployment.emit(preEvent(describe("refresh", s), deployment.dryRun));
  if (!s.custom || isProviderType(s.type) || s.pendingReplacement) {
    deployment.emit(outputsEvent(describe("refresh", s), deployment.dryRun));
    if (counted) deployment.count("same", s.urn);
    return;
  }
  try {
    const provider = await deployment.providerFor(s.provider ?? "");
    const res = await deployment.limiter.run(() =>
      provider.read({ id: s.id ?? "", urn: s.urn, name: urnName(s.urn), type: s.type, state: s.outputs ?? {}, inputs: s.external ? undefined : s.inputs }),
    );
    if (!res.id) {
      if (deployment.writer.enabled) await deployment.writer.refreshSuccess(deployment.writer.nextOperationId(), old.index, undefined);
      deployment.emit(outputsEvent({ op: "refresh", urn: s.urn, type: s.type, old: s }, deployment.dryRun));
      deployment.old.refreshed(s.urn, undefined);
      if (counted) deployment.count("delete", s.urn);
      return;
    }
    let outputs = provider.capabilities.acceptSecrets ? res.properties : remarkSecretOutputs(s.inputs ?? {}, res.properties);
    for (const key of s.additionalSecretOutputs ?? []) if (key in outputs) outputs = { ...outputs, [key]: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: outputs[key] } };
    const next = { ...s, id: res.id, outputs, inputs: res.inputs ?? s.inputs ?? {} };
    const changed = !deepEqual(s.outputs ?? {}, next.outputs);
    if (changed && deployment.writer.enabled) {
      next.modified = new Date().toISOString();
      await deployment.writer.refreshSuccess(deployment.writer.nextOperationId(), old.index, next);
    }
    if (changed) deployment.old.refreshed(s.urn, next);
    deployment.emit(outputsEvent(describe("refresh", next), deployment.dryRun));
    if (counted) deployment.count(changed ? "update" : "same", s.urn);
  } catch (err) {
    deployment.failed = true;
    deployment.emit(diagnostic("error", err instanceof Error ? err.message : String(err), s.urn));
  }
}

async function destroyAll(deployment: Deployment, request: OperationRequest): Promise<void> {
  let live = deployment.old.allLive();
  if ((request.options.targets ?? []).length > 0) {
    const targeted = urnMatcher(request.options.targets ?? []);
    const chosen = new Set(live.filter((o) => targeted(o.state.urn)).map((o) => o.state.urn));
    if (request.options.targetDependents) {
      let grew = true;
      while (grew) {
        grew = false;
        for (const o of live) {
          if (chosen.has(o.state.urn)) continue;
          const deps = [o.state.parent, ...(o.state.dependencies ?? []), o.state.provider?.split("::").slice(0, -1).join("::")];
          if (deps.some((d) => d && chosen.has(d))) {
            chosen.add(o.state.urn);
            grew = true;
          }
        }
      }
    }
    live = live.filter((o) => chosen.has(o.state.urn));
  } else if ((request.options.excludes ?? []).length > 0) {
    const kept = keptByExcludes(live.map((o) => o.state), request.options.excludes ?? [], request.options.excludeDependents ?? false);
    live = live.filter((o) => !kept.has(o.state.urn));
  }
  const items = [
    ...live.map((old) => ({ old, op: (old.state.external ? "discard" : "delete") as "discard" | "delete" })),
    ...deployment.old.pendingDeletes.map((old) => ({ old, op: "delete-replaced" as const })),
  ];
  await deployment.deleteAll(items);
}
