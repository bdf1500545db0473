/** `pulumi whoami [--json] [-v]`. */
import type { Command } from "commander";
import { CommandContext } from "../workspace/context.js";
import { printJson } from "../workspace/output.js";

export function register(program: Command): void {
  program
    .command("whoami")
    .description("Display the current logged-in user")
    .option("-j, --json", "Emit output as JSON")
    .option("-v, --verbose", "Print detailed whoami information")
    .action(async (opts: { json?: boolean; verbose?: boolean }, cmd: Command) => {
      const ctx = await CommandContext.fromCommand(cmd);
      const backend = await ctx.backend();
      const user = await backend.currentUser();
      if (opts.json) {
        printJson({
          user: user.user,
          ...(user.organizations.length > 0 ? { organizations: user.organizations } : {}),
          url: backend.url,
          ...(user.tokenInformation ? { tokenInformation: user.tokenInformation } : {}),
        });
        return;
      }
      if (!opts.verbose) {
        process.stdout.write(`${user.user}\n`);
        return;
      }
      let out = `User: ${user.user}\nOrganizations: ${user.organizations.join(", ")}\nBackend URL: ${backend.url}\n`;
      const token = user.tokenInformation;
      if (!token) out += "Token type: personal\n";
      else {
        const type = token.team ? `team: ${token.team}` : token.organization ? `organization: ${token.organization}` : "unknown";
        out += `Token type: ${type}\nToken name: ${token.name}\n`;
      }
      process.stdout.write(out);
    });
}
