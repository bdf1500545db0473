/**
 * Top-level commands and the module that registers each one. Only the module for the command being
 * run is loaded, which keeps start-up (paid on every Automation API call) small.
 */
import type { Command } from "commander";

export interface CommandModule {
  register(program: Command): void;
}

export const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  version: { summary: "Print Pulumi's version number", load: () => import("../commands/version.js") },
  about: { summary: "Print information about the Pulumi environment.", load: () => import("../commands/about.js") },
  whoami: { summary: "Display the current logged-in user", load: () => import("../commands/whoami.js") },
  login: { summary: "Log in to a backend", load: () => import("../commands/login.js") },
  logout: { summary: "Log out of a backend", load: () => import("../commands/logout.js") },
  stack: { summary: "Manage stacks and view stack state", load: () => import("../commands/stack.js") },
  config: { summary: "Manage configuration", load: () => import("../commands/config.js") },
  cancel: { summary: "Cancel a stack's currently running update, if any", load: () => import("../commands/cancel.js") },
  org: { summary: "Manage Organization configuration", load: () => import("../commands/org.js") },
  plugin: { summary: "Manage language and resource plugins", load: () => import("../commands/plugin.js") },
  up: { summary: "Create or update the resources in a stack", load: () => import("../commands/up.js") },
  preview: { summary: "Show a preview of updates to a stack's resources", load: () => import("../commands/preview.js") },
  refresh: { summary: "Refresh the resources in a stack", load: () => import("../commands/refresh.js") },
  destroy: { summary: "Destroy all existing resources in the stack", load: () => import("../commands/destroy.js") },
  import: { summary: "Import resources into an existing stack", load: () => import("../commands/import.js") },
  install: { summary: "Install packages and plugins for the current program or policy pack.", load: () => import("../commands/install.js") },
  serve: { summary: "Run the Stackyard service, runner and console", load: () => import("../commands/serve.js") },
  runner: { summary: "Run a deployment runner for an agent pool of a Stackyard service", load: () => import("../commands/runner.js") },
  deployment: { summary: "Work with remote deployments: logs and cancel", load: () => import("../commands/deployment.js") },
};

/** Pulumi's aliases for top-level commands. */
export const COMMAND_ALIASES: Record<string, string> = { update: "up" };
