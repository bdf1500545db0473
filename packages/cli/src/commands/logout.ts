/** `pulumi logout [url] [--local] [--all]`. */
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { CommandContext } from "../workspace/context.js";
import { resolveBackendUrl } from "../workspace/backend-url.js";
import { updateCredentials, withLogout } from "../workspace/home.js";

export function register(program: Command): void {
  program
    .command("logout [url]")
    .description("Log out of the Pulumi Cloud")
    .option("-c, --cloud-url <url>", "A cloud URL to log out of (defaults to current cloud)")
    .option("-l, --local", "Log out of using local mode")
    .option("--all", "Logout of all backends")
    .action(async (arg: string | undefined, opts: { cloudUrl?: string; local?: boolean; all?: boolean }, cmd: Command) => {
      if (arg && (opts.cloudUrl || opts.all)) throw new CliError("only one of --all, --cloud-url or argument URL may be specified, not both");
      let url = arg ?? opts.cloudUrl;
      if (opts.local) {
        if (url) throw new CliError("a URL may not be specified when --local mode is enabled");
        url = "file://~";
      }
      const ctx = await CommandContext.fromCommand(cmd);
      if (opts.all) {
        await updateCredentials(ctx.home, () => ({}));
        process.stdout.write("Logged out of everything\n");
        return;
      }
      if (!url) {
        const resolved = resolveBackendUrl(ctx.env, ctx.project?.project.backendUrl, await ctx.credentials());
        if (!resolved) throw new CliError("could not determine current cloud: you are not logged in");
        url = resolved.url;
      }
      const target = url;
      await updateCredentials(ctx.home, (creds) => withLogout(creds, target));
      process.stdout.write(`Logged out of ${target}\n`);
    });
}
