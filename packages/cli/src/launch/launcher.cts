/**
 * The start-up path of bin/pulumi and bin/stackyard. The Automation API starts a CLI process for
 * every workspace call, so start-up is most of what those calls cost. This file is CommonJS so that
 * it can run the CLI bundle (dist/bundle/cli.cjs, built by scripts/bundle.mjs) from V8's code cache,
 * which Node 20 offers only through `vm.Script`. Without a bundle it falls back to the ES modules.
 */
import { readFileSync, statSync } from "node:fs";
import { createRequire, wrap } from "node:module";
import { join } from "node:path";
import { Script } from "node:vm";
import { adoptDeferredCaCerts } from "./deferred-ca.cjs";

adoptDeferredCaCerts();

const bundleFile = join(__dirname, "..", "bundle", "cli.cjs");
if (bundleIsCurrent(bundleFile)) runBundle(bundleFile);
else void import("../main.js");

/**
 * False when there is no bundle, or when TypeScript rebuilt a package it holds after it was made
 * (`tsc -b` without `npm run build`): the modules then run as compiled, never stale code.
 */
function bundleIsCurrent(file: string): boolean {
  const bundledAt = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  if (bundledAt === undefined) return false;
  const packages = join(__dirname, "..", "..", "..");
  return ["cli", "engine", "protocol"].every((pkg) => {
    const builtAt = statSync(join(packages, pkg, "tsconfig.tsbuildinfo"), { throwIfNoEntry: false })?.mtimeMs;
    return builtAt === undefined || builtAt <= bundledAt;
  });
}

function runBundle(file: string): void {
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
}
