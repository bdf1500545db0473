/**
 * Run by events-errors.test.ts in a child process: an inline program that throws, then one that
 * rejects, then a good one, on one stack. The SDK runs inline programs in the calling process, and
 * a failed program leaves rejected promises behind that Node's test runner would blame on whatever
 * test runs next; here they die with the child. Prints one JSON line with what happened.
 *
 * argv: <stackName> <project> <workspace options as JSON>
 */
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, type LocalWorkspaceOptions } from "@pulumi/pulumi/automation/index.js";

const [stackName, projectName, optionsJson, root] = process.argv.slice(2) as [string, string, string, string];
let mode: "throw" | "reject" | "ok" = "throw";
const program = async () => {
  if (mode === "throw") throw new Error("the program threw: bad input");
  const config = new pulumi.Config();
  if (mode === "reject") await Promise.reject(new Error("the program rejected: async failure"));
  return { word: config.get("word") ?? "none" };
};

async function failure(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return "resolved";
  } catch (err) {
    return `${(err as Error).constructor.name}: ${String((err as Error).message)}`;
  }
}

const options = { ...(JSON.parse(optionsJson) as LocalWorkspaceOptions), pulumiCommand: await PulumiCommand.get({ root }) };
const stack = await LocalWorkspace.createOrSelectStack({ stackName, projectName, program }, options);
await stack.setConfig("word", { value: "hi" });
const thrown = await failure(() => stack.up());
mode = "reject";
const rejected = await failure(() => stack.preview());
mode = "ok";
const up = await stack.up();
const history = await stack.history();
process.stdout.write(`${JSON.stringify({ thrown, rejected, result: up.summary.result, outputs: up.outputs, history: history.map((h) => h.result) })}\n`);
process.exit(0);
