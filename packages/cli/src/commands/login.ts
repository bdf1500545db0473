/**
 * `pulumi login [url] [--local]`: records the backend (and, for a service, its checked access
 * token) in credentials.json as the current one.
 */
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { backendKind, openBackend } from "../workspace/backend-url.js";
import { CommandContext } from "../workspace/context.js";
import { updateCredentials, withLogin, type Account, type Credentials } from "../workspace/home.js";
import { diyBackendName } from "../workspace/cli-helpers.js";

/** Pulumi turns a path without a scheme into a file:// URL? No: it rejects it; we only normalise Windows slashes. */
export function normalizeLoginUrl(url: string): string {
  return url.startsWith("file://") ? url.replace(/\\/g, "/") : url;
}

export function register(program: Command): void {
  program
    .command("login [url]")
    .description("Log in to a backend")
    .option("-c, --cloud-url <url>", "A cloud URL to log in to")
    .option("-l, --local", "Use Pulumi in local-only mode")
    .option("--insecure", "Allow insecure server connections when using SSL")
    .option("--default-org <org>", "A default org to associate with the login")
    .action(async (arg: string | undefined, opts: { cloudUrl?: string; local?: boolean; insecure?: boolean; defaultOrg?: string }, cmd: Command) => {
      if (arg && opts.cloudUrl) throw new CliError("only one of --cloud-url or argument URL may be specified, not both");
      let url = arg ?? opts.cloudUrl;
      if (opts.local) {
        if (url) throw new CliError("a URL may not be specified when --local mode is enabled");
        url = "file://~";
      }
      const ctx = await CommandContext.fromCommand(cmd);
      if (!url) url = await ctx.backendUrl();
      url = normalizeLoginUrl(url);
      const kind = backendKind(url);
      if (kind === undefined) {
        throw new CliError(`unknown backend cloudUrl format '${url}' (supported Url formats are: azblob://, gs://, s3://, file://, https:// and http://)`);
      }
      let account: Account = {};
      if (kind === "service") {
        const { loginToService, normalizeServiceUrl } = await import("../backend/service/index.js");
        url = normalizeServiceUrl(url);
        try {
          account = await loginToService(url, {
            insecure: opts.insecure ?? false,
            env: ctx.env,
            credentials: await ctx.credentials(),
            ...(opts.defaultOrg ? { defaultOrg: opts.defaultOrg } : {}),
          });
        } catch (err) {
          throw new CliError(err instanceof Error ? err.message : String(err));
        }
      } else if (opts.defaultOrg) {
        throw new CliError("unable to set default org for this type of backend");
      }
      let backend;
      try {
        // Open with the account just checked, so a token given only through the environment works too.
        backend = await openBackend(url, { credentials: withLogin(await ctx.credentials(), url, account), env: ctx.env, cwd: ctx.cwd });
      } catch (err) {
        throw new CliError(`could not log in to the state backend "${url}": ${err instanceof Error ? err.message : String(err)}`);
      }
      await updateCredentials(ctx.home, (creds) => withLogin(creds, url!, account));
      const user = await backend.currentUser().catch(() => undefined);
      const name = kind === "diy" ? diyBackendName() : url;
      process.stdout.write(user ? `Logged in to ${name} as ${user.user} (${url})\n` : `Logged in to ${name} (${url})\n`);
    });
}
