/**
 * Launching a program before its operation can begin. A Node.js program, its Engine service and its
 * provider plugins take most of a second to boot, while the CLI is still deriving the passphrase
 * key and taking the stack's lock; launched early, that boot overlaps them.
 *
 * Nothing the program asks is answered before the operation attaches, its feature query included,
 * and the SDK runs no user code until that query is answered: a stack that turns out to be locked,
 * or a wrong passphrase, stops the program before any of its own code has run.
 */
import type { ConfigMap, OperationKind, OperationOptions, OperationRequest, ProgramSource, StackIdentity } from "../api.js";
import { parallelOf, programConfig, runProgram, type RunningProgram } from "../program/program-host.js";
import { servicesSpec, startProgramServices, type ProgramServices } from "./program-services.js";

export interface PrelaunchRequest {
  kind: OperationKind;
  dryRun: boolean;
  identity: StackIdentity;
  program: ProgramSource;
  /** The program's config; only config without secrets is known this early. */
  config: ConfigMap;
  options: OperationOptions;
  pulumiHome: string;
}

type OutputLine = [line: string, stream: "stdout" | "stderr"];

/** What an operation takes over from a prelaunch (see `takePrelaunch`). */
export interface LaunchedProgram {
  services: ProgramServices;
  program: RunningProgram;
  /** Where the program's output goes from now on; what it printed so far goes there first. */
  onOutput(sink: (line: string, stream: "stdout" | "stderr") => void): void;
}

/** Whether an operation can be prelaunched: a Node.js program run by an update or preview that refreshes nothing first. */
export function canPrelaunch(request: Pick<PrelaunchRequest, "kind" | "program" | "options">): boolean {
  return (request.kind === "update" || request.kind === "preview") && request.program.kind === "nodejs" && !request.options.refresh;
}

export class Prelaunch {
  private abandoned = false;
  /** Taken by its operation, which stops what was launched from then on. */
  private taken = false;
  private readonly launched: Promise<LaunchedProgram>;

  constructor(readonly request: PrelaunchRequest) {
    if (!canPrelaunch(request)) throw new Error(`a ${request.kind} of a ${request.program.kind} program cannot be launched ahead of its operation`);
    this.launched = this.launch();
    this.launched.catch(() => undefined);
  }

  private async launch(): Promise<LaunchedProgram> {
    const { request } = this;
    const services = await startProgramServices(servicesSpec(request));
    if (this.abandoned) {
      await services.abandon("the operation did not start");
      throw new Error("abandoned");
    }
    let held: OutputLine[] = [];
    let sink: ((line: string, stream: "stdout" | "stderr") => void) | undefined;
    const program = runProgram({
      source: request.program,
      identity: request.identity,
      monitorAddress: services.monitorAddress,
      engineAddress: services.engineService.address,
      dryRun: request.dryRun,
      parallel: parallelOf(request.options),
      ...programConfig(request.config),
      onOutput: (line, stream) => {
        if (sink) sink(line, stream);
        else held.push([line, stream]);
      },
    });
    return {
      services,
      program,
      onOutput(to) {
        sink = to;
        for (const [line, stream] of held) to(line, stream);
        held = [];
      },
    };
  }

  /** @internal The operation runs with what was launched; `abandon` becomes a no-op. */
  take(): Promise<LaunchedProgram> {
    this.taken = true;
    return this.launched;
  }

  /** Stops the program and everything started for it, for an operation that will not run (a no-op once taken). */
  async abandon(): Promise<void> {
    if (this.abandoned || this.taken) return;
    this.abandoned = true;
    const taken = await this.launched.catch(() => undefined);
    if (!taken) return;
    taken.program.stop();
    await taken.services.abandon("the operation did not start");
    await taken.program.outcome;
  }
}

/**
 * The prelaunched program, when it was launched for exactly this request; otherwise it is
 * abandoned and the operation launches its own.
 */
export async function takePrelaunch(prelaunch: Prelaunch | undefined, request: OperationRequest): Promise<LaunchedProgram | undefined> {
  if (!prelaunch) return undefined;
  if (!prelaunchMatches(prelaunch.request, request)) {
    await prelaunch.abandon();
    return undefined;
  }
  return prelaunch.take();
}

function prelaunchMatches(early: PrelaunchRequest, request: OperationRequest): boolean {
  const { program } = request;
  return (
    program !== undefined &&
    early.kind === request.kind &&
    early.dryRun === request.dryRun &&
    early.pulumiHome === request.pulumiHome &&
    JSON.stringify([early.identity, early.program, early.config, parallelOf(early.options)]) ===
      JSON.stringify([request.identity, program, request.config, parallelOf(request.options)]) &&
    canPrelaunch({ kind: request.kind, program, options: request.options })
  );
}
