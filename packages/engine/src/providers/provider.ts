/** What the planner and executor need from a provider, whether a plugin process or built in. */
import type { ProviderClient } from "./provider-client.js";

export type Provider = Pick<
  ProviderClient,
  | "pkg"
  | "capabilities"
  | "prepare"
  | "checkConfig"
  | "diffConfig"
  | "configure"
  | "check"
  | "diff"
  | "create"
  | "read"
  | "update"
  | "delete"
  | "invoke"
  | "construct"
  | "call"
  | "cancel"
  | "getPluginVersion"
>;
