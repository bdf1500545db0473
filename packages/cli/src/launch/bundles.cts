/**
 * Runs the bundles that scripts/bundle.mjs builds (dist/bundle/cli.cjs, dist/bundle/engine.cjs) from
 * V8's code cache, which Node 20 offers only through `vm.Script`: compiling the modules they hold is
 * most of what starting the CLI, or the engine inside it, would otherwise cost.
 *
 * CommonJS and kept out of the bundles, so the launcher and the CLI bundle share one instance.
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire, wrap } from "node:module";
import { join } from "node:path";
import { Script } from "node:vm";

export const BUNDLE_DIR = join(__dirname, "..", "bundle");

/**
 * The bundle's path, or undefined when there is none or when TypeScript rebuilt a package it holds
 * after it was made (`tsc -b` without `npm run build`): the modules then run as compiled, never
 * stale code.
 */
export function currentBundle(name: string): string | undefined {
  const file = join(BUNDLE_DIR, name);
  const bundledAt = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  if (bundledAt === undefined) return undefined;
  const packages = join(__dirname, "..", "..", "..");
  const current = ["cli", "engine", "protocol"].every((pkg) => {
    const builtAt = statSync(join(packages, pkg, "tsconfig.tsbuildinfo"), { throwIfNoEntry: false })?.mtimeMs;
    return builtAt === undefined || builtAt <= bundledAt;
  });
  return current ? file : undefined;
}

/** Runs a CommonJS bundle as a module of its own and returns its exports. */
export function runBundle(file: string): unknown {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // No cache: V8 compiles as it goes.
  }
  const script = new Script(wrap(readFileSync(file, "utf8")), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const moduleWrapper = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void;
  const bundleModule = { exports: {} };
  moduleWrapper.call(bundleModule.exports, bundleModule.exports, createRequire(file), bundleModule, file, join(file, ".."));
  return bundleModule.exports;
}
