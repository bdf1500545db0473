/**
 * import() for what the CLI bundle leaves out (the engine, the service, other npm packages). Under
 * Node 20, code that `vm.Script` restores from a code cache has no import() of its own ("A dynamic
 * import callback was not specified"), so the bundle borrows this module's, compiled by Node's own
 * loader. Specifiers resolve from here, as they would from any module of the CLI.
 */
import { currentBundle, runBundle } from "./bundles.cjs";

/** Starts booting the engine's Engine service thread, for the operation about to run (see engine-service.cts). */
export function prebootEngineService(): void {
  const engineService = require("@stackyard/engine/program/engine-service") as typeof import("@stackyard/engine/program/engine-service");
  engineService.prebootEngineService();
}

export function importModule<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}

let engine: Promise<unknown> | undefined;

/**
 * The engine's entry point (`@stackyard/engine`): from its bundle (dist/bundle/engine.cjs) when that
 * is current, which starts about three times faster than its ES modules; loaded once either way.
 */
export function importEngine<T>(): Promise<T> {
  engine ??= loadEngine();
  return engine as Promise<T>;
}

async function loadEngine(): Promise<unknown> {
  const bundle = currentBundle("engine.cjs");
  return bundle ? runBundle(bundle) : import("@stackyard/engine");
}
