/** `pulumi import`: adopt existing cloud resources into the stack and print code for them. */
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { CliError } from "../cli/errors.js";
import { addOperationFlags, flagBool, type OperationFlags } from "../operations/flags.js";
import { generateTypeScript, parseImportFile, resolveImports, type ImportFile } from "../operations/import-file.js";
import { engineOptions, previewThenApply, requireYesToProceed } from "../operations/run-stack-operation.js";
import { collect, messageOf } from "../workspace/cli-helpers.js";
import { CommandContext } from "../workspace/context.js";

interface ImportFlags extends OperationFlags {
  file?: string;
  out?: string;
  generateCode?: string | boolean;
  protect?: string | boolean;
  parent?: string[];
  provider?: string[];
  properties?: string;
  from?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command("import [type] [name] [id]")
    .description("Import resources into an existing stack")
    .option("-f, --file <file>", "The path to a JSON-encoded file containing a list of resources to import")
    .option("-o, --out <file>", "The path to the file that will contain the generated resource declarations")
    .option("--generate-code [bool]", "Generate resource declaration code for the imported resources")
    .option("--protect [bool]", "Allow resources to be imported with protection from deletion enabled")
    .option("--parent <name=urn>", "The name and URN of the parent resource in the format name=urn", collect)
    .option("--provider <name=urn>", "The name and URN of the provider to use for the import in the format name=urn", collect)
    .option("--properties <list>", "The property names to use for the import in the format name1,name2")
    .option("--from <converter>", "Invoke a converter to import the resources");
  addOperationFlags(cmd, "import");
  cmd.action(async (type: string | undefined, name: string | undefined, id: string | undefined, flags: ImportFlags, command: Command) => {
    if (flags.from) throw new CliError(`importing with a converter ('--from ${flags.from}') is not supported by Stackyard`);
    const file = await importFileFrom(type, name, id, flags);
    requireYesToProceed(flags);
    const protect = flagBool(flags.protect, true);
    const generateCode = flagBool(flags.generateCode, true);

    const ctx = await CommandContext.fromCommand(command, { requireProject: true });
    const stack = await ctx.requireStack(flags.stack, { offerNew: true });
    const state = (await stack.backend.exportDeployment(stack.ref)).deployment?.resources ?? [];
    let resolved: ReturnType<typeof resolveImports>;
    try {
      resolved = resolveImports(file, { stack: stack.ref.name, project: stack.ref.project, protect, state });
    } catch (err) {
      throw new CliError(messageOf(err));
    }

    await previewThenApply(command, flags, {
      kind: "import",
      displayKind: "import",
      updateKind: "resource-import",
      dryRun: false,
      withProgram: false,
      options: engineOptions(flags),
      extend: (request) => {
        request.imports = resolved.specs;
      },
    });
    if (flags.previewOnly || !generateCode) return;

    const after = (await stack.backend.exportDeployment(stack.ref)).deployment?.resources ?? [];
    const byUrn = new Map(after.map((r) => [r.urn, r]));
    const adopted = resolved.urns
      .map((urn, i) => ({ state: byUrn.get(urn), spec: resolved.specs[i]! }))
      .filter((x) => x.state && !x.spec.component)
      .map((x) => ({ state: x.state!, protect: x.spec.protect }));
    const code = generateTypeScript(adopted);
    if (flags.out) await writeFile(flags.out, code);
    else process.stdout.write(`Please copy the following code into your Pulumi application. Not doing so\nwill cause Pulumi to report that an update will happen on the next update command.\n\nPlease note that the imported resources are marked as protected. To destroy them\nyou will need to remove the \`protect\` option and run \`pulumi update\` *before*\nthe destroy will take effect.\n\n${code}`);
  });
}

async function importFileFrom(type: string | undefined, name: string | undefined, id: string | undefined, flags: ImportFlags): Promise<ImportFile> {
  if (flags.file) {
    if (type !== undefined) throw new CliError("an inline resource may not be specified in conjunction with an import file");
    try {
      return parseImportFile(await readFile(flags.file, "utf8"));
    } catch (err) {
      throw new CliError(messageOf(err));
    }
  }
  if (!type || !name || !id) throw new CliError("an inline resource must be specified if no import file is used");
  const nameTable: Record<string, string> = {};
  const pairs = (list: string[] | undefined, what: string) =>
    (list ?? []).map((entry) => {
      const at = entry.indexOf("=");
      if (at <= 0) throw new CliError(`invalid ${what} '${entry}': expected name=urn`);
      nameTable[entry.slice(0, at)] = entry.slice(at + 1);
      return entry.slice(0, at);
    });
  const [parent] = pairs(flags.parent, "parent");
  const [provider] = pairs(flags.provider, "provider");
  return {
    nameTable,
    resources: [
      {
        type,
        name,
        id,
        ...(parent ? { parent } : {}),
        ...(provider ? { provider } : {}),
        ...(flags.properties ? { properties: flags.properties.split(",").map((p) => p.trim()).filter(Boolean) } : {}),
      },
    ],
  };
}
