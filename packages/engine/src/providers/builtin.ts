/**
 * The `pulumi` package the engine serves itself: StackReference reads and the `pulumi:pulumi:*`
 * invokes the SDK uses to look resources and other stacks up.
 */
import { GrpcStatus } from "../rpc/grpc-status.js";
import { ProviderRpcError, type CheckResult, type ConfigureResult, type DiffResult } from "./provider-client.js";
import type { Provider } from "./provider.js";
import type { PropertyObject } from "../properties/values.js";
import { makeSecret } from "../properties/values.js";

export interface BuiltinHost {
  readStackOutputs?(name: string): Promise<{ outputs: Record<string, unknown>; secretOutputNames: string[] }>;
  /** A resource registered in this deployment (or recorded in the last one), as the SDK rehydrates it. */
  getResource(urn: string): { urn: string; id?: string; state: PropertyObject } | undefined;
}

function unsupported(what: string): never {
  throw new ProviderRpcError(`the builtin 'pulumi' provider does not support ${what}`, GrpcStatus.UNIMPLEMENTED);
}

export class BuiltinProvider implements Provider {
  readonly pkg = "pulumi";
  capabilities: ConfigureResult = { acceptSecrets: true, acceptResources: true, acceptOutputs: false, supportsPreview: true };

  constructor(private readonly host: BuiltinHost) {}

  prepare(props: PropertyObject): PropertyObject {
    return props;
  }
  async getPluginVersion(): Promise<string> {
    return "";
  }
  async checkConfig(): Promise<CheckResult | undefined> {
    return undefined;
  }
  async diffConfig(): Promise<DiffResult | undefined> {
    return undefined;
  }
  async configure(): Promise<ConfigureResult> {
    return this.capabilities;
  }
  async check(_urn: string, _name: string, type: string, _olds: PropertyObject | undefined, news: PropertyObject): Promise<CheckResult> {
    if (type !== "pulumi:pulumi:StackReference") unsupported(`resources of type ${type}`);
    return { inputs: news, failures: typeof news["name"] === "string" ? [] : [{ property: "name", reason: "missing required property 'name'" }] };
  }
  async diff(args: { oldInputs: PropertyObject; news: PropertyObject }): Promise<DiffResult> {
    const changed = args.oldInputs["name"] !== args.news["name"];
    return { changes: changed ? "some" : "none", replaces: changed ? ["name"] : [], stables: [], deleteBeforeReplace: false, changedKeys: changed ? ["name"] : [] };
  }
  async create(): Promise<{ id: string; properties: PropertyObject }> {
    return unsupported("Create");
  }
  async update(): Promise<PropertyObject> {
    return unsupported("Update");
  }
  async delete(): Promise<void> {}
  async read(args: { id: string; type: string; inputs: PropertyObject | undefined }): Promise<{ id: string; properties: PropertyObject; inputs: PropertyObject | undefined }> {
    if (args.type !== "pulumi:pulumi:StackReference") unsupported(`reading ${args.type}`);
    const name = typeof args.inputs?.["name"] === "string" ? args.inputs["name"] : args.id;
    return { id: name, properties: await this.stackOutputs(name), inputs: { name } };
  }

  private async stackOutputs(name: string): Promise<PropertyObject> {
    if (!this.host.readStackOutputs) throw new Error(`unknown stack "${name}": stack references are not available here`);
    const { outputs, secretOutputNames } = await this.host.readStackOutputs(name);
    const wrapped: PropertyObject = {};
    for (const [k, v] of Object.entries(outputs)) wrapped[k] = secretOutputNames.includes(k) ? makeSecret(v) : v;
    return { name, outputs: wrapped, secretOutputNames };
  }

  async invoke(tok: string, args: PropertyObject): Promise<{ result: PropertyObject; failures: { property: string; reason: string }[] }> {
    switch (tok) {
      case "pulumi:pulumi:getResource": {
        const urn = String(args["urn"] ?? "");
        const found = this.host.getResource(urn);
        if (!found) throw new Error(`unknown resource ${urn}`);
        const result: PropertyObject = { urn: found.urn, state: found.state };
        if (found.id !== undefined) result["id"] = found.id;
        return { result, failures: [] };
      }
      case "pulumi:pulumi:readStackOutputs":
        return { result: await this.stackOutputs(String(args["name"] ?? "")), failures: [] };
      default:
        throw new Error(`unknown function ${tok}`);
    }
  }
  construct(): never {
    return unsupported("Construct");
  }
  call(): never {
    return unsupported("Call");
  }
  async cancel(): Promise<void> {}
}
