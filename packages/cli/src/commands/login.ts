/**
 * `pulumi login [url] [--local]`. DIY (file://) logins are recorded here; service (http/https)
 * logins go through the `serviceLogin` seam, which the service client registers.
 */
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { backendKind, openBackend } from "../workspace/backend-url.js";
import { CommandContext } from "../workspace/context.js";
import { updateCredentials, withLogin, type Account, type Credentials } from "../workspace/home.js";
import { diyBackendName } from "../workspace/cli-helpers.js";

/** Exchanges credentials with a service and returns the account to store; registered by the service client. */
export type ServiceLogin = (url: string, options: { insecure: boolean; env: Record<string, string | undefined>; credentials: Credentials }) => Promise<Account>;
let serviceLogin: ServiceLogin | undefined;
export function registerServiceLogin(login: ServiceLogin): void {
  serviceLogin = login;
}

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
        if (!serviceLogin) throw new CliError(`logging in to service backends (${url}) is not yet supported by this build of Stackyard; use a file:// backend`);
        account = await serviceLogin(url, { insecure: opts.insecure ?? false, env: ctx.env, credentials: await ctx.credentials() });
      } else if (opts.defaultOrg) {
        throw new CliError("unable to set default org for this type of backend");
      }
      let backend;
      try {
        backend = await openBackend(url, { credentials: await ctx.credentials(), env: ctx.env, cwd: ctx.cwd });
      } catch (err) {
        throw new CliError(`could not log in to the state backend "${url}": ${err instanceof Error ? err.message : String(err)}`);
      }
      await updateCredentials(ctx.home, (creds) => withLogin(creds, url!, account));
      const user = await backend.currentUser().catch(() => undefined);
      const name = kind === "diy" ? diyBackendName() : url;
      process.stdout.write(user ? `Logged in to ${name} as ${user.user} (${url})\n` : `Logged in to ${name} (${url})\n`);
    });
}
