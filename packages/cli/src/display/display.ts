/**
 * Entry point for the CLI: picks the display the Pulumi CLI would use for the given flags and
 * prints the banner. Pure: all output goes through `write`, time through `now`.
 */
import type { EngineEvent, EngineEventBody } from "@stackyard/protocol";
import { type ColorMode, colorize } from "./colors.js";
import { createStamper, isStamped } from "./convert.js";
import { DiffDisplay } from "./diff-display.js";
import { JsonEventsDisplay, PreviewDigestDisplay } from "./json-display.js";
import { ProgressDisplay } from "./progress.js";
import { type DisplayKind, actionLabel, renderHeader } from "./summary.js";

export type { DisplayKind } from "./summary.js";

export interface DisplayOptions {
  kind: DisplayKind;
  stackName: string;
  projectName: string;
  isPreview: boolean;
  /** Already resolved: `auto` is the caller's business (see resolveColorMode). */
  color: ColorMode;
  /** `--diff`: the diff-style display instead of the progress display. */
  showDiff: boolean;
  /** `--json`. */
  json: boolean;
  write: (s: string) => void;
  /** Where the diff display sends diagnostics (stderr in the Pulumi CLI); defaults to `write`. */
  writeErr?: (s: string) => void;
  showConfig?: boolean;
  showSames?: boolean;
  showReads?: boolean;
  showReplacementSteps?: boolean;
  showSecrets?: boolean;
  suppressOutputs?: boolean;
  suppressProgress?: boolean;
  /** Leave `(1s)` timings off (deterministic output). */
  suppressTimings?: boolean;
  debug?: boolean;
  /** PULUMI_ENABLE_STREAMING_JSON_PREVIEW: previews stream JSON events too. */
  streamingJsonPreview?: boolean;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

export interface Display {
  /** Accepts stamped events (share one stamper with the event log) or bare bodies. */
  onEvent(e: EngineEventBody | EngineEvent): void;
  /** Heartbeat, about once a second, for long quiet stretches. */
  tick(): void;
  /** The stream ended without a cancelEvent (e.g. the engine threw): flush the closing sections. */
  done(): void;
}

export function createDisplay(options: DisplayOptions): Display {
  const now = options.now ?? Date.now;
  const stamp = createStamper(now);
  const stamped = (e: EngineEventBody | EngineEvent): EngineEvent => (isStamped(e) ? e : stamp(e));
  const action = actionLabel(options.kind, options.isPreview).toLowerCase();
  const isPreview = options.isPreview || options.kind === "preview";

  if (options.json) {
    const r =
      isPreview && !options.streamingJsonPreview
        ? new PreviewDigestDisplay({
            showSames: options.showSames ?? false,
            showReplacementSteps: options.showReplacementSteps ?? false,
            suppressOutputs: options.suppressOutputs ?? false,
            write: options.write,
          })
        : new JsonEventsDisplay(options.color, options.write);
    return {
      onEvent: (e) => r.onEvent(stamped(e)),
      tick: () => undefined,
      done: () => {
        if (r instanceof PreviewDigestDisplay) r.finish();
      },
    };
  }

  options.write(colorize(renderHeader(options.kind, isPreview, options.stackName), options.color));

  const r = options.showDiff
    ? new DiffDisplay({
        action,
        color: options.color,
        showConfig: options.showConfig ?? false,
        showSames: options.showSames ?? false,
        showReplacementSteps: options.showReplacementSteps ?? false,
        showSecrets: options.showSecrets ?? false,
        suppressOutputs: options.suppressOutputs ?? false,
        suppressProgress: options.suppressProgress ?? false,
        debug: options.debug ?? false,
        write: options.write,
        writeErr: options.writeErr ?? options.write,
      })
    : new ProgressDisplay({
        action,
        stackName: options.stackName,
        projectName: options.projectName,
        isPreview,
        color: options.color,
        showConfig: options.showConfig ?? false,
        showSames: options.showSames ?? false,
        showReads: options.showReads ?? false,
        showSecrets: options.showSecrets ?? false,
        suppressOutputs: options.suppressOutputs ?? false,
        suppressProgress: options.suppressProgress ?? false,
        suppressTimings: options.suppressTimings ?? false,
        debug: options.debug ?? false,
        write: options.write,
        now,
      });
  return {
    onEvent: (e) => r.onEvent(e),
    tick: () => r.tick(),
    done: () => r.finish(),
  };
}
