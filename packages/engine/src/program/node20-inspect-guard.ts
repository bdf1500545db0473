/**
 * Preloaded (`node --import`) into Node.js programs when the engine runs on Node 20.
 *
 * Node 20's `util.inspect(error, { colors: true })` loops until the heap gives out (20-30 s of
 * garbage collection, then a RangeError) when a stack line ends inside a `node_modules` package
 * path, as in `…/node_modules/@pulumi/resource.ts:1687:22)` — which is what the SDK's source maps
 * produce. The SDK inspects every unhandled error that way, so without this guard any failing
 * program hangs for half a minute before it exits. For exactly those errors the guard inspects
 * without colours instead; everything else goes through untouched.
 */
import util from "node:util";

/** A `node_modules` path whose package segment has no separator after it (the case Node 20 mishandles). */
const UNSAFE_LINE = /[\\/]node_modules[\\/](?:@[^\\/\n]*(?:[\\/][^\\/\n]*)?|[^@\\/\n][^\\/\n]*)$/m;

export function hasUnsafeStack(value: unknown): boolean {
  for (let v = value, depth = 0; v !== null && typeof v === "object" && depth < 8; v = (v as { cause?: unknown }).cause, depth++) {
    const stack = (v as { stack?: unknown }).stack;
    if (typeof stack === "string" && UNSAFE_LINE.test(stack)) return true;
  }
  return false;
}

/** Wraps `util.inspect` (a Proxy keeps its properties: `custom`, `defaultOptions`, `colors`, `styles`). */
export function installInspectGuard(): void {
  util.inspect = new Proxy(util.inspect, {
    apply(target, thisArg, args: unknown[]) {
      const [value, options] = args;
      if (options !== null && typeof options === "object" && (options as util.InspectOptions).colors && hasUnsafeStack(value)) {
        return Reflect.apply(target, thisArg, [value, { ...(options as util.InspectOptions), colors: false }, ...args.slice(2)]);
      }
      // The legacy signature: inspect(value, showHidden, depth, colors).
      if (args[3] === true && hasUnsafeStack(value)) return Reflect.apply(target, thisArg, [value, args[1], args[2], false]);
      return Reflect.apply(target, thisArg, args);
    },
  });
}
