/**
 * The Automation API getting-started flow (inline program, createOrSelectStack, setConfig,
 * up({ onOutput })), run by Stackyard's CLI, with a local directory standing in for S3.
 *
 *   node index.mjs           deploy (or update) the site and print its URL
 *   node index.mjs destroy   tear it down and remove the stack
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation/index.js";
import { LocalBucket, LocalBucketObject, LocalBucketPolicy } from "./local-cloud.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..", "..");
const destroy = process.argv.slice(2).includes("destroy");

// Where the "cloud" keeps its buckets, and where Pulumi keeps its state (unless PULUMI_BACKEND_URL says otherwise).
const siteRoot = resolve(process.env.SITE_ROOT ?? join(here, "sites"));
const stateDir = join(here, ".pulumi-state");

const pulumiProgram = async () => {
  // Create a bucket and expose a website index document.
  const siteBucket = new LocalBucket("s3-website-bucket", {
    root: new pulumi.Config("local").require("siteRoot"),
    website: { indexDocument: "index.html" },
  });

  const indexContent = `<html><head>
<title>Hello S3</title><meta charset="UTF-8">
</head>
<body><p>Hello, world!</p><p>Made with ❤️ with <a href="https://pulumi.com">Pulumi</a></p>
</body></html>
`;

  // Write our index.html into the site bucket.
  new LocalBucketObject("index", {
    bucket: siteBucket,
    content: indexContent,
    contentType: "text/html; charset=utf-8",
    key: "index.html",
  });

  // An access policy so all objects are readable.
  function publicReadPolicyForBucket(bucketName) {
    return JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${bucketName}/*`] }],
    });
  }
  new LocalBucketPolicy("bucketPolicy", {
    bucket: siteBucket,
    policy: siteBucket.bucket.apply(publicReadPolicyForBucket),
  });

  return { websiteUrl: siteBucket.websiteEndpoint };
};

const run = async () => {
  const envVars = {
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "static-site-example",
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${stateDir}`,
  };
  if (!process.env.PULUMI_BACKEND_URL) mkdirSync(stateDir, { recursive: true });
  // Stackyard's CLI from this repository (bin/pulumi), not a Pulumi installed elsewhere.
  const pulumiCommand = await PulumiCommand.get({ root: repoRoot });

  const args = { stackName: "dev", projectName: "inlineNode", program: pulumiProgram };
  const stack = await LocalWorkspace.createOrSelectStack(args, { pulumiCommand, envVars });
  console.info("successfully initialized stack");

  // The guide installs the AWS plugin here; dynamic providers need no plugin.
  console.info("setting up config");
  await stack.setConfig("local:siteRoot", { value: siteRoot });
  console.info("config set");

  console.info("refreshing stack...");
  await stack.refresh({ onOutput: console.info });
  console.info("refresh complete");

  if (destroy) {
    console.info("destroying stack...");
    await stack.destroy({ onOutput: console.info, remove: true });
    console.info("stack destroy complete");
    return;
  }

  console.info("updating stack...");
  const upRes = await stack.up({ onOutput: console.info });
  console.log(`update summary: \n${JSON.stringify(upRes.summary.resourceChanges, null, 4)}`);
  console.log(`website url: ${upRes.outputs.websiteUrl.value}`);
};

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
