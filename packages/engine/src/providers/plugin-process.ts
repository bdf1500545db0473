/**
 * Starting a plugin: spawn it with the engine's address, read its port from the first stdout line,
 * then hand its later output to the caller (providers log through stdout/stderr).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface PluginCommand {
  /** Executable (or `node` for JavaScript plugins). */
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How the plugin is named in errors: its binary path. */
  displayName: string;
}

export interface RunningPlugin {
  readonly port: number;
  readonly process: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  kill(): void;
}

// Terminal progress escapes some plugins print around the port line.
const PROGRESS_ESCAPES = /\u001b\]9;4;\d;\u001b\\/g;

export function startPlugin(cmd: PluginCommand, onOutput: (line: string, stream: "stdout" | "stderr") => void): Promise<RunningPlugin> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.command, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    let settled = false;
    let stdoutBuffer = "";
    const stderrLines: string[] = [];

    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      child.kill("SIGKILL");
      reject(err);
    };

    child.once("error", (err) => fail(new Error(`could not read plugin [${cmd.displayName}]: ${err.message}`)));
    createInterface({ input: child.stderr! }).on("line", (line) => {
      if (!settled) stderrLines.push(line);
      onOutput(line, "stderr");
    });

    const onData = (chunk: Buffer) => {
      if (settled) return;
      stdoutBuffer += chunk.toString("utf8");
      const newline = stdoutBuffer.indexOf("\n");
      if (newline < 0) return;
      const portText = stdoutBuffer.slice(0, newline).replace(PROGRESS_ESCAPES, "").trim();
      const rest = stdoutBuffer.slice(newline + 1);
      child.stdout!.off("data", onData);
      const port = Number(portText);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        fail(new Error(`could not read plugin [${cmd.displayName}] port: '${portText}' is not a valid port`));
        return;
      }
      settled = true;
      const lines = createInterface({ input: child.stdout! });
      for (const line of rest.split("\n")) if (line !== "") onOutput(line, "stdout");
      lines.on("line", (line) => onOutput(line, "stdout"));
      resolve({
        port,
        process: child,
        exited,
        kill: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        },
      });
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      if (!settled) {
        const detail = stderrLines.length > 0 ? `\n${stderrLines.join("\n")}` : "";
        fail(new Error(`could not read plugin [${cmd.displayName}]: exit status ${code ?? "signal"}${detail}`));
      }
    });
  });
}
