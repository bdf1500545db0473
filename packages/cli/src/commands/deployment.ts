/**
 * `pulumi deployment`: remote deployments of a stack on a Stackyard service — `run` one, follow
 * its `logs`, `cancel` it, `list` them.
 */
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { collect, stackOption } from "../workspace/cli-helpers.js";
import type { DeploymentView, RemoteFlags, RemoteTarget } from "../operations/remote.js";

async function remote() {
  return import("../operations/remote.js");
}

/** The id given, else the stack's latest deployment (or latest still active, for cancel). */
async function pickDeployment(t: RemoteTarget, id: string | undefined, activeOnly: boolean): Promise<string> {
  if (id) return id;
  const { serviceCall, deploymentsPath } = await remote();
  // Pages are oldest first; walk to the last page.
  let page = 1;
  let last: DeploymentView[] = [];
  for (;;) {
    const rows = await serviceCall<DeploymentView[]>(t, "GET", `${deploymentsPath(t)}?page=${page}&pageSize=100`);
    if (rows.length === 0) break;
    last = [...last, ...rows].slice(-100);
    if (rows.length < 100) break;
    page++;
  }
  const candidates = activeOnly ? last.filter((d) => ["not-started", "accepted", "running"].includes(d.status)) : last;
  const pick = candidates[candidates.length - 1];
  if (!pick) throw new CliError(activeOnly ? "the stack has no deployment in progress" : "the stack has no deployments");
  return pick.id;
}

export function register(program: Command): void {
  const dep = program.command("deployment").description("Work with remote deployments: run, logs, cancel, list");

  const run = dep
    .command("run <operation> [url]")
    .description("Launch a deployment of the stack (operation: update, preview, refresh, destroy, detect-drift, remediate-drift)");
  stackOption(run);
  run
    .option("--remote-git-repo-dir <dir>", "The directory of the repository where Pulumi.yaml is located")
    .option("--remote-git-branch <branch>", "Git branch to deploy")
    .option("--remote-git-commit <commit>", "Git commit to deploy")
    .option("--remote-git-auth-access-token <token>", "Git personal access token")
    .option("--remote-git-auth-ssh-private-key <key>", "Git SSH private key")
    .option("--remote-git-auth-password <password>", "Git password")
    .option("--remote-git-auth-username <username>", "Git username")
    .option("--remote-env <KEY=VALUE>", "Environment variable for the deployment", collect)
    .option("--remote-env-secret <KEY=VALUE>", "Secret environment variable for the deployment", collect)
    .option("--remote-pre-run-command <command>", "Command to run before the operation", collect)
    .option("--remote-skip-install-dependencies", "Skip the dependency installation step")
    .option("--remote-executor-image <image>", "Executor image to record")
    .option("--remote-inherit-settings", "Use the stack's deployment settings")
    .option("--suppress-stream-logs", "Print the deployment's id and return without following its logs")
    .action(async (operation: string, url: string | undefined, flags: RemoteFlags & { suppressStreamLogs?: boolean }, cmd: Command) => {
      const { remoteRequest, resolveRemoteTarget, serviceCall, deploymentsPath, streamDeployment, finishRemote } = await remote();
      const request = remoteRequest(operation, { ...flags, ...(url ? { remote: url } : {}) });
      const t = await resolveRemoteTarget(cmd, flags.stack);
      const created = await serviceCall<{ id: string; version?: number }>(t, "POST", deploymentsPath(t), request);
      process.stdout.write(`Created deployment ${created.id}${created.version ? ` (version ${created.version})` : ""}\n`);
      if (flags.suppressStreamLogs) return;
      finishRemote(await streamDeployment(t, created.id, (s) => process.stdout.write(s), { cancelOnInterrupt: true }));
    });

  const logs = dep.command("logs [deployment-id]").description("Show a deployment's logs (the latest deployment by default), following it until it ends");
  stackOption(logs);
  logs.action(async (id: string | undefined, flags: { stack?: string }, cmd: Command) => {
    const { resolveRemoteTarget, streamDeployment, finishRemote } = await remote();
    const t = await resolveRemoteTarget(cmd, flags.stack);
    finishRemote(await streamDeployment(t, await pickDeployment(t, id, false), (s) => process.stdout.write(s)));
  });

  const cancel = dep.command("cancel [deployment-id]").description("Cancel a deployment (the one in progress by default)");
  stackOption(cancel);
  cancel.action(async (id: string | undefined, flags: { stack?: string }, cmd: Command) => {
    const { resolveRemoteTarget, serviceCall, deploymentsPath } = await remote();
    const t = await resolveRemoteTarget(cmd, flags.stack);
    const which = await pickDeployment(t, id, true);
    await serviceCall(t, "POST", `${deploymentsPath(t)}/${encodeURIComponent(which)}/cancel`);
    process.stdout.write(`Cancellation of deployment ${which} requested.\n`);
  });

  const list = dep.command("list").description("List the stack's deployments").option("-j, --json", "Emit JSON");
  stackOption(list);
  list.action(async (flags: { stack?: string; json?: boolean }, cmd: Command) => {
    const { resolveRemoteTarget, serviceCall, deploymentsPath } = await remote();
    const t = await resolveRemoteTarget(cmd, flags.stack);
    const rows: (DeploymentView & { created?: string; pulumiOperation?: string })[] = [];
    for (let page = 1; ; page++) {
      const got = await serviceCall<typeof rows>(t, "GET", `${deploymentsPath(t)}?page=${page}&pageSize=100`);
      rows.push(...got);
      if (got.length < 100) break;
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 4)}\n`);
      return;
    }
    for (const d of rows) process.stdout.write(`${String(d.version).padStart(4)}  ${(d.pulumiOperation ?? "").padEnd(14)} ${d.status.padEnd(11)} ${d.created ?? ""}  ${d.id}\n`);
  });
}
