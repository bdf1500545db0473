// Builds the CLI's start-up bundles and their V8 code caches (see src/launch/bundles.cts). Run after
// `tsc -b`, from `npm run build`.
//
// dist/bundle/cli.cjs, what every command runs:
// What goes in: the CLI's own modules and the light parts of the engine it imports (versions,
// secrets, required plugins), with commander, yaml and semver. What stays out, loaded from
// node_modules and the packages' dist when first used: the engine's entry point, the service, every
// other npm package, and the launcher's own CommonJS modules (one instance, shared with the bundle).
//
// dist/bundle/engine.cjs, what a command that runs the engine loads next (src/launch/import-module.cts):
// the engine's entry point with everything it imports, the generated protocol messages included.
import { readFileSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { Script } from "node:vm";
import * as esbuild from "esbuild";

const cliRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(cliRoot, "dist", "bundle");
const outFile = join(outDir, "cli.cjs");
const engineOutFile = join(outDir, "engine.cjs");

const BUNDLED_PACKAGES = /^(commander|yaml|semver)(\/|$)/;
/** Heavy entry points of our packages, loaded on demand through importModule(). */
const ON_DEMAND = /^@stackyard\/(engine$|service(\/|$))/;

const placement = {
  name: "stackyard-cli-placement",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:")) return undefined;
      if (ON_DEMAND.test(args.path)) {
        throw new Error(`${relative(cliRoot, args.importer)} imports ${args.path}: load it with importModule() (src/launch/import-module.cts), so that light commands never load it`);
      }
      if (args.path.startsWith("@stackyard/") || BUNDLED_PACKAGES.test(args.path)) return undefined;
      if (args.kind === "dynamic-import") {
        throw new Error(`${relative(cliRoot, args.importer)} has import("${args.path}"), which fails in the bundle under Node 20: use importModule() (src/launch/import-module.cts)`);
      }
      return { path: args.path, external: true };
    });
    build.onResolve({ filter: /\.cjs$/ }, (args) => {
      const fromBundle = relative(outDir, join(args.resolveDir, args.path));
      return { path: fromBundle.startsWith(".") ? fromBundle : `./${fromBundle}`, external: true };
    });
    // A bundled module sees the bundle's location, not its own: refuse paths computed from it.
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const contents = readFileSync(args.path, "utf8");
      if (contents.includes("import.meta")) {
        throw new Error(`${relative(cliRoot, args.path)} uses import.meta, which is wrong once bundled: move that code behind importModule() (src/launch/import-module.cts)`);
      }
      return { contents, loader: "js" };
    });
  },
};

/** What both bundles are: one CommonJS file each, run by Node 20 through `vm.Script`. */
const commonJsBundle = { bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning" };

await esbuild.build({
  ...commonJsBundle,
  entryPoints: [join(cliRoot, "dist", "main.js")],
  outfile: outFile,
  plugins: [placement],
});

await esbuild.build({
  ...commonJsBundle,
  entryPoints: [join(cliRoot, "..", "engine", "dist", "index.js")],
  outfile: engineOutFile,
  plugins: [
    {
      name: "stackyard-engine-placement",
      setup(build) {
        // One instance for the engine and the CLI, which preboots its worker before the bundle loads.
        build.onResolve({ filter: /\/engine-service\.cjs$/ }, (args) => ({ path: relative(outDir, join(args.resolveDir, args.path)), external: true }));
        // The engine finds files beside its modules (its Engine service worker, a preload for
        // programs) from import.meta.url: in the bundle, that is the URL of the module it came from.
        build.onLoad({ filter: /\.js$/ }, (args) => {
          const contents = readFileSync(args.path, "utf8");
          if (!contents.includes("import.meta")) return { contents, loader: "js" };
          const fromBundle = JSON.stringify(relative(outDir, args.path));
          const moduleUrl = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${fromBundle})).href`;
          const rewritten = contents.replaceAll("import.meta.url", moduleUrl);
          if (rewritten.includes("import.meta")) throw new Error(`${args.path} uses import.meta beyond import.meta.url, which the engine bundle cannot keep`);
          return { contents: rewritten, loader: "js" };
        });
      },
    },
  ],
});

// Each cache is made with every function compiled (not only those one command happens to run), so
// that all commands start from it. V8 rejects it if the bundle or Node changes; then the launcher
// compiles as usual. The flag goes back before the cache is written, because V8 stamps a cache with
// the flags in force and rejects it under others.
for (const file of [outFile, engineOutFile]) {
  setFlagsFromString("--no-lazy");
  const script = new Script(Module.wrap(readFileSync(file, "utf8")), { filename: file });
  setFlagsFromString("--lazy");
  writeFileSync(`${file}.cache`, script.createCachedData());
}
