import assert from "node:assert/strict";
import test from "node:test";
import { looksSecret, maskSecrets, mergePatch, mergeSpecs, mustSeal, parseLogToken, parseSpec, planLogRead, planSteps, type StepLogState } from "./model.js";
import { branchName, cloneCommands, redactUrl } from "./runner/git.js";
import { DRIFT_MARKER, operationArgs } from "./runner/job.js";
import { LineSplitter, parseEnvFile } from "./runner/process.js";
import { driftScheduleBody, nextCronRun, parseTimestamp, rawScheduleBody, ttlScheduleBody } from "./schedules.js";
import { agentStatus } from "./agent-pools.js";

test("parseSpec: both spellings, secrets, options, and clear errors", () => {
  const spec = parseSpec({
    sourceContext: { git: { repoUrl: "https://example.com/r.git", branch: "refs/heads/main", repoDir: "infra", gitAuth: { basicAuth: { userName: "u", password: { secret: "p" } } } } },
    operationContext: { operation: "update", preRunCommands: ["echo hi"], environmentVariables: { A: "1", B: { secret: "2" } }, options: { skipInstallDependencies: true }, oidc: { aws: { roleArn: "r", sessionName: "s" } } },
    executorContext: { executorImage: { reference: "img:1" } },
  });
  assert.equal(spec.operation, "update");
  assert.equal(spec.sourceContext?.git?.repoURL, "https://example.com/r.git");
  assert.deepEqual(spec.sourceContext?.git?.gitAuth, { basicAuth: { userName: "u", password: { secret: "p" } } });
  assert.deepEqual(spec.operationContext?.environmentVariables, { A: "1", B: { secret: "2" } });
  assert.equal(spec.executorContext?.executorImage, "img:1");
  assert.deepEqual(spec.operationContext?.oidc, { aws: { roleArn: "r", sessionName: "s" } });
  assert.throws(() => parseSpec({ operation: "deploy" }), /operation must be one of/);
  assert.throws(() => parseSpec({ sourceContext: { git: { repoURL: "x", branch: "a", commit: "abcd" } } }), /mutually exclusive/);
  assert.throws(() => parseSpec({ sourceContext: { git: { repoURL: "x", repoDir: "../up" } } }), /relative path/);
  assert.throws(() => parseSpec({ operationContext: { environmentVariables: { "1BAD": "x" } } }), /not valid/);
  assert.throws(() => parseSpec({ operationContext: { preRunCommands: "echo" } }), /list of strings/);
  assert.throws(() => parseSpec({ sourceContext: { git: { repoURL: "x", gitAuth: { accessToken: "t", basicAuth: { password: "p" } } } } }), /only one/);
});

test("secretness: marked, git credentials, key terms and random-looking values", () => {
  assert.equal(looksSecret("AWS_SECRET_ACCESS_KEY", "x"), true);
  assert.equal(looksSecret("GITHUB_TOKEN", "abc"), true);
  assert.equal(looksSecret("VALUE", "AKIAIOSFODNN7EXAMPLE1"), true);
  assert.equal(looksSecret("VALUE", "f3a9c1e7d2b84a6c9e0f1a2b3c4d5e6f"), true);
  assert.equal(looksSecret("AWS_REGION", "us-west-2"), false);
  assert.equal(looksSecret("TARGET", "/tmp/stackyard-deploy-abc123/out.txt"), false);
  assert.equal(looksSecret("GREETING", "hello world from the deployment"), false);
  assert.equal(mustSeal({ secret: "x" }, "env:A"), true);
  assert.equal(mustSeal("plain", "env:A"), false);
  assert.equal(mustSeal("u", "git:userName"), false);
  assert.equal(mustSeal("tok", "git:accessToken"), true);
});

test("settings merge: request overrides, objects merge, merge-patch deletes on null", () => {
  const merged = mergeSpecs(
    { sourceContext: { git: { repoURL: "a", branch: "main" } }, operationContext: { environmentVariables: { A: "1", S: { ciphertext: "c" } }, preRunCommands: ["x"] } },
    { operation: "destroy", operationContext: { environmentVariables: { B: "2", S: "plain" }, preRunCommands: ["y"] } },
  );
  assert.deepEqual(merged, {
    operation: "destroy",
    sourceContext: { git: { repoURL: "a", branch: "main" } },
    operationContext: { environmentVariables: { A: "1", B: "2", S: "plain" }, preRunCommands: ["y"] },
  });
  assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, d: 3 }, { a: { b: null }, d: 4, e: 5 }), { a: { c: 2 }, d: 4, e: 5 });
});

test("planSteps: source, install unless skipped, one step per pre-run command, the operation", () => {
  assert.deepEqual(planSteps({ operation: "update", operationContext: { preRunCommands: ["a", "b"] } }).map((s) => s.name), [
    "Get source", "Install dependencies", "Pre-run command 1", "Pre-run command 2", "pulumi update",
  ]);
  assert.deepEqual(planSteps({ operation: "detect-drift", operationContext: { options: { skipInstallDependencies: true, remediateIfDriftDetected: true } } }).map((s) => s.kind), [
    "source", "operation", "remediate",
  ]);
});

test("planLogRead: headers, paging, waiting on a running step, and the end", () => {
  const steps: StepLogState[] = [
    { name: "Get source", status: "succeeded", lineCount: 2 },
    { name: "Install", status: "running", lineCount: 1 },
    { name: "pulumi update", status: "not-started", lineCount: 0 },
  ];
  const first = planLogRead(steps, parseLogToken(undefined), false, 100);
  assert.deepEqual(first.reads, [
    { kind: "header", step: 0, name: "Get source" }, { kind: "lines", step: 0, from: 0, count: 2 },
    { kind: "header", step: 1, name: "Install" }, { kind: "lines", step: 1, from: 0, count: 1 },
  ]);
  assert.deepEqual(first.next, { job: 0, step: 1, offset: 2 });
  // Nothing new: the same token comes back.
  assert.deepEqual(planLogRead(steps, first.next!, false, 100), { reads: [], next: first.next });
  // A budget cuts inside a step and resumes there.
  const cut = planLogRead(steps, { job: 0, step: 0, offset: 0 }, false, 1);
  assert.deepEqual(cut.next, { job: 0, step: 0, offset: 2 });
  // Finished: unstarted steps are skipped and there is no next token.
  const done = planLogRead([{ ...steps[0]! }, { ...steps[1]!, status: "failed" }, steps[2]!], first.next!, true, 100);
  assert.deepEqual(done, { reads: [], next: undefined });
  assert.throws(() => parseLogToken("x.y"), /invalid log token/);
});

test("masking replaces every occurrence, longest first", () => {
  assert.equal(maskSecrets("token=abcdef and abcdef again, abc", ["abcdef", "ab"]), "token=[secret] and [secret] again, abc");
  assert.equal(maskSecrets("short a", ["a"]), "short a");
});

test("git: clone commands for branch, commit and local paths; URLs lose credentials in logs", () => {
  assert.equal(branchName("refs/heads/main"), "main");
  assert.equal(branchName("HEAD"), undefined);
  assert.deepEqual(cloneCommands({ repoURL: "/r", branch: "refs/heads/dev" }, "/w").map((c) => c.args.join(" ")), [
    "clone --depth 1 --branch dev -- file:///r /w", "log -1 --format=Checked out commit %H (%s)",
  ]);
  assert.deepEqual(cloneCommands({ repoURL: "https://h/r.git", commit: "abc123" }, "/w").map((c) => c.args.join(" ")).slice(0, 2), [
    "clone --no-checkout -- https://h/r.git /w", "-c advice.detachedHead=false checkout --detach abc123",
  ]);
  assert.equal(redactUrl("https://user:pw@github.com/x.git"), "https://github.com/x.git");
});

test("runner pieces: operation arguments, PULUMI_ENV files, line splitting", () => {
  assert.deepEqual(operationArgs("update", "o/p/s"), ["up", "--yes", "--skip-preview", "--stack", "o/p/s"]);
  assert.deepEqual(operationArgs("detect-drift", "o/p/s"), ["refresh", "--preview-only", "--expect-no-changes", "--stack", "o/p/s"]);
  assert.ok(DRIFT_MARKER.length > 0);
  assert.deepEqual(parseEnvFile("A=1\nexport B=\"two words\"\n# c\nbad line\nC=x=y\n"), { A: "1", B: "two words", C: "x=y" });
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  s.push("a\nb");
  s.push("c\n\nd");
  s.end();
  assert.deepEqual(lines, ["a\n", "bc\n", "\n", "d\n"]);
});

test("schedules: cron and timestamps validated; drift and TTL shorthands", () => {
  const from = new Date("2024-04-19T01:00:00Z");
  assert.equal(nextCronRun("0 0 * * *", from), Date.parse("2024-04-20T00:00:00Z"));
  assert.equal(nextCronRun("*/10 * * * * *", from), Date.parse("2024-04-19T01:00:10Z"));
  assert.throws(() => nextCronRun("not cron", from), /invalid cron expression/);
  assert.equal(parseTimestamp("2024-04-20 00:00:00.000", "t"), Date.parse("2024-04-20T00:00:00Z"));
  assert.throws(() => parseTimestamp("soon", "timestamp"), /ISO 8601/);
  assert.throws(() => rawScheduleBody({ scheduleCron: "* * * * *", scheduleOnce: "2024-01-01T00:00:00Z", request: {} }), /exactly one/);
  assert.deepEqual(driftScheduleBody({ scheduleCron: "0 0 * * 0", autoRemediate: true }).request, {
    inheritSettings: true, operation: "detect-drift", operationContext: { options: { remediateIfDriftDetected: true } },
  });
  const ttl = ttlScheduleBody({ timestamp: "2024-04-20T00:00:00.000Z", deleteAfterDestroy: true });
  assert.equal(ttl.scheduleOnce, Date.parse("2024-04-20T00:00:00Z"));
  assert.equal(agentStatus(1000, 2000, 5000), "online");
  assert.equal(agentStatus(1000, 9000, 5000), "offline");
});
