/**
 * What a program asks for when it registers a resource, decoded from the wire into plain data.
 * Everything the planner decides on is here; nothing here talks to anyone.
 */
import { makeUrn, parentTypeForChildren } from "../urn.js";
import { aliasPb, fromStruct, resourcePb, type PropertyObject } from "../rpc/proto.js";
import { resolveOutputValues } from "../properties/values.js";

export interface AliasSpec {
  urn?: string;
  name?: string;
  type?: string;
  stack?: string;
  project?: string;
  parentUrn?: string;
  noParent?: boolean;
}

export interface CustomTimeouts {
  create?: number;
  update?: number;
  delete?: number;
  read?: number;
}

export interface RegistrationGoal {
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  remote: boolean;
  inputs: PropertyObject;
  /** Inputs as sent, output values intact (Construct forwards these). */
  rawInputs: PropertyObject;
  protect: boolean | undefined;
  dependencies: string[];
  provider: string;
  providers: Record<string, string>;
  propertyDependencies: Record<string, string[]>;
  deleteBeforeReplace: boolean | undefined;
  version: string;
  pluginDownloadURL: string;
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  aliases: AliasSpec[];
  importId: string;
  customTimeouts: CustomTimeouts;
  replaceOnChanges: string[];
  retainOnDelete: boolean | undefined;
  deletedWith: string;
  replaceWith: string[];
  hideDiffs: string[];
  acceptSecrets: boolean;
  acceptResources: boolean;
  supportsResultReporting: boolean;
  /** `pulumi import`: take inputs from the provider's Read, keeping these properties (all when empty). */
  importProperties?: string[];
}

/** A goal with every option at its default, for registrations the engine makes itself. */
export function emptyGoal(type: string, name: string, parent: string, custom: boolean): RegistrationGoal {
  return {
    type,
    name,
    parent,
    custom,
    remote: false,
    inputs: {},
    rawInputs: {},
    protect: undefined,
    dependencies: [],
    provider: "",
    providers: {},
    propertyDependencies: {},
    deleteBeforeReplace: undefined,
    version: "",
    pluginDownloadURL: "",
    ignoreChanges: [],
    additionalSecretOutputs: [],
    aliases: [],
    importId: "",
    customTimeouts: {},
    replaceOnChanges: [],
    retainOnDelete: undefined,
    deletedWith: "",
    replaceWith: [],
    hideDiffs: [],
    acceptSecrets: true,
    acceptResources: true,
    supportsResultReporting: true,
  };
}

/** Go-style duration strings ("5m", "1h30m", "10s") to seconds; 0 when empty. */
export function parseDuration(text: string): number {
  if (!text) return 0;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = re.exec(text)) !== null) {
    const n = Number(match[1]);
    const unit = match[2];
    const factor = unit === "h" ? 3600 : unit === "m" ? 60 : unit === "s" ? 1 : unit === "ms" ? 1e-3 : unit === "ns" ? 1e-9 : 1e-6;
    total += n * factor;
    consumed += match[0].length;
  }
  if (consumed !== text.length) throw new Error(`invalid duration '${text}'`);
  return total;
}

function timeouts(t: InstanceType<typeof resourcePb.RegisterResourceRequest.CustomTimeouts> | undefined): CustomTimeouts {
  if (!t) return {};
  const out: CustomTimeouts = {};
  const set = (k: keyof CustomTimeouts, v: string) => {
    const seconds = parseDuration(v);
    if (seconds > 0) out[k] = seconds;
  };
  set("create", t.getCreate());
  set("update", t.getUpdate());
  set("delete", t.getDelete());
  set("read", t.getRead());
  return out;
}

function aliasSpec(alias: InstanceType<typeof aliasPb.Alias>): AliasSpec {
  if (alias.getAliasCase() === aliasPb.Alias.AliasCase.URN) return { urn: alias.getUrn() };
  const spec = alias.getSpec();
  if (!spec) return {};
  const out: AliasSpec = {};
  if (spec.getName()) out.name = spec.getName();
  if (spec.getType()) out.type = spec.getType();
  if (spec.getStack()) out.stack = spec.getStack();
  if (spec.getProject()) out.project = spec.getProject();
  if (spec.getParentCase() === aliasPb.Alias.Spec.ParentCase.PARENTURN) out.parentUrn = spec.getParenturn();
  if (spec.getParentCase() === aliasPb.Alias.Spec.ParentCase.NOPARENT) out.noParent = spec.getNoparent();
  return out;
}

export function decodeRegistration(req: InstanceType<typeof resourcePb.RegisterResourceRequest>): RegistrationGoal {
  const rawInputs = fromStruct(req.getObject());
  const outputDeps = new Set<string>();
  const inputs = req.getRemote() ? rawInputs : (resolveOutputValues(rawInputs, outputDeps) as PropertyObject);
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  const dependencies = req.getDependenciesList();
  for (const dep of outputDeps) if (!dependencies.includes(dep)) dependencies.push(dep);
  const providers: Record<string, string> = {};
  req.getProvidersMap().forEach((ref, pkg) => {
    providers[pkg] = ref;
  });
  const aliases: AliasSpec[] = req.getAliasesList().map(aliasSpec);
  for (const urn of req.getAliasurnsList()) aliases.push({ urn });
  return {
    type: req.getType(),
    name: req.getName(),
    parent: req.getParent(),
    custom: req.getCustom(),
    remote: req.getRemote(),
    inputs,
    rawInputs,
    protect: req.hasProtect() ? req.getProtect() : undefined,
    dependencies,
    provider: req.getProvider(),
    providers,
    propertyDependencies,
    deleteBeforeReplace: req.getDeletebeforereplacedefined() || req.getDeletebeforereplace() ? req.getDeletebeforereplace() : undefined,
    version: req.getVersion(),
    pluginDownloadURL: req.getPlugindownloadurl(),
    ignoreChanges: req.getIgnorechangesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    aliases,
    importId: req.getImportid(),
    customTimeouts: timeouts(req.getCustomtimeouts()),
    replaceOnChanges: req.getReplaceonchangesList(),
    retainOnDelete: req.hasRetainondelete() ? req.getRetainondelete() : undefined,
    deletedWith: req.getDeletedwith(),
    replaceWith: req.getReplaceWithList(),
    hideDiffs: req.getHidediffsList(),
    acceptSecrets: req.getAcceptsecrets(),
    acceptResources: req.getAcceptresources(),
    supportsResultReporting: req.getSupportsresultreporting(),
  };
}

/** The URNs an alias spec stands for, given the resource's own identity (§4.8). */
export function aliasUrn(
  alias: AliasSpec,
  self: { stack: string; project: string; type: string; name: string; parent: string },
): string {
  if (alias.urn) return alias.urn;
  const parent = alias.noParent ? "" : (alias.parentUrn ?? self.parent);
  return makeUrn(
    alias.stack ?? self.stack,
    alias.project ?? self.project,
    parentTypeForChildren(parent || undefined),
    alias.type ?? self.type,
    alias.name ?? self.name,
  );
}
