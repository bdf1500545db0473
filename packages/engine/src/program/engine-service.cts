/**
 * Starts the Engine service worker (engine-service-worker.ts) and relays what it forwards to the
 * monitor's handler. When no worker can start, the monitor's own Engine service stands in
 * (`sameThreadEngineService`).
 *
 * CommonJS, so that one instance serves the engine in any form and the CLI: the CLI preboots the
 * worker from here before the engine's modules (or its bundle, which leaves this module out) load.
 */
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { LogSeverity, MonitorHandler } from "./monitor.js";

export type EngineServiceMessage =
  | { kind: "ready"; address: string }
  | { kind: "failed"; message: string }
  | { kind: "log"; severity: number; message: string; urn: string; streamId: number; ephemeral: boolean }
  | { kind: "root"; urn: string }
  | { kind: "flushed"; id: number };

export type EngineServiceRequest = { kind: "flush"; id: number } | { kind: "close" };

export interface EngineService {
  address: string;
  /** Where the logs and root resource the program sends go; until then they are kept, in order. */
  attach(handler: EngineServiceHandler): void;
  /** Resolves once every log the service has answered so far has reached the handler. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const SEVERITIES: LogSeverity[] = ["debug", "info", "warning", "error"];

export type EngineServiceHandler = Pick<MonitorHandler, "log" | "setRootResource">;

interface BootedWorker {
  worker: Worker;
  address: string;
  /** Where the worker's messages go; set when an operation takes the worker. */
  attach(handler: EngineServiceHandler): void;
  flushes: Map<number, () => void>;
  exited(): boolean;
}

interface BootingWorker {
  worker: Worker;
  booted: Promise<BootedWorker | undefined>;
}

/**
 * A worker booted ahead of the operation that will take it: a thread and its modules take a few
 * tens of milliseconds to start, which the CLI overlaps with reading config and deriving the
 * passphrase key.
 */
let prebooted: BootingWorker | undefined;

/** Starts booting the Engine service worker now, for the next `startEngineService` to take. */
export function prebootEngineService(): void {
  prebooted ??= bootWorker();
}

function bootWorker(): BootingWorker | undefined {
  let worker: Worker;
  try {
    worker = new Worker(join(__dirname, "engine-service-worker.js"));
  } catch {
    return undefined;
  }
  const booted = whenBooted(worker);
  // Unreferenced (after its listeners are on: adding a message listener refs the worker again), so a
  // preboot that no operation takes does not hold the process open; during an operation the monitor
  // keeps the process alive.
  worker.unref();
  return { worker, booted };
}

async function whenBooted(worker: Worker): Promise<BootedWorker | undefined> {
  let exited = false;
  const flushes = new Map<number, () => void>();
  let handler: EngineServiceHandler | undefined;
  // What the program said before an operation took the service (a program launched early).
  let held: EngineServiceMessage[] = [];
  const deliver = (m: EngineServiceMessage, to: EngineServiceHandler) => {
    if (m.kind === "log") to.log(SEVERITIES[m.severity] ?? "info", m.message, m.urn, m.streamId, m.ephemeral);
    else if (m.kind === "root") to.setRootResource(m.urn);
  };
  const address = await new Promise<string | undefined>((resolve) => {
    worker.on("message", (m: EngineServiceMessage) => {
      switch (m.kind) {
        case "ready":
          return resolve(m.address);
        case "failed":
          return resolve(undefined);
        case "log":
        case "root":
          if (handler) deliver(m, handler);
          else held.push(m);
          return;
        case "flushed":
          flushes.get(m.id)?.();
          flushes.delete(m.id);
      }
    });
    worker.once("error", () => resolve(undefined));
    worker.once("exit", () => {
      exited = true;
      resolve(undefined);
      for (const done of flushes.values()) done();
      flushes.clear();
    });
  });
  if (!address) {
    await worker.terminate();
    return undefined;
  }
  const attach = (h: EngineServiceHandler) => {
    handler = h;
    for (const m of held) deliver(m, h);
    held = [];
  };
  return { worker, address, flushes, attach, exited: () => exited };
}

/** Resolves to undefined when the worker cannot start. */
export async function startEngineService(): Promise<EngineService | undefined> {
  const booting = prebooted ?? bootWorker();
  prebooted = undefined;
  if (!booting) return undefined;
  // Held while booting, since nothing else may keep the process alive meanwhile.
  booting.worker.ref();
  const booted = await booting.booted;
  booting.worker.unref();
  if (!booted) return undefined;
  const { worker, address, flushes } = booted;
  let nextFlush = 0;
  return {
    address,
    attach: booted.attach,
    flush: () =>
      booted.exited()
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const id = nextFlush++;
            // Held while an answer is awaited, so the process cannot end in between.
            worker.ref();
            flushes.set(id, () => {
              if (flushes.size <= 1) worker.unref();
              resolve();
            });
            worker.postMessage({ kind: "flush", id } satisfies EngineServiceRequest);
          }),
    close: async () => {
      if (booted.exited()) return;
      worker.ref();
      const gone = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.postMessage({ kind: "close" } satisfies EngineServiceRequest);
      const timer = setTimeout(() => void worker.terminate(), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** The Engine service the monitor itself serves at `address`. */
export function sameThreadEngineService(address: string): EngineService {
  return { address, attach: () => {}, flush: async () => {}, close: async () => {} };
}
