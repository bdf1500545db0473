/**
 * A typed, promise-based view of one provider plugin's `pulumirpc.ResourceProvider` service, plus
 * what it told us about itself at Configure time (which decides how values are sent to it).
 */
import type { DiffKind, PropertyDiff } from "@stackyard/protocol";
import { GrpcStatus } from "../rpc/grpc-status.js";
import { emptyPb, fromStruct, pluginPb, providerPb, statusPb, toStruct, type Message, type MessageClass, type PropertyObject } from "../rpc/proto.js";
import { GrpcCallError, UnaryClient } from "../rpc/unary-client.js";
import { remarkSecretOutputs, unwrapSecretsInMap } from "../properties/values.js";

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
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

const DIFF_KINDS: DiffKind[] = ["add", "add-replace", "delete", "delete-replace", "update", "update-replace"];

const SERVICE = "/pulumirpc.ResourceProvider/";

export function isUnimplemented(err: unknown): boolean {
  return err instanceof GrpcCallError && err.code === GrpcStatus.UNIMPLEMENTED;
}

/** Pulls `ErrorResourceInitFailed` out of a gRPC error's status details, if the provider sent one. */
function initErrorFrom(err: GrpcCallError): ResourceInitError | undefined {
  if (!err.statusDetails) return undefined;
  const status = statusPb.Status.deserializeBinary(err.statusDetails);
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
  if (err instanceof GrpcCallError) return initErrorFrom(err) ?? new ProviderRpcError(err.details || err.message, err.code);
  return err instanceof Error ? err : new Error(String(err));
}

export class ProviderClient {
  private readonly client: UnaryClient;
  capabilities: ConfigureResult = { acceptSecrets: false, acceptResources: false, acceptOutputs: false, supportsPreview: false };

  constructor(readonly pkg: string, address: string) {
    this.client = new UnaryClient(address, { maxMessageBytes: 400 * 1024 * 1024 });
  }

  /** Waits until the plugin's server accepts connections. */
  waitForReady(timeoutMs = 30_000): Promise<void> {
    return this.client.waitForReady(timeoutMs);
  }

  /** Calls one method with a message of the generated stubs and decodes the answer with `response`. */
  private async unary<Res>(method: string, request: Message, response: MessageClass<Res>): Promise<Res> {
    return response.deserializeBinary(await this.client.call(SERVICE + method, request.serializeBinary()));
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
      const info = await this.unary("GetPluginInfo", new emptyPb.Empty(), pluginPb.PluginInfo);
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
      const res = await this.unary("CheckConfig", req, providerPb.CheckResponse);
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
      return diffResult(await this.unary("DiffConfig", req, providerPb.DiffResponse));
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
      const res = await this.unary("Configure", req, providerPb.ConfigureResponse);
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
      const result = checkResult(await this.unary("Check", req, providerPb.CheckResponse));
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
      return diffResult(await this.unary("Diff", req, providerPb.DiffResponse));
    } catch (err) {
      throw providerError(err);
    }
  }

  async create(args: { urn: string; name: string; type: string; properties: PropertyObject; timeout: number; preview: boolean }): Promise<{ id: string; properties: PropertyObject }> {
    const req = new providerPb.CreateRequest();
    req.setUrn(args.urn).setName(args.name).setType(args.type).setProperties(toStruct(this.prepare(args.properties)));
    req.setTimeout(args.timeout).setPreview(args.preview);
    try {
      const res = await this.unary("Create", req, providerPb.CreateResponse);
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
      const res = await this.unary("Read", req, providerPb.ReadResponse);
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
      const res = await this.unary("Update", req, providerPb.UpdateResponse);
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
      await this.unary("Delete", req, emptyPb.Empty);
    } catch (err) {
      throw providerError(err);
    }
  }

  async invoke(tok: string, args: PropertyObject, preview: boolean): Promise<{ result: PropertyObject; failures: CheckFailure[] }> {
    const req = new providerPb.InvokeRequest();
    req.setTok(tok).setArgs(toStruct(this.prepare(args))).setPreview(preview);
    try {
      const res = await this.unary("Invoke", req, providerPb.InvokeResponse);
      return { result: fromStruct(res.getReturn()), failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })) };
    } catch (err) {
      throw providerError(err);
    }
  }

  /** Forwards a prepared Construct request (remote components). */
  async construct(req: InstanceType<typeof providerPb.ConstructRequest>): Promise<InstanceType<typeof providerPb.ConstructResponse>> {
    try {
      return await this.unary("Construct", req, providerPb.ConstructResponse);
    } catch (err) {
      throw providerError(err);
    }
  }

  async call(req: InstanceType<typeof providerPb.CallRequest>): Promise<InstanceType<typeof providerPb.CallResponse>> {
    try {
      return await this.unary("Call", req, providerPb.CallResponse);
    } catch (err) {
      throw providerError(err);
    }
  }

  async cancel(): Promise<void> {
    try {
      await this.unary("Cancel", new emptyPb.Empty(), emptyPb.Empty);
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
