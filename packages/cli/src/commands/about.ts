/** `pulumi about [--json]`: environment facts for bug reports. */
import { readFile } from "node:fs/promises";
import { arch, platform, release } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { PULUMI_VERSION, STACKYARD_VERSION } from "@stackyard/engine/version";
import { CommandContext } from "../workspace/context.js";
import { printJson, renderTable } from "../workspace/output.js";
import { messageOf, stackOption } from "../workspace/cli-helpers.js";

interface About {
  plugins: { name: string; version: string | null; kind: string }[];
  host: { os: string; version: string; arch: string };
  backend: { name: string; url: string; user: string; organizations: string[] } | null;
  currentStack: { name: string; fullyQualifiedName: string; resources: { type: string; urn: string }[]; pendingOps: { type: string; urn: string }[] } | null;
  cliAbout: { version: string; goVersion: string; goCompiler: string };
  runtime: { language: string; version: string } | null;
  dependencies: { name: string; version: string }[];
  errors: string[];
}

export function register(program: Command): void {
  const cmd = program.command("about").description("Print information about the Pulumi environment.").option("-j, --json", "Emit output as JSON");
  stackOption(cmd);
  cmd.action(async (opts: { json?: boolean; stack?: string }, command: Command) => {
    const errors: string[] = [];
    const ctx = await CommandContext.fromCommand(command);
    const about: About = {
      plugins: [],
      host: { os: platform(), version: release(), arch: arch() },
      backend: null,
      currentStack: null,
      cliAbout: { version: PULUMI_VERSION, goVersion: `node${process.versions.node} (stackyard ${STACKYARD_VERSION})`, goCompiler: "node" },
      runtime: ctx.project ? { language: ctx.project.project.runtime.name, version: ctx.project.project.runtime.name === "nodejs" ? process.version.slice(1) : "unknown" } : null,
      dependencies: [],
      errors,
    };
    if (ctx.project) {
      // Like Pulumi's: the project's language plugin, the resource plugins its packages declare,
      // and its direct dependencies at their installed versions.
      about.plugins.push({ name: ctx.project.project.runtime.name, version: null, kind: "language" });
      try {
        const { requiredPlugins } = await import("@stackyard/engine/providers/required-plugins");
        for (const p of await requiredPlugins(ctx.project.root)) about.plugins.push({ name: p.name, version: p.version, kind: "resource" });
        about.dependencies = await programDependencies(ctx.project.root);
      } catch (err) {
        errors.push(`could not read the program's dependencies: ${messageOf(err)}`);
      }
    }
    try {
      const backend = await ctx.backend();
      const user = await backend.currentUser();
      about.backend = { name: backend.kind === "diy" ? "diy" : backend.url, url: backend.url, user: user.user, organizations: user.organizations };
      const stack = opts.stack ? await ctx.requireStack(opts.stack) : await ctx.currentStack();
      if (stack) {
        const exported = await stack.backend.exportDeployment(stack.ref).catch(() => undefined);
        const d = exported?.deployment;
        about.currentStack = {
          name: stack.displayName,
          fullyQualifiedName: `${stack.ref.organization}/${stack.ref.project}/${stack.ref.name}`,
          resources: (d?.resources ?? []).map((r) => ({ type: r.type, urn: r.urn })),
          pendingOps: (d?.pending_operations ?? []).map((o) => ({ type: o.type, urn: o.resource.urn })),
        };
      }
    } catch (err) {
      errors.push(messageOf(err));
    }
    if (opts.json) {
      printJson(about);
      return;
    }
    let out = `CLI\nVersion      ${about.cliAbout.version}\nGo Version   ${about.cliAbout.goVersion}\nGo Compiler  ${about.cliAbout.goCompiler}\n\n`;
    out += `Host\nOS       ${about.host.os}\nVersion  ${about.host.version}\nArch     ${about.host.arch}\n\n`;
    if (about.runtime) out += `This project is written in ${about.runtime.language}: executable='${process.execPath}' version='${process.version}'\n\n`;
    if (about.currentStack) {
      out += `Current Stack: ${about.currentStack.fullyQualifiedName}\n\n`;
      out += renderTable(["TYPE", "URN"], about.currentStack.resources.map((r) => [r.type, r.urn]));
      out += "\n";
    }
    if (about.backend) out += `Backend\nName           ${about.backend.name}\nURL            ${about.backend.url}\nUser           ${about.backend.user}\nOrganizations  ${about.backend.organizations.join(", ")}\n\n`;
    for (const e of errors) out += `error: ${e}\n`;
    process.stdout.write(out);
  });
}

/** package.json dependencies with the versions installed in node_modules (the range when absent). */
async function programDependencies(dir: string): Promise<{ name: string; version: string }[]> {
  let manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as typeof manifest;
  } catch {
    return [];
  }
  const all = { ...manifest.devDependencies, ...manifest.dependencies };
  const out: { name: string; version: string }[] = [];
  for (const [name, range] of Object.entries(all).sort(([a], [b]) => a.localeCompare(b))) {
    const installed = await readFile(join(dir, "node_modules", name, "package.json"), "utf8")
      .then((text) => (JSON.parse(text) as { version?: string }).version)
      .catch(() => undefined);
    out.push({ name, version: installed ?? range });
  }
  return out;
}
