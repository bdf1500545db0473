/**
 * Getting the source: the git commands for a repository URL (remote, `file://` or a local path),
 * branch or commit, and the environment that feeds credentials to git and ssh through an askpass
 * helper (never in URLs or arguments, so they appear in no process list or log).
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GitSource } from "../model.js";

export interface GitCommand {
  args: string[];
  /** Run inside the clone rather than its parent. */
  inClone: boolean;
}

/** `refs/heads/main` and `main` both name the branch `main`. */
export function branchName(branch: string | undefined): string | undefined {
  if (!branch || branch === "HEAD") return undefined;
  return branch.replace(/^refs\/heads\//, "");
}

export function cloneCommands(source: GitSource<string>, dir: string): GitCommand[] {
  const branch = branchName(source.branch);
  const cmds: GitCommand[] = [];
  if (source.commit) {
    cmds.push({ args: ["clone", "--no-checkout", "--", source.repoURL, dir], inClone: false });
    cmds.push({ args: ["-c", "advice.detachedHead=false", "checkout", "--detach", source.commit], inClone: true });
  } else {
    cmds.push({ args: ["clone", "--depth", "1", ...(branch ? ["--branch", branch] : []), "--", depthSafeUrl(source.repoURL), dir], inClone: false });
  }
  cmds.push({ args: ["log", "-1", "--format=Checked out commit %H (%s)"], inClone: true });
  return cmds;
}

/** Shallow clones of a plain local path are ignored by git; `file://` makes `--depth` apply. */
function depthSafeUrl(url: string): string {
  return url.startsWith("/") ? `file://${url}` : url;
}

/** A URL without any `user:password@` part, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1");
}

/**
 * Environment for git: an askpass script answering username/password/passphrase prompts from
 * variables, an SSH key file for ssh, and no interactive prompts ever.
 */
export function gitAuthEnv(source: GitSource<string>, workDir: string): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
  const auth = source.gitAuth;
  if (!auth) return env;
  const askpass = join(workDir, "askpass.sh");
  writeFileSync(
    askpass,
    '#!/bin/sh\ncase "$1" in\n  *[Uu]sername*) printf "%s\\n" "$STACKYARD_GIT_USERNAME" ;;\n  *) printf "%s\\n" "$STACKYARD_GIT_PASSWORD" ;;\nesac\n',
    { mode: 0o700 },
  );
  chmodSync(askpass, 0o700);
  env["GIT_ASKPASS"] = askpass;
  if (auth.accessToken !== undefined) {
    env["STACKYARD_GIT_USERNAME"] = "git";
    env["STACKYARD_GIT_PASSWORD"] = auth.accessToken;
  } else if (auth.basicAuth) {
    env["STACKYARD_GIT_USERNAME"] = auth.basicAuth.userName ?? "";
    env["STACKYARD_GIT_PASSWORD"] = auth.basicAuth.password ?? "";
  } else if (auth.sshAuth) {
    const keyFile = join(workDir, "ssh-key");
    const key = auth.sshAuth.sshPrivateKey ?? auth.sshAuth.privateKey ?? "";
    writeFileSync(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    env["GIT_SSH_COMMAND"] = `ssh -i '${keyFile}' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='${join(workDir, "known_hosts")}'`;
    if (auth.sshAuth.password !== undefined) {
      env["STACKYARD_GIT_PASSWORD"] = auth.sshAuth.password;
      env["SSH_ASKPASS"] = askpass;
      env["SSH_ASKPASS_REQUIRE"] = "force";
      env["DISPLAY"] = ":0";
    }
  }
  return env;
}
