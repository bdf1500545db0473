import type { Command } from "commander";
import { PULUMI_VERSION } from "@stackyard/engine/version";

export function register(program: Command): void {
  program
    .command("version")
    .description("Print Pulumi's version number")
    .action(() => {
      process.stdout.write(`v${PULUMI_VERSION}\n`);
    });
}
