/**
 * Runs one step's command in its own process group, so stopping it stops everything it started
 * (npm, the language host, providers), and turns its output into lines.
 */
import { spawn } from "node:child_process";

export interface StepProcess {
  /** Resolves with the exit code (or 128 + signal number when it was killed). */
  exited: Promise<number>;
  /** SIGTERM to the whole group, then SIGKILL after `graceMs`. */
  kill(graceMs?: number): void;
}

/** Splits a byte stream into lines that keep their `\n` (the last one may lack it). */
export class LineSplitter {
  private rest = "";
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: string): void {
    const text = this.rest + chunk;
    let start = 0;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", start)) {
      this.emit(text.slice(start, i + 1));
      start = i + 1;
    }
    this.rest = text.slice(start);
  }
  end(): void {
    if (this.rest !== "") this.emit(this.rest + "\n");
    this.rest = "";
  }
}

export function startProcess(file: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; onLine: (line: string) => void }): StepProcess {
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const out = new LineSplitter(opts.onLine);
  const err = new LineSplitter(opts.onLine);
  child.stdout.setEncoding("utf8").on("data", (c: string) => out.push(c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => err.push(c));
  let killTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<number>((resolve) => {
    child.on("error", (e) => {
      opts.onLine(`error: could not start ${file}: ${e.message}\n`);
      resolve(127);
    });
    child.on("close", (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      out.end();
      err.end();
      resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : 15));
    });
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // Already gone.
    }
  };
  return {
    exited,
    kill(graceMs = 3000) {
      signalGroup("SIGTERM");
      killTimer ??= setTimeout(() => signalGroup("SIGKILL"), graceMs);
      killTimer.unref();
    },
  };
}

/** Reads `NAME=value` lines a pre-run command wrote to its PULUMI_ENV file. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const name = line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    let value = line.slice(eq + 1);
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) value = value.slice(1, -1);
    out[name] = value;
  }
  return out;
}
