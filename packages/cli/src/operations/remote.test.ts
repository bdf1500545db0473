import assert from "node:assert/strict";
import test from "node:test";
import { remoteOperation, remoteRequest } from "./remote.js";

test("--remote flags become a create-deployment request", () => {
  const req = remoteRequest("update", {
    remote: "https://example.com/r.git", remoteGitBranch: "refs/heads/main", remoteGitRepoDir: "infra",
    remoteGitAuthAccessToken: "tok", remoteEnv: ["A=1", "B=x=y"], remoteEnvSecret: ["S=s"], remotePreRunCommand: ["echo hi"],
    remoteSkipInstallDependencies: true, remoteExecutorImage: "img",
  });
  assert.deepEqual(req, {
    operation: "update", inheritSettings: false,
    operationContext: { operation: "update", preRunCommands: ["echo hi"], environmentVariables: { A: "1", B: "x=y", S: { secret: "s" } }, options: { skipInstallDependencies: true } },
    sourceContext: { git: { repoURL: "https://example.com/r.git", branch: "refs/heads/main", repoDir: "infra", gitAuth: { accessToken: { secret: "tok" } } } },
    executorContext: { executorImage: "img" },
  });
  const ssh = remoteRequest("destroy", { remote: "git@h:r.git", remoteGitAuthPassword: "pw" }, "KEY");
  assert.deepEqual((ssh["sourceContext"] as { git: { gitAuth: unknown } }).git.gitAuth, { sshAuth: { sshPrivateKey: { secret: "KEY" }, password: { secret: "pw" } } });
  const basic = remoteRequest("refresh", { remote: "https://h/r.git", remoteGitAuthUsername: "u", remoteGitAuthPassword: "p" });
  assert.deepEqual((basic["sourceContext"] as { git: { gitAuth: unknown } }).git.gitAuth, { basicAuth: { userName: "u", password: { secret: "p" } } });
  assert.deepEqual(remoteRequest("update", { remote: true, remoteInheritSettings: true })["inheritSettings"], true);
  assert.throws(() => remoteRequest("update", { remote: true }), /repository URL must be given/);
  assert.throws(() => remoteRequest("update", { remote: "u", remoteGitBranch: "a", remoteGitCommit: "b" }), /cannot both be specified/);
  assert.throws(() => remoteRequest("update", { remote: "u", remoteEnv: ["NOEQUALS"] }), /NAME=value/);
});

test("the command picks the deployment's operation", () => {
  assert.equal(remoteOperation("up", {}), "update");
  assert.equal(remoteOperation("up", { previewOnly: true }), "preview");
  assert.equal(remoteOperation("destroy", {}), "destroy");
  assert.throws(() => remoteOperation("import", {}), /not supported/);
});
