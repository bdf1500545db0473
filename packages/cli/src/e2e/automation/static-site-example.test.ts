/**
 * examples/static-site end to end, as its README runs it: deploy, deploy again (no changes),
 * destroy. Keeps the example from rotting.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT, describeOnBackends } from "./support.js";

const EXAMPLE = join(REPO_ROOT, "examples", "static-site");

await describeOnBackends("examples/static-site", (sb) => {
  const siteRoot = sb.dir("sites");
  const run = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(EXAMPLE, "index.mjs"), ...args], {
      cwd: EXAMPLE,
      env: { ...process.env, ...sb.envVars, SITE_ROOT: siteRoot },
      timeout: 120_000,
    });
    return stdout;
  };

  test("deploys the site to a local directory, then again with no changes, then destroys it", async () => {
    const first = await run();
    assert.match(first, /successfully initialized stack/);
    assert.match(first, /Updating \(dev\)/, "onOutput shows the update display");
    assert.match(first, /"create": 4/);
    const url = /website url: file:\/\/(\S+)/.exec(first)?.[1];
    assert.ok(url, first);
    assert.match(readFileSync(url, "utf8"), /<p>Hello, world!<\/p>/);
    const [bucket] = readdirSync(siteRoot);
    assert.ok(bucket?.startsWith("s3-website-bucket-"));
    assert.match(readFileSync(join(siteRoot, bucket, "policy.json"), "utf8"), new RegExp(`arn:aws:s3:::${bucket}/\\*`));

    const second = await run();
    assert.match(second, /"same": 4/);
    assert.ok(second.includes(`website url: file://${url}`));

    const destroyed = await run("destroy");
    assert.match(destroyed, /stack destroy complete/);
    assert.deepEqual(readdirSync(siteRoot), []);
    assert.ok(!existsSync(url));
  });
});
