/**
 * One stack operation from the command line: resolve stack, config and program, take the update
 * lease, run the engine, show its events (display, `--event-log`, the backend's event store) and
 * close the update with its result. `up`, `preview`, `refresh`, `destroy` and `import` are thin
 * wrappers around this.
 */
import { arch, platform } from "node:os";
import type { Command } from "commander";
import type { DeploymentV3, EngineEvent, EngineEventBody, ResourceChanges, UpdateKind } from "@stackyard/protocol";
import type { JournalSink, OperationKind, OperationOptions, OperationRequest, OperationResult, ProgramSource } from "@stackyard/engine/api";
import type { Prelaunch, PrelaunchRequest } from "@stackyard/engine";
import { PULUMI_VERSION } from "@stackyard/engine/version";
import type { PreviewSession, UpdateSession } from "../backend/backend.js";
import { importEngine, prebootEngineService } from "../launch/import-module.cjs";
import { BailError, CliError } from "../cli/errors.js";
import { createDisplay, createStamper, openEventLog, resolveColorMode, type DisplayKind, type EventLog } from "../display/index.js";
import { prepareOperation, type OperationInputs, type StackContext } from "../workspace/context.js";
import { messageOf } from "../workspace/cli-helpers.js";
import { displayOutputs, isSecretObject } from "../workspace/state-secrets.js";
import { flagBool, type OperationFlags } from "./flags.js";

export interface StackOperation {
  /** What the engine runs. */
  kind: OperationKind;
  /** What the display calls it ("import" shows as an import). */
  displayKind: DisplayKind;
  /** History kind of the update; previews are not recorded. */
  updateKind: UpdateKind;
  dryRun: boolean;
  /** The engine needs the program (up/preview, or refresh/destroy with --run-program). */
  withProgram: boolean;
  options: OperationOptions;
  /** Extra engine input for `import`. */
  extend?: (request: OperationRequest) => void;
}

type Engine = typeof import("@stackyard/engine");

export interface OperationOutcome {
  result: OperationResult;
  inputs: OperationInputs;
}

/** Pulumi's guard for commands that would change things without asking. */
export function requireYesToProceed(flags: OperationFlags): void {
  const skip = ["1", "true"].includes((process.env["PULUMI_SKIP_CONFIRMATIONS"] ?? "").toLowerCase());
  if (flags.yes || flags.previewOnly || skip) return;
  throw new CliError("--yes or --skip-preview must be passed in to proceed when running in non-interactive mode");
}

export function engineOptions(flags: OperationFlags): OperationOptions {
  const options: OperationOptions = {};
  if (flags.parallel !== undefined) {
    const n = Number.parseInt(flags.parallel, 10);
    if (!Number.isFinite(n)) throw new CliError(`invalid argument "${flags.parallel}" for "-p, --parallel" flag: strconv.ParseInt: parsing "${flags.parallel}": invalid syntax`);
    options.parallel = n;
  }
  if (flags.target?.length) options.targets = flags.target;
  if (flags.targetDependents) options.targetDependents = true;
  if (flags.exclude?.length) options.excludes = flags.exclude;
  if (flags.excludeDependents) options.excludeDependents = true;
  if (flags.replace?.length) options.replaces = flags.replace;
  if (flags.expectNoChanges) options.expectNoChanges = true;
  if (flags.excludeProtected) options.excludeProtected = true;
  if (flags.continueOnError) options.continueOnError = true;
  if (flags.clearPendingCreates) options.clearPendingCreates = true;
  return options;
}

function execKind(flags: OperationFlags): string {
  return flags.execKind ?? "cli";
}

function updateEnvironment(flags: OperationFlags): Record<string, string> {
  const env: Record<string, string> = {
    "exec.kind": execKind(flags),
    "pulumi.version": `v${PULUMI_VERSION}`,
    "pulumi.os": platform(),
    "pulumi.arch": arch() === "x64" ? "amd64" : arch(),
  };
  if (flags.execAgent) env["exec.agent"] = flags.execAgent;
  return env;
}

/** `--client`: the Automation API's inline program server replaces the local program. */
function programFor(flags: OperationFlags, local: ProgramSource | undefined): ProgramSource | undefined {
  if (!local || !flags.client) return local;
  return { ...local, kind: "client", address: flags.client };
}

/** Runs the operation and returns its result; throws BailError(255) when it failed. */
export async function runStackOperation(cmd: Command, flags: OperationFlags, op: StackOperation): Promise<OperationOutcome> {
  if (flags.remote !== undefined && flags.remote !== false) {
    const { runRemoteOperation } = await import("./remote.js");
    return runRemoteOperation(cmd, flags);
  }
  // The Engine service thread boots first (a thread takes a few tens of milliseconds to start, and
  // the program is launched once it listens), while the engine's modules load and the stack's
  // secrets unlock.
  try {
    prebootEngineService();
  } catch {
    // The operation starts its own, or reports why it cannot.
  }
  const engineLoading = importEngine<Engine>();
  // Awaited (and its failure reported) only if the operation gets as far as running.
  engineLoading.catch(() => undefined);
  let prelaunch: Promise<Prelaunch | undefined> | undefined;
  try {
    const inputs = await prepareOperation(
      cmd,
      { ...(flags.stack ? { stack: flags.stack } : {}), ...(flags.configFile ? { configFile: flags.configFile } : {}) },
      {
        withProgram: op.withProgram,
        whileUnlocking: (stack) => {
          if (op.withProgram && !flags.client) prelaunch = prelaunchProgram(stack, op, engineLoading).catch(() => undefined);
        },
      },
    );
    return await runPrepared(cmd, flags, op, inputs, engineLoading, prelaunch);
  } finally {
    // Not taken by the operation (it failed to begin): stop the program before any of its code runs.
    await (await prelaunch)?.abandon();
  }
}

/**
 * The program, its Engine service and its plugins boot while the secrets unlock and the update
 * begins; the engine holds every call the program makes until the operation runs. Only a program
 * whose config holds no secrets can start this early: its environment carries its config.
 */
async function prelaunchProgram(stack: StackContext, op: StackOperation, engineLoading: Promise<Engine>): Promise<Prelaunch | undefined> {
  const config = await stack.plainOperationConfig();
  if (!config) return undefined;
  const request: PrelaunchRequest = {
    kind: op.kind,
    dryRun: op.dryRun,
    identity: stack.identity,
    program: await stack.programSource(),
    config,
    options: op.options,
    pulumiHome: stack.ctx.home,
  };
  const engine = await engineLoading;
  return engine.canPrelaunch(request) ? new engine.Prelaunch(request) : undefined;
}

async function runPrepared(
  cmd: Command,
  flags: OperationFlags,
  op: StackOperation,
  inputs: OperationInputs,
  engineLoading: Promise<Engine>,
  prelaunch: Promise<Prelaunch | undefined> | undefined,
): Promise<OperationOutcome> {
  const { stack, ctx } = inputs;
  const backend = stack.backend;
  const color = resolveColorMode(flags.color ?? ctx.options.color, Boolean(process.stdout.isTTY), process.env);
  const stamp = createStamper();

  // A real run holds the stack's update (lock/lease) and writes state; a preview is only
  // recorded, where the backend keeps previews.
  let session: UpdateSession | PreviewSession | undefined;
  let journal: JournalSink | undefined;
  let base: DeploymentV3 | undefined;
  const metadata = { message: flags.message ?? "", environment: updateEnvironment(flags), config: inputs.historyConfig };
  try {
    if (!op.dryRun) {
      const update = await backend.beginUpdate(stack.ref, op.updateKind, metadata);
      session = update;
      journal = update.journal;
      base = update.base;
    } else if (backend.beginPreview) {
      const preview = await backend.beginPreview(stack.ref, op.displayKind === "preview" ? "preview" : op.updateKind, metadata);
      session = preview.session;
      base = preview.base;
    } else {
      base = (await backend.exportDeployment(stack.ref)).deployment;
    }
  } catch (err) {
    throw new CliError(messageOf(err));
  }

  let eventLog: EventLog | undefined;
  try {
    if (flags.eventLog) {
      eventLog = await openEventLog(flags.eventLog, color, {
        onError: (err) => process.stderr.write(`warning: writing the event log failed: ${err.message}\n`),
      });
    }
  } catch (err) {
    if (session) await session.complete("failed", {}).catch(() => undefined);
    throw new CliError(`opening the event log: ${messageOf(err)}`);
  }

  // While a batch of events is shown, its lines go to stdout in one write (a pipe to the Automation
  // API costs a system call per write).
  let batchedOut: string[] | undefined;
  const flushOut = () => {
    if (!batchedOut || batchedOut.length === 0) return;
    process.stdout.write(batchedOut.join(""));
    batchedOut = [];
  };
  const writeOut = (s: string) => {
    if (batchedOut) batchedOut.push(s);
    else process.stdout.write(s);
  };
  const display = createDisplay({
    kind: op.displayKind,
    stackName: stack.displayName,
    projectName: stack.ref.project,
    isPreview: op.dryRun,
    color,
    showDiff: flags.diff ?? false,
    json: flags.json ?? false,
    write: (s) => writeOut(s),
    writeErr: (s) => {
      flushOut();
      process.stderr.write(s);
    },
    ...(flags.showConfig ? { showConfig: true } : {}),
    ...(flags.showSames ? { showSames: true } : {}),
    ...(flags.showReads ? { showReads: true } : {}),
    ...(flags.showReplacementSteps ? { showReplacementSteps: true } : {}),
    ...(flags.showSecrets ? { showSecrets: true } : {}),
    ...(flags.suppressOutputs ? { suppressOutputs: true } : {}),
    ...(flags.suppressProgress ? { suppressProgress: true } : {}),
    ...(flags.debug ? { debug: true } : {}),
    streamingJsonPreview: Boolean(process.env["PULUMI_ENABLE_STREAMING_JSON_PREVIEW"]),
  });
  const ticker = setInterval(() => display.tick(), 1000);
  ticker.unref();

  const pendingEvents: EngineEvent[] = [];
  const flushEvents = () => {
    if (session && pendingEvents.length > 0) session.recordEvents(pendingEvents.splice(0));
  };
  // Showing an event is never on a resource's critical path: rendered in batches after the engine's
  // pending callbacks, it does not delay the provider answers and registrations queued behind it.
  let shown: EngineEvent[] = [];
  const showQueued = () => {
    const batch = shown;
    shown = [];
    batchedOut = [];
    try {
      for (const event of batch) {
        eventLog?.write(event);
        display.onEvent(event);
      }
    } finally {
      flushOut();
      batchedOut = undefined;
    }
  };
  const onEvent = (body: EngineEventBody) => {
    const event = stamp(body);
    if (shown.length === 0) setImmediate(showQueued);
    shown.push(event);
    if (session) {
      pendingEvents.push(event);
      if (pendingEvents.length >= 100) flushEvents();
    }
  };

  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      // Pulumi announces the cancellation in the event stream (the Automation API's onEvent sees it).
      const warning = op.dryRun ? "" : "<{%fg 9%}>Note that terminating immediately may lead to orphaned resources and other inconsistencies.\n<{%reset%}>";
      onEvent({ stdoutEvent: { message: `^C received; cancelling. If you would like to terminate immediately, press ^C again.\n${warning}`, color: color } });
      abort.abort();
    } else {
      process.exit(255);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const program = programFor(flags, inputs.program);
  const request: OperationRequest = {
    kind: op.kind,
    dryRun: op.dryRun,
    identity: inputs.identity,
    ...(program ? { program } : {}),
    config: inputs.config,
    base,
    secrets: inputs.secrets,
    ...(journal ? { journal } : {}),
    onEvent,
    options: op.options,
    readStackOutputs: async (name) => {
      const refText = name;
      const otherRef = backend.parseStackRef(refText, ctx.projectName);
      const exported = await backend.exportDeployment(otherRef);
      const deployment = exported.deployment;
      const stackResource = deployment?.resources?.find((r) => r.type === "pulumi:pulumi:Stack");
      const raw = (stackResource?.outputs ?? {}) as Record<string, unknown>;
      const secretOutputNames = Object.keys(raw).filter((k) => isSecretObject(raw[k]));
      const sm = secretOutputNames.length > 0 ? await stack.stateSecretsManager(deployment?.secrets_providers) : undefined;
      // The other stack's secrets manager decrypts; its own passphrase must be available.
      const outputs = await displayOutputs(raw, sm, true);
      return { outputs, secretOutputNames };
    },
    signal: abort.signal,
    pulumiHome: ctx.home,
    ...(inputs.pluginDirectory ? { pluginDirectory: inputs.pluginDirectory } : {}),
  };
  op.extend?.(request);

  let result: OperationResult;
  try {
    const { runOperation } = await engineLoading;
    result = await runOperation(request, await prelaunch);
  } catch (err) {
    // The engine reports its own failures through events; this is a bug or an environment problem.
    clearInterval(ticker);
    showQueued();
    display.done();
    await eventLog?.close();
    flushEvents();
    if (session) await session.complete("failed", {}).catch(() => undefined);
    throw new CliError(messageOf(err));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  clearInterval(ticker);
  showQueued();
  flushEvents();
  await eventLog?.close();
  if (session) {
    try {
      await session.complete(result.result, result.resourceChanges);
    } catch (err) {
      throw new CliError(`saving the stack's state: ${messageOf(err)}`);
    }
  }
  if (result.result !== "succeeded") throw new BailError(255);
  return { result, inputs };
}

/** Whether a preview's changes would do anything (for `--expect-no-changes`-like checks). */
export function hasChanges(changes: ResourceChanges): boolean {
  return Object.entries(changes).some(([op, n]) => op !== "same" && (n ?? 0) > 0);
}

/** `up`/`refresh`/`destroy` without `--skip-preview`: a preview first, then the real thing. */
export async function previewThenApply(cmd: Command, flags: OperationFlags, op: StackOperation): Promise<OperationOutcome> {
  if (!flags.skipPreview || flags.previewOnly) {
    const preview = await runStackOperation(cmd, flags, { ...op, dryRun: true });
    if (flags.previewOnly) return preview;
    if (!flags.json) process.stdout.write("\n");
  }
  return runStackOperation(cmd, flags, op);
}

export { flagBool };
