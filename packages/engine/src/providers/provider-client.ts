/**
 * A typed, promise-based view of one provider plugin's `pulumirpc.ResourceProvider` service, plus
 * what it told us about itself at Configure time (which decides how values are sent to it).
 */
import * as grpc from "@grpc/grpc-js";
import type { DiffKind, PropertyDiff } from "@stackyard/protocol";
import { emptyPb, fromStruct, providerGrpc, providerPb, statusPb, toStruct, type PropertyObject } from "../rpc/proto.js";
import { remarkSecretOutputs, unwrapSecretsInMap } from "../properties/values.js";

type Client = InstanceType<typeof providerGrpc.ResourceProviderClient>;

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface CheckResult {
  inputs: PropertyObject;
  failures: CheckFailure[];
}

export type DiffChanges = "unknown" | "none" | "some";

export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
  changedKeys: string[];
  detailedDiff?: Record<string, PropertyDiff>;
}

export interface ConfigureResult {
  acceptSecrets: boolean;
  acceptResources: boolean;
  acceptOutputs: boolean;
  supportsPreview: boolean;
}

/** A provider operation failed after the resource was created: record it, report the failure. */
export class ResourceInitError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: PropertyObject,
    readonly reasons: string[],
    readonly inputs: PropertyObject | undefined,
  ) {
    super(message);
  }
}

export class ProviderRpcError extends Error {
  constructor(message: string, readonly code: grpc.status) {
    super(message);
  }
}

const DIFF_KINDS: DiffKind[] = ["add", "add-replace", "delete", "delete-replace", "update", "update-replace"];

/** Calls one unary method on the client and turns the callback into a promise. */
function unary<Req, Res>(client: Client, method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => void>)[method]!;
    fn.call(client, request, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export function isUnimplemented(err: unknown): boolean {
  return (err as grpc.ServiceError | undefined)?.code === grpc.status.UNIMPLEMENTED;
}

/** Pulls `ErrorResourceInitFailed` out of a gRPC error's status details, if the provider sent one. */
function initErrorFrom(err: grpc.ServiceError): ResourceInitError | undefined {
  const raw = err.metadata?.get("grpc-status-details-bin")?.[0];
  if (!raw) return undefined;
  const status = statusPb.Status.deserializeBinary(typeof raw === "string" ? Buffer.from(raw, "base64") : raw);
  for (const detail of status.getDetailsList()) {
    if (!detail.getTypeUrl().endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
    const info = providerPb.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
    return new ResourceInitError(
      err.details || status.getMessage(),
      info.getId(),
      fromStruct(info.getProperties()),
      info.getReasonsList(),
      info.hasInputs() ? fromStruct(info.getInputs()) : undefined,
    );
  }
  return undefined;
}

function providerError(err: unknown): Error {
  const e = err as grpc.ServiceError;
  if (e && typeof e.code === "number") return initErrorFrom(e) ?? new ProviderRpcError(e.details || e.message, e.code);
  return err instanceof Error ? err : new Error(String(err));
}

export class ProviderClient {
  private readonly client: Client;
  capabilities: ConfigureResult = { acceptSecrets: false, acceptResources: false, acceptOutputs: false, supportsPreview: false };

  constructor(readonly pkg: string, address: string) {
    this.client = new providerGrpc.ResourceProviderClient(address, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
      // Loopback to a local plugin: retries and channelz only add per-call work on the hot path.
      "grpc.enable_retries": 0,
      "grpc.enable_channelz": 0,
    });
  }

  /** Waits until the plugin's server accepts connections. */
  waitForReady(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }

  /** Values as this provider can take them: secrets stripped unless it accepts them. */
  prepare(props: PropertyObject): PropertyObject {
    return this.capabilities.acceptSecrets ? props : unwrapSecretsInMap(props);
  }

  /**
   * What a provider that cannot take secrets sends back is re-marked from what it was sent, so a
   * secret input does not come back as plaintext in checked inputs, outputs or read state.
   */
  private remark(sent: PropertyObject | undefined, received: PropertyObject): PropertyObject {
    return this.capabilities.acceptSecrets || !sent ? received : remarkSecretOutputs(sent, received);
  }

  async getPluginVersion(): Promise<string> {
    try {
      const info = await unary<unknown, InstanceType<typeof import("../rpc/proto.js").pluginPb.PluginInfo>>(
        this.client,
        "getPluginInfo",
        new emptyPb.Empty(),
      );
      return info.getVersion();
    } catch (err) {
      if (isUnimplemented(err)) return "";
      throw providerError(err);
    }
  }

  /** Returns undefined when the provider does not implement CheckConfig (news are then taken as is). */
  async checkConfig(urn: string, name: string, type: string, olds: PropertyObject, news: PropertyObject): Promise<CheckResult | undefined> {
    const req = new providerPb.CheckRequest();
    req.setUrn(urn).setName(name).setType(type).setOlds(toStruct(olds)).setNews(toStruct(news));
    try {
      const res = await unary<typeof req, InstanceType<typeof providerPb.CheckResponse>>(this.client, "checkConfig", req);
      return checkResult(res);
    } catch (err) {
      if (isUnimplemented(err)) return undefined;
      throw providerError(err);
    }
  }

  async diffConfig(urn: string, name: string, type: string, oldInputs: PropertyObject, oldOutputs: PropertyObject, news: PropertyObject): Promise<DiffResult | undefined> {
    const req = new providerPb.DiffRequest();
    req.setUrn(urn).setName(name).setType(type).setOldInputs(toStruct(oldInputs)).setOlds(toStruct(oldOutputs)).setNews(toStruct(news));
    try {
      return diffResult(await unary(this.client, "diffConfig", req));
    } catch (err) {
      if (isUnimplemented(err)) return undefined;
      throw providerError(err);
    }
  }

  async configure(args: PropertyObject, variables: Record<string, string>, identity: { urn: string; name: string; type: string; id: string }): Promise<ConfigureResult> {
    const req = new providerPb.ConfigureRequest();
    req.setArgs(toStruct(args)).setAcceptsecrets(true).setAcceptresources(true).setSendsOldInputs(true).setSendsOldInputsToDelete(true);
    req.setUrn(identity.urn).setName(identity.name).setType(identity.type).setId(identity.id);
    const vars = req.getVariablesMap();
    for (const [k, v] of Object.entries(variables)) vars.set(k, v);
    try {
      const res = await unary<typeof req, InstanceType<typeof providerPb.ConfigureResponse>>(this.client, "configure", req);
      this.capabilities = {
        acceptSecrets: res.getAcceptsecrets(),
        acceptResources: res.getAcceptresources(),
        acceptOutputs: res.getAcceptoutputs(),
        supportsPreview: res.getSupportspreview(),
      };
      return this.capabilities;
    } catch (err) {
      throw providerError(err);
    }
  }

  async check(urn: string, name: string, type: string, olds: PropertyObject | undefined, news: PropertyObject, randomSeed: Uint8Array, oldOutputs?: PropertyObject): Promise<CheckResult> {
    const req = new providerPb.CheckRequest();
    req.setUrn(urn).setName(name).setType(type).setNews(toStruct(this.prepare(news))).setRandomseed(randomSeed);
    req.setOlds(toStruct(this.prepare(olds ?? {})));
    if (oldOutputs) req.setOldOutputs(toStruct(this.prepare(oldOutputs)));
    try {
      const result = checkResult(await unary(this.client, "check", req));
      return { ...result, inputs: this.remark(news, result.inputs) };
    } catch (err) {
      throw providerError(err);
    }
  }

  async diff(args: { id: string; urn: string; name: string; type: string; oldInputs: PropertyObject; oldOutputs: PropertyObject; news: PropertyObject; ignoreChanges: string[] }): Promise<DiffResult> {
    const req = new providerPb.DiffRequest();
    req.setId(args.id).setUrn(args.urn).setName(args.name).setType(args.type);
    req.setOlds(toStruct(this.prepare(args.oldOutputs))).setNews(toStruct(this.prepare(args.news))).setOldInputs(toStruct(this.prepare(args.oldInputs)));
    req.setIgnorechangesList(args.ignoreChanges);
    try {
      return diffResult(await unary(this.client, "diff", req));
    } catch (err) {
      throw providerError(err);
    }
  }

  async create(args: { urn: string; name: string; type: string; properties: PropertyObject; timeout: number; preview: boolean }): Promise<{ id: string; properties: PropertyObject }> {
    const req = new providerPb.CreateRequest();
    req.setUrn(args.urn).setName(args.name).setType(args.type).setProperties(toStruct(this.prepare(args.properties)));
    req.setTimeout(args.timeout).setPreview(args.preview);
    try {
      const res = await unary<typeof req, InstanceType<typeof providerPb.CreateResponse>>(this.client, "create", req);
      return { id: res.getId(), properties: this.remark(args.properties, fromStruct(res.getProperties())) };
    } catch (err) {
      throw providerError(err);
    }
  }

  async read(args: { id: string; urn: string; name: string; type: string; state: PropertyObject; inputs: PropertyObject | undefined; timeout?: number }): Promise<{ id: string; properties: PropertyObject; inputs: PropertyObject | undefined }> {
    const req = new providerPb.ReadRequest();
    req.setId(args.id).setUrn(args.urn).setName(args.name).setType(args.type).setProperties(toStruct(this.prepare(args.state)));
    if (args.inputs) req.setInputs(toStruct(this.prepare(args.inputs)));
    try {
      const res = await unary<typeof req, InstanceType<typeof providerPb.ReadResponse>>(this.client, "read", req);
      return {
        id: res.getId(),
        properties: this.remark(args.state, fromStruct(res.getProperties())),
        inputs: res.hasInputs() ? this.remark(args.inputs ?? args.state, fromStruct(res.getInputs())) : undefined,
      };
    } catch (err) {
      throw providerError(err);
    }
  }

  async update(args: { id: string; urn: string; name: string; type: string; oldInputs: PropertyObject; oldOutputs: PropertyObject; news: PropertyObject; timeout: number; ignoreChanges: string[]; preview: boolean }): Promise<PropertyObject> {
    const req = new providerPb.UpdateRequest();
    req.setId(args.id).setUrn(args.urn).setName(args.name).setType(args.type);
    req.setOlds(toStruct(this.prepare(args.oldOutputs))).setNews(toStruct(this.prepare(args.news))).setOldInputs(toStruct(this.prepare(args.oldInputs)));
    req.setTimeout(args.timeout).setIgnorechangesList(args.ignoreChanges).setPreview(args.preview);
    try {
      const res = await unary<typeof req, InstanceType<typeof providerPb.UpdateResponse>>(this.client, "update", req);
      return this.remark(args.news, fromStruct(res.getProperties()));
    } catch (err) {
      throw providerError(err);
    }
  }

  async delete(args: { id: string; urn: string; name: string; type: string; oldInputs: PropertyObject; oldOutputs: PropertyObject; timeout: number }): Promise<void> {
    const req = new providerPb.DeleteRequest();
    req.setId(args.id).setUrn(args.urn).setName(args.name).setType(args.type);
    req.setProperties(toStruct(this.prepare(args.oldOutputs))).setOldInputs(toStruct(this.prepare(args.oldInputs))).setTimeout(args.timeout);
    try {
      await unary(this.client, "delete", req);
    } catch (err) {
      throw providerError(err);
    }
  }

  async invoke(tok: string, args: PropertyObject, preview: boolean): Promise<{ result: PropertyObject; failures: CheckFailure[] }> {
    const req = new providerPb.InvokeRequest();
    req.setTok(tok).setArgs(toStruct(this.prepare(args))).setPreview(preview);
    try {
      const res = await unary<typeof req, InstanceType<typeof providerPb.InvokeResponse>>(this.client, "invoke", req);
      return { result: fromStruct(res.getReturn()), failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })) };
    } catch (err) {
      throw providerError(err);
    }
  }

  /** Forwards a prepared Construct request (remote components). */
  async construct(req: InstanceType<typeof providerPb.ConstructRequest>): Promise<InstanceType<typeof providerPb.ConstructResponse>> {
    try {
      return await unary(this.client, "construct", req);
    } catch (err) {
      throw providerError(err);
    }
  }

  async call(req: InstanceType<typeof providerPb.CallRequest>): Promise<InstanceType<typeof providerPb.CallResponse>> {
    try {
      return await unary(this.client, "call", req);
    } catch (err) {
      throw providerError(err);
    }
  }

  async cancel(): Promise<void> {
    try {
      await unary(this.client, "cancel", new emptyPb.Empty());
    } catch {
      // Cancel is advisory; a provider that cannot cancel simply finishes.
    }
  }
}

function checkResult(res: InstanceType<typeof providerPb.CheckResponse>): CheckResult {
  return {
    inputs: fromStruct(res.getInputs()),
    failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
  };
}

function diffResult(res: InstanceType<typeof providerPb.DiffResponse>): DiffResult {
  const changes = res.getChanges();
  const result: DiffResult = {
    changes: changes === 2 ? "some" : changes === 1 ? "none" : "unknown",
    replaces: res.getReplacesList(),
    stables: res.getStablesList(),
    deleteBeforeReplace: res.getDeletebeforereplace(),
    changedKeys: res.getDiffsList(),
  };
  if (res.getHasdetaileddiff()) {
    const detailed: Record<string, PropertyDiff> = {};
    res.getDetaileddiffMap().forEach((d, path) => {
      detailed[path] = { diffKind: DIFF_KINDS[d.getKind()] ?? "update", inputDiff: d.getInputdiff() };
    });
    result.detailedDiff = detailed;
  }
  return result;
}
