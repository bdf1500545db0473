/**
 * The flags `up`, `preview`, `refresh`, `destroy` and `import` share, declared once so their
 * spelling and help text agree with the Pulumi CLI's (the Automation API passes them verbatim).
 */
import { Option, type Command } from "commander";
import { acceptGlobalFlags, collect, stackOption } from "../workspace/cli-helpers.js";

export interface OperationFlags {
  stack?: string;
  configFile?: string;
  yes?: boolean;
  skipPreview?: boolean;
  previewOnly?: boolean;
  diff?: boolean;
  json?: boolean;
  target?: string[];
  targetDependents?: boolean;
  exclude?: string[];
  excludeDependents?: boolean;
  replace?: string[];
  parallel?: string;
  refresh?: string | boolean;
  expectNoChanges?: boolean;
  message?: string;
  eventLog?: string;
  client?: string;
  execKind?: string;
  execAgent?: string;
  clearPendingCreates?: boolean;
  excludeProtected?: boolean;
  remove?: boolean;
  continueOnError?: boolean;
  runProgram?: string | boolean;
  suppressOutputs?: boolean;
  suppressProgress?: boolean;
  showSames?: boolean;
  showReads?: boolean;
  showReplacementSteps?: boolean;
  showConfig?: boolean;
  showSecrets?: boolean;
  color?: string;
  debug?: boolean;
  remote?: string | boolean;
}

export type OperationCommand = "up" | "preview" | "refresh" | "destroy" | "import";

/** Adds the shared flags; `which` picks the subset the Pulumi CLI offers on that command. */
export function addOperationFlags(cmd: Command, which: OperationCommand): Command {
  stackOption(cmd);
  acceptGlobalFlags(cmd, { configFile: false });
  cmd.option("--config-file <file>", "Use the configuration values in the specified file rather than detecting the file name");
  cmd.option("-m, --message <message>", "Optional message to associate with the update operation");
  cmd.option("--event-log <path>", "Log events to a file at this path");
  cmd.option("--exec-kind <kind>", "Identify the kind of execution that is running (cli, auto.local, auto.inline)");
  cmd.option("--exec-agent <agent>", "Identify the agent that is running the update");
  cmd.option("--client <address>", "The address of an existing language runtime host to connect to");
  cmd.option("-j, --json", "Serialize the update diffs, operations, and overall output as JSON");
  cmd.option("--diff", "Display operation as a rich diff showing the overall change");
  cmd.option("-p, --parallel <n>", "Allow P resource operations to run in parallel at once (1 for no parallelism)");
  cmd.option("--show-config", "Show configuration keys and variables");
  cmd.option("--show-reads", "Show resources that are being read in, alongside those being managed directly in the stack");
  cmd.option("--show-replacement-steps", "Show detailed resource replacement creates and deletes instead of a single step");
  cmd.option("--show-sames", "Show resources that don't need be updated because they haven't changed, alongside those that do");
  cmd.option("--show-secrets", "Show secret outputs in the CLI output");
  cmd.option("--suppress-permalink [value]", "Suppress display of the state permalink");
  cmd.option("--expect-no-changes", "Return an error if any changes occur during this operation");
  cmd.option("--attach-debugger [value]", "Enable the ability to attach a debugger to the program and source based plugins being executed");
  cmd.addOption(new Option("--policy-pack <path>", "Run one or more policy packs as part of this operation").argParser(collect));
  cmd.addOption(new Option("--policy-pack-config <path>", "Path to JSON file containing the config for the policy pack").argParser(collect));
  if (which !== "import") {
    cmd.option("-t, --target <urn>", "Specify a single resource URN to operate on. Multiple resources can be specified using --target urn1 --target urn2", collect);
    cmd.option("--exclude <urn>", "Specify a resource URN to ignore. These resources will not be updated. Multiple resources can be specified using --exclude urn1 --exclude urn2", collect);
    cmd.option("--target-dependents", "Allows updating of dependent targets discovered but not specified in --target list");
    cmd.option("--exclude-dependents", "Allows ignoring of dependent targets discovered but not specified in --exclude list");
    cmd.option("--run-program [bool]", "Run the program to determine up-to-date state for providers to refresh resources");
  }
  if (which === "up" || which === "preview") {
    cmd.option("--replace <urn>", "Specify a single resource URN to replace. Multiple resources can be specified using --replace urn1 --replace urn2", collect);
    cmd.option("--target-replace <urn>", "Specify a single resource URN to replace and target", collect);
    cmd.option("--plan <path>", "[EXPERIMENTAL] Path to a plan file to use for the update");
    cmd.option("--save-plan <path>", "[EXPERIMENTAL] Save the operations proposed by the preview to a plan file at the given path");
    cmd.option("--import-file <path>", "Save any creates seen during the preview into an import file to use with 'pulumi import'");
  }
  if (which !== "refresh") cmd.option("-r, --refresh [bool]", "Refresh the state of the stack's resources before this update");
  if (which === "refresh") {
    cmd.option("--clear-pending-creates", "Clear all pending creates, dropping them from the state");
    cmd.option("--import-pending-creates <urn...>", "A list of form [[URN ID]...] describing the provider IDs of pending creates");
    cmd.option("--skip-pending-creates", "Skip importing pending creates in interactive mode");
  }
  if (which === "destroy") {
    cmd.option("--exclude-protected", "Do not destroy protected resources. Destroy all other resources");
    cmd.option("--remove", "Remove the stack and its config file after all resources in the stack have been deleted");
  }
  if (which === "up" || which === "destroy") cmd.option("--continue-on-error", "Continue updating resources even if an error is encountered");
  if (which !== "preview") {
    cmd.option("-y, --yes", "Automatically approve and perform the update after previewing it");
    cmd.option(which === "import" ? "--skip-preview" : "-f, --skip-preview", "Do not calculate a preview before performing the update");
    cmd.option("--preview-only", "Only show a preview of the update, but don't perform the update itself");
  }
  // The remote-deployment flags the Automation API probes for (`preview --help` must list --remote).
  cmd.option("--remote [url]", "[EXPERIMENTAL] Run the operation remotely");
  cmd.option("--remote-git-repo-dir <dir>", "[EXPERIMENTAL] The directory to work from in the project's source repository where Pulumi.yaml is located");
  cmd.option("--remote-git-branch <branch>", "[EXPERIMENTAL] Git branch to deploy; this is mutually exclusive with --remote-git-commit");
  cmd.option("--remote-git-commit <commit>", "[EXPERIMENTAL] Git commit hash of the commit to deploy (if used, HEAD will be in detached mode)");
  cmd.option("--remote-git-auth-access-token <token>", "[EXPERIMENTAL] Git personal access token");
  cmd.option("--remote-git-auth-ssh-private-key <key>", "[EXPERIMENTAL] Git SSH private key");
  cmd.option("--remote-git-auth-ssh-private-key-path <path>", "[EXPERIMENTAL] Git SSH private key path");
  cmd.option("--remote-git-auth-password <password>", "[EXPERIMENTAL] Git password; for use with username or with an SSH private key");
  cmd.option("--remote-git-auth-username <username>", "[EXPERIMENTAL] Git username");
  cmd.option("--remote-env <KEY=VALUE>", "[EXPERIMENTAL] Environment variables to use in the remote operation", collect);
  cmd.option("--remote-env-secret <KEY=VALUE>", "[EXPERIMENTAL] Environment variables with secret values to use in the remote operation", collect);
  cmd.option("--remote-pre-run-command <command>", "[EXPERIMENTAL] Commands to run before the remote operation", collect);
  cmd.option("--remote-skip-install-dependencies", "[EXPERIMENTAL] Whether to skip the default dependency installation step");
  cmd.option("--remote-executor-image <image>", "[EXPERIMENTAL] The image to use for the remote executor");
  cmd.option("--remote-inherit-settings", "[EXPERIMENTAL] Inherit deployment settings from the current stack");
  return cmd;
}

/** Pulumi's boolean flags accept `--flag`, `--flag=true` and `--flag=false`. */
export function flagBool(value: string | boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  const v = value.toLowerCase();
  if (v === "true" || v === "1" || v === "") return true;
  if (v === "false" || v === "0") return false;
  throw new Error(`invalid argument "${value}": expected true or false`);
}
