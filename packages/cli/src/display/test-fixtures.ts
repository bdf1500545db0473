/** Event builders shared by the display tests (not used by the CLI itself). */
import type { EngineEventBody, StepEventMetadata, StepEventStateMetadata, StepOp } from "@stackyard/protocol";
import { SECRET_SIG, SIG_KEY } from "@stackyard/protocol";

export const STACK_URN = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev";
export const PROVIDER_URN = "urn:pulumi:dev::proj::pulumi:providers:random::default_4_16_0";
export const PROVIDER_REF = `${PROVIDER_URN}::0b1c2d3e`;

export const urnOf = (type: string, name: string, parentType?: string): string =>
  `urn:pulumi:dev::proj::${parentType ? `${parentType}$` : ""}${type}::${name}`;

export const blindedSecret = { [SIG_KEY]: SECRET_SIG, ciphertext: "[secret]" };

export function state(urn: string, type: string, p: Partial<StepEventStateMetadata> = {}): StepEventStateMetadata {
  return { type, urn, custom: type !== "pulumi:pulumi:Stack", id: "", parent: "", inputs: {}, outputs: {}, provider: "", ...p };
}

export function meta(
  op: StepOp,
  urn: string,
  type: string,
  old: StepEventStateMetadata | null,
  nu: StepEventStateMetadata | null,
  extra: Partial<StepEventMetadata> = {},
): StepEventMetadata {
  return { op, urn, type, old, new: nu, detailedDiff: null, provider: "", ...extra };
}

export const pre = (m: StepEventMetadata, planning = false): EngineEventBody => ({ resourcePreEvent: { metadata: m, planning } });
export const outs = (m: StepEventMetadata, planning = false): EngineEventBody => ({ resOutputsEvent: { metadata: m, planning } });
export const failed = (m: StepEventMetadata): EngineEventBody => ({ resOpFailedEvent: { metadata: m, status: 1, steps: 0 } });
export const prelude = (config: Record<string, string> = {}): EngineEventBody => ({ preludeEvent: { config } });
export const cancel: EngineEventBody = { cancelEvent: {} };

export function summary(resourceChanges: Record<string, number>, isPreview: boolean, durationSeconds = 2): EngineEventBody {
  return {
    summaryEvent: {
      maybeCorrupt: false,
      durationSeconds,
      resourceChanges,
      PolicyPacks: {},
      isPreview,
      result: "succeeded",
    },
  };
}

export function diag(
  message: string,
  severity: "info" | "warning" | "error" | "debug" | "info#err",
  urn?: string,
  ephemeral = false,
): EngineEventBody {
  const prefix = severity === "error" || severity === "warning" || severity === "debug"
    ? `<{%fg ${severity === "error" ? 1 : 3}%}>${severity}: <{%reset%}>`
    : undefined;
  return {
    diagnosticEvent: {
      ...(urn ? { urn } : {}),
      ...(prefix ? { prefix } : {}),
      message: `<{%reset%}>${message}<{%reset%}>\n`,
      color: "raw",
      severity,
      ...(ephemeral ? { ephemeral } : {}),
    },
  };
}

/** A fake clock the tests advance by hand. */
export function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}
