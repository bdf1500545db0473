/**
 * `up|preview|refresh|destroy --remote`: the operation runs as a deployment on the service (a
 * runner clones the program and runs it); this process creates the deployment from the
 * `--remote-*` flags and streams its logs until it ends. Also the shared plumbing of the
 * `deployment` command: which service, token and stack a remote command talks to.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { BailError, CliError } from "../cli/errors.js";
import { backendKind } from "../workspace/backend-url.js";
import { readSelectedStack } from "../workspace/home.js";
import { CommandContext } from "../workspace/context.js";
import type { OperationFlags } from "./flags.js";

export interface RemoteTarget {
  url: string;
  token: string;
  org: string;
  project: string;
  stack: string;
}

export interface RemoteFlags extends OperationFlags {
  remoteGitRepoDir?: string;
  remoteGitBranch?: string;
  remoteGitCommit?: string;
  remoteGitAuthAccessToken?: string;
  remoteGitAuthSshPrivateKey?: string;
  remoteGitAuthSshPrivateKeyPath?: string;
  remoteGitAuthPassword?: string;
  remoteGitAuthUsername?: string;
  remoteEnv?: string[];
  remoteEnvSecret?: string[];
  remotePreRunCommand?: string[];
  remoteSkipInstallDependencies?: boolean;
  remoteExecutorImage?: string;
  remoteInheritSettings?: boolean;
}

type SecretValue = string | { secret: string };

/** The create-deployment request the flags describe (pure: tested directly). */
export function remoteRequest(operation: string, flags: RemoteFlags, secretFile?: string): Record<string, unknown> {
  if (flags.remoteGitBranch && flags.remoteGitCommit) throw new CliError("`--remote-git-branch` and `--remote-git-commit` cannot both be specified");
  const repoURL = typeof flags.remote === "string" && flags.remote !== "" ? flags.remote : undefined;
  const git: Record<string, unknown> = {};
  if (repoURL) git["repoURL"] = repoURL;
  if (flags.remoteGitBranch) git["branch"] = flags.remoteGitBranch;
  if (flags.remoteGitCommit) git["commit"] = flags.remoteGitCommit;
  if (flags.remoteGitRepoDir) git["repoDir"] = flags.remoteGitRepoDir;
  const sshKey = flags.remoteGitAuthSshPrivateKey ?? secretFile;
  if (flags.remoteGitAuthAccessToken) git["gitAuth"] = { accessToken: { secret: flags.remoteGitAuthAccessToken } };
  else if (sshKey) git["gitAuth"] = { sshAuth: { sshPrivateKey: { secret: sshKey }, ...(flags.remoteGitAuthPassword ? { password: { secret: flags.remoteGitAuthPassword } } : {}) } };
  else if (flags.remoteGitAuthUsername || flags.remoteGitAuthPassword) {
    git["gitAuth"] = { basicAuth: { userName: flags.remoteGitAuthUsername ?? "", password: { secret: flags.remoteGitAuthPassword ?? "" } } };
  }
  const env: Record<string, SecretValue> = {};
  const pair = (text: string, flag: string) => {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new CliError(`expected value of the form "NAME=value" for ${flag}: got "${text}"`);
    return [text.slice(0, eq), text.slice(eq + 1)] as const;
  };
  for (const e of flags.remoteEnv ?? []) {
    const [k, v] = pair(e, "--remote-env");
    env[k] = v;
  }
  for (const e of flags.remoteEnvSecret ?? []) {
    const [k, v] = pair(e, "--remote-env-secret");
    env[k] = { secret: v };
  }
  const operationContext: Record<string, unknown> = { operation };
  if (flags.remotePreRunCommand?.length) operationContext["preRunCommands"] = flags.remotePreRunCommand;
  if (Object.keys(env).length > 0) operationContext["environmentVariables"] = env;
  if (flags.remoteSkipInstallDependencies) operationContext["options"] = { skipInstallDependencies: true };
  const request: Record<string, unknown> = { operation, inheritSettings: flags.remoteInheritSettings === true, operationContext };
  if (Object.keys(git).length > 0) request["sourceContext"] = { git };
  if (flags.remoteExecutorImage) request["executorContext"] = { executorImage: flags.remoteExecutorImage };
  if (!repoURL && !flags.remoteInheritSettings) {
    throw new CliError("the git repository URL must be given (`--remote <url>`) unless `--remote-inherit-settings` uses the stack's deployment settings");
  }
  return request;
}

/** The deployment operation a command stands for (`up --preview-only` previews). */
export function remoteOperation(command: string, flags: OperationFlags): string {
  switch (command) {
    case "up":
    case "update":
      return flags.previewOnly ? "preview" : "update";
    case "preview":
    case "refresh":
    case "destroy":
      return flags.previewOnly && command !== "preview" ? "preview" : command;
    default:
      throw new CliError(`--remote is not supported by '${command}'`);
  }
}

/** A call to the service's deployment routes, with the CLI's transport and its `[code] message` errors. */
export async function serviceCall<T>(t: Pick<RemoteTarget, "url" | "token">, method: string, path: string, body?: unknown): Promise<T> {
  const { ServiceClient } = await import("../backend/service/client.js");
  try {
    return await new ServiceClient(t.url, t.token).call<T>(method, path, {
      ...(body !== undefined ? { body } : {}),
      headers: { "X-Pulumi-Deployment-Initiator": "cli" },
    });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
}

/** Which service, token and stack (`org/project/stack`, `org/stack`, or `stack` in a project) to use. */
export async function resolveRemoteTarget(cmd: Command, stackName: string | undefined): Promise<RemoteTarget> {
  const ctx = await CommandContext.fromCommand(cmd);
  const url = await ctx.backendUrl();
  if (backendKind(url) !== "service") throw new CliError("remote deployments need a Stackyard service backend: `pulumi login http(s)://…` or set PULUMI_BACKEND_URL");
  const creds = await ctx.credentials();
  const token = ctx.env["PULUMI_ACCESS_TOKEN"] || creds.accessTokens?.[url] || creds.accounts?.[url]?.accessToken;
  if (!token) throw new CliError(`no access token for ${url}: set PULUMI_ACCESS_TOKEN or run \`pulumi login ${url}\``);
  let name = stackName;
  if (!name && ctx.project) name = await readSelectedStack(ctx.home, ctx.project.project.name, ctx.project.path, url);
  if (!name) throw new CliError("no stack selected; pass --stack <org/project/stack>");
  const parts = name.split("/");
  if (parts.length > 3 || parts.some((p) => p === "")) throw new CliError(`invalid stack name '${name}'`);
  const project = parts.length === 3 ? parts[1]! : ctx.projectName;
  if (!project) throw new CliError(`stack '${name}' needs a project: use org/project/stack or run inside the project's directory`);
  let org = parts.length > 1 ? parts[0]! : undefined;
  if (!org) {
    const def = await serviceCall<{ GitHubLogin?: string } | undefined>({ url, token }, "GET", "/api/user/organizations/default").catch(() => undefined);
    org = def?.GitHubLogin;
    if (!org) throw new CliError(`could not find a default organization; use --stack <org/${project}/${name}>`);
  }
  return { url, token, org, project, stack: parts[parts.length - 1]! };
}

export function deploymentsPath(t: RemoteTarget): string {
  return `/api/stacks/${encodeURIComponent(t.org)}/${encodeURIComponent(t.project)}/${encodeURIComponent(t.stack)}/deployments`;
}

interface LogPage {
  lines: { header?: string; line?: string }[];
  nextToken?: string;
}

export interface DeploymentView {
  id: string;
  status: string;
  version: number;
  message?: string;
}

/**
 * Prints the deployment's logs as they come until it ends; `onInterrupt` (SIGINT) asks the
 * service to cancel it once and keeps streaming so the cancellation shows.
 */
export async function streamDeployment(t: RemoteTarget, id: string, out: (text: string) => void, opts: { cancelOnInterrupt?: boolean; pollMs?: number } = {}): Promise<DeploymentView> {
  const base = `${deploymentsPath(t)}/${encodeURIComponent(id)}`;
  let token: string | undefined;
  let cancelled = false;
  const onInt = () => {
    if (cancelled) return;
    cancelled = true;
    out("\nCancelling the deployment...\n");
    serviceCall(t, "POST", `${base}/cancel`).catch((err: unknown) => out(`warning: cancelling failed: ${(err as Error).message}\n`));
  };
  if (opts.cancelOnInterrupt) process.on("SIGINT", onInt);
  try {
    for (;;) {
      const page = await serviceCall<LogPage>(t, "GET", `${base}/logs${token ? `?continuationToken=${encodeURIComponent(token)}` : ""}`);
      for (const l of page.lines) {
        if (l.header !== undefined) out(`\n--- ${l.header} ---\n`);
        else if (l.line !== undefined) out(l.line);
      }
      if (!page.nextToken) break;
      if (page.nextToken === token && page.lines.length === 0) await new Promise((r) => setTimeout(r, opts.pollMs ?? 300));
      token = page.nextToken;
    }
  } finally {
    if (opts.cancelOnInterrupt) process.off("SIGINT", onInt);
  }
  return serviceCall<DeploymentView>(t, "GET", base);
}

/** Exit for a finished deployment: 0 when it succeeded, else an error naming what happened. */
export function finishRemote(d: DeploymentView): never {
  if (d.status === "succeeded") throw new BailError(0);
  if (d.status === "cancelled") throw new CliError(`deployment ${d.version} was cancelled`);
  throw new CliError(`deployment ${d.version} failed${d.message ? `: ${d.message}` : ""}`);
}

/** Runs the command's operation as a deployment and never returns normally. */
export async function runRemoteOperation(cmd: Command, flags: OperationFlags): Promise<never> {
  const f = flags as RemoteFlags;
  const operation = remoteOperation(cmd.name(), flags);
  const keyFile = f.remoteGitAuthSshPrivateKeyPath ? await readFile(f.remoteGitAuthSshPrivateKeyPath, "utf8") : undefined;
  const request = remoteRequest(operation, f, keyFile);
  const target = await resolveRemoteTarget(cmd, flags.stack);
  const created = await serviceCall<{ id: string; consoleUrl?: string; version?: number }>(target, "POST", deploymentsPath(target), request);
  const write = (s: string) => process.stdout.write(s);
  write(`Created deployment ${created.id}${created.version ? ` (version ${created.version})` : ""} of ${target.org}/${target.project}/${target.stack}\n`);
  if (created.consoleUrl) write(`View Live: ${created.consoleUrl}\n`);
  const d = await streamDeployment(target, created.id, write, { cancelOnInterrupt: true });
  finishRemote(d);
}
