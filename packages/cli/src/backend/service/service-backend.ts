/** A Stackyard (Pulumi Cloud compatible) service as the CLI's backend, over its HTTP API. */
import type {
  CapabilitiesResponse,
  DefaultOrganizationResponse,
  ImportStackResponse,
  ListStacksResponse,
  ServiceUser,
  Stack,
  StartUpdateResponse,
  UntypedDeployment,
  UpdateInfo,
  UpdateKind,
  UpdateProgramRequest,
  UpdateProgramResponse,
  UpdateStatusResponse,
} from "@stackyard/protocol";
import type { SecretsManager } from "@stackyard/engine/api";
import {
  type Backend,
  type PreviewSession,
  type StackRef,
  type StackSummary,
  type UpdateMetadata,
  type UpdateSession,
  type UserInfo,
  formatStackRef,
  StackAlreadyExistsError,
} from "../backend.js";
import { isNotFound, ServiceClient, ServiceError } from "./client.js";
import { parseServiceStackRef, stackPath } from "./paths.js";
import { ServiceSecretsManager } from "./secrets.js";
import { ServiceUpdateSession } from "./update-session.js";

/** What the CLI learns about the service when it opens it (Pulumi's start-up block). */
export interface ServiceFacts {
  user: ServiceUser;
  defaultOrg: string;
  capabilities: Set<string>;
}

/** What `whoami -v` shows of the token: absent for a personal token. */
export function tokenInformationOf(user: ServiceUser): UserInfo["tokenInformation"] {
  const t = user.tokenInfo;
  if (!t?.name) return undefined;
  return { name: t.name, ...(t.organization ? { organization: t.organization } : {}), ...(t.team ? { team: t.team } : {}) };
}

/** The journal format this client writes (journal entries instead of checkpoints). */
const JOURNAL_VERSION = 1;
const IMPORT_POLL_MS = 100;

/** Which creation endpoint an update kind uses: resource imports run as updates (§8.9). */
function endpointFor(kind: UpdateKind): string {
  switch (kind) {
    case "preview":
    case "refresh":
    case "destroy":
      return kind;
    default:
      return "update";
  }
}

export class ServiceBackend implements Backend {
  readonly kind = "service" as const;

  constructor(
    readonly url: string,
    private readonly client: ServiceClient,
    private readonly facts: ServiceFacts,
    private readonly engineVersion: string,
  ) {}

  static async open(url: string, token: string, options: { defaultOrg?: string; engineVersion: string; command?: string }): Promise<ServiceBackend> {
    const client = new ServiceClient(url, token);
    const [user, capabilities, defaultOrg] = await Promise.all([
      client.call<ServiceUser>("GET", "/api/user"),
      client
        .call<CapabilitiesResponse>("GET", "/api/capabilities")
        .then((r) => new Set((r?.capabilities ?? []).map((c) => c.capability)))
        .catch(() => new Set<string>()),
      options.defaultOrg
        ? Promise.resolve(options.defaultOrg)
        : client
            .call<DefaultOrganizationResponse>("GET", "/api/user/organizations/default")
            .then((r) => r?.GitHubLogin ?? "")
            .catch((err: unknown) => {
              if (isNotFound(err)) return "";
              throw err;
            }),
    ]);
    return new ServiceBackend(url, client, { user, capabilities, defaultOrg: defaultOrg || user.githubLogin }, options.engineVersion);
  }

  get defaultOrganization(): string {
    return this.facts.defaultOrg;
  }

  parseStackRef(text: string, currentProject: string | undefined): StackRef {
    return parseServiceStackRef(text, currentProject, this.facts.defaultOrg);
  }

  async currentUser(): Promise<UserInfo> {
    const { user } = this.facts;
    const info: UserInfo = { user: user.githubLogin, organizations: (user.organizations ?? []).map((o) => o.githubLogin), url: this.url };
    const tokenInformation = tokenInformationOf(user);
    if (tokenInformation) info.tokenInformation = tokenInformation;
    return info;
  }

  async createStack(ref: StackRef, options: { tags?: Record<string, string>; initialState?: UntypedDeployment }): Promise<void> {
    try {
      await this.client.send("POST", `/api/stacks/${ref.organization}/${ref.project}`, {
        body: { stackName: ref.name, ...(options.tags ? { tags: options.tags } : {}), ...(options.initialState ? { state: options.initialState } : {}) },
      });
    } catch (err) {
      if (err instanceof ServiceError && err.code === 409 && err.serviceMessage.includes("already exists")) {
        throw new StackAlreadyExistsError(formatStackRef(ref));
      }
      throw err;
    }
  }

  private async stack(ref: StackRef): Promise<Stack | undefined> {
    try {
      return await this.client.call<Stack>("GET", stackPath(ref));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async getStack(ref: StackRef): Promise<StackSummary | undefined> {
    const stack = await this.stack(ref);
    if (!stack) return undefined;
    return { ref, url: this.consoleUrl(ref), ...(stack.currentOperation ? { updateInProgress: true } : {}) };
  }

  /** The stack's page in the service's console. */
  private consoleUrl(ref: StackRef): string {
    const enc = encodeURIComponent;
    return `${this.client.baseUrl}/console/#/stacks/${enc(ref.organization)}/${enc(ref.project)}/${enc(ref.name)}`;
  }

  async listStacks(filter: { project?: string; organization?: string; tag?: { name: string; value?: string } }): Promise<StackSummary[]> {
    const out: StackSummary[] = [];
    let continuationToken: string | undefined;
    do {
      const q = new URLSearchParams();
      if (filter.project) q.set("project", filter.project);
      if (filter.organization) q.set("organization", filter.organization);
      if (filter.tag) {
        q.set("tagName", filter.tag.name);
        if (filter.tag.value !== undefined) q.set("tagValue", filter.tag.value);
      }
      if (continuationToken) q.set("continuationToken", continuationToken);
      const query = q.toString();
      const page = await this.client.call<ListStacksResponse>("GET", `/api/user/stacks${query ? `?${query}` : ""}`);
      for (const s of page.stacks ?? []) {
        const ref = { organization: s.orgName, project: s.projectName, name: s.stackName };
        const summary: StackSummary = { ref, url: this.consoleUrl(ref) };
        // 0 is how the service says an update is running.
        if (s.lastUpdate === 0) summary.updateInProgress = true;
        else if (s.lastUpdate !== undefined) summary.lastUpdate = s.lastUpdate;
        if (s.resourceCount !== undefined) summary.resourceCount = s.resourceCount;
        out.push(summary);
      }
      continuationToken = page.continuationToken ?? undefined;
    } while (continuationToken);
    return out;
  }

  async removeStack(ref: StackRef, force: boolean): Promise<void> {
    await this.client.send("DELETE", `${stackPath(ref)}?force=${force}`);
  }

  async renameStack(ref: StackRef, newRef: StackRef): Promise<void> {
    if (newRef.organization !== ref.organization) {
      throw new Error(
        `cannot transfer stack between organizations: to move '${formatStackRef(ref)}' to the organization '${newRef.organization}', ` +
          "use the service's stack transfer API (`POST /api/stacks/{org}/{project}/{stack}/transfer`)",
      );
    }
    try {
      await this.client.send("POST", `${stackPath(ref)}/rename`, { body: { newName: newRef.name, newProject: newRef.project } });
    } catch (err) {
      if (err instanceof ServiceError && err.code === 409) throw new StackAlreadyExistsError(formatStackRef(newRef));
      throw err;
    }
  }

  async getTags(ref: StackRef): Promise<Record<string, string>> {
    const stack = await this.stack(ref);
    if (!stack) throw new Error(`no stack named '${formatStackRef(ref)}' found`);
    return stack.tags ?? {};
  }

  async setTags(ref: StackRef, tags: Record<string, string>): Promise<void> {
    await this.client.send("PATCH", `${stackPath(ref)}/tags`, { body: tags });
  }

  async exportDeployment(ref: StackRef, version?: number): Promise<UntypedDeployment> {
    return this.client.call<UntypedDeployment>("GET", `${stackPath(ref)}/export${version !== undefined ? `/${version}` : ""}`);
  }

  async importDeployment(ref: StackRef, deployment: UntypedDeployment): Promise<void> {
    const { updateId } = await this.client.call<ImportStackResponse>("POST", `${stackPath(ref)}/import`, { body: deployment, gzip: true });
    // The import runs as an update; wait for it as the Pulumi CLI does.
    for (;;) {
      const status = await this.client.call<UpdateStatusResponse>("GET", `${stackPath(ref)}/update/${updateId}`);
      if (!status.continuationToken) {
        if (status.status !== "succeeded") throw new Error(`import failed with status ${status.status}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, IMPORT_POLL_MS));
    }
  }

  async history(ref: StackRef, pageSize?: number, page?: number): Promise<UpdateInfo[]> {
    const q = pageSize !== undefined ? `?pageSize=${pageSize}&page=${page ?? 1}` : "";
    const res = await this.client.call<{ updates: UpdateInfo[] }>("GET", `${stackPath(ref)}/updates${q}`);
    return res.updates ?? [];
  }

  private programRequest(ref: StackRef, metadata: UpdateMetadata, dryRun: boolean): UpdateProgramRequest {
    return {
      name: ref.project,
      runtime: "nodejs",
      main: "",
      description: "",
      options: { color: "raw", dryRun, parallel: 0, showConfig: false, showReplacementSteps: false, showNames: false, summary: false, debug: false },
      config: metadata.config,
      metadata: { message: metadata.message, environment: metadata.environment },
    };
  }

  /** create + start: the update's id, lease and the state it starts from. */
  private async createAndStart(ref: StackRef, kind: UpdateKind, metadata: UpdateMetadata, dryRun: boolean): Promise<ServiceUpdateSession> {
    const path = stackPath(ref);
    const created = await this.client.call<UpdateProgramResponse>("POST", `${path}/${endpointFor(kind)}`, { body: this.programRequest(ref, metadata, dryRun) });
    for (const m of created.messages ?? []) process.stderr.write(`${m.severity}: ${m.message}\n`);
    const updatePath = `${path}/update/${created.updateID}`;
    const started = await this.client.call<StartUpdateResponse>("POST", updatePath, { body: { tags: null, ...(dryRun ? {} : { journalVersion: JOURNAL_VERSION }) } });
    if (!started.token) throw new Error("the service did not return a lease token for the update");
    let base;
    try {
      base = (await this.exportDeployment(ref)).deployment;
    } catch (err) {
      await this.client.send("POST", `${updatePath}/complete`, { auth: { kind: "update-token", value: started.token }, body: { status: "failed" }, retry: true }).catch(() => undefined);
      throw err;
    }
    return new ServiceUpdateSession(
      this.client,
      { updatePath, token: started.token, journalVersion: Math.min(started.journalVersion ?? 0, JOURNAL_VERSION) },
      base,
      this.engineVersion,
    );
  }

  async beginUpdate(ref: StackRef, kind: UpdateKind, metadata: UpdateMetadata): Promise<UpdateSession> {
    return this.createAndStart(ref, kind, metadata, false);
  }

  async beginPreview(ref: StackRef, kind: UpdateKind, metadata: UpdateMetadata): Promise<{ session: PreviewSession; base: UntypedDeployment["deployment"] | undefined }> {
    const session = await this.createAndStart(ref, kind, metadata, true);
    return { session, base: session.base };
  }

  async cancelUpdate(ref: StackRef): Promise<void> {
    const stack = await this.stack(ref);
    if (!stack) throw new Error(`no stack named '${formatStackRef(ref)}' found`);
    if (!stack.activeUpdate) throw new Error(`stack '${formatStackRef(ref)}' has never been updated`);
    await this.client.send("POST", `${stackPath(ref)}/update/${stack.activeUpdate}/cancel`, { retry: true });
  }

  serviceSecretsManager(ref: StackRef): SecretsManager {
    return new ServiceSecretsManager(this.client, ref, this.facts.capabilities.has("batch-encrypt"));
  }
}
