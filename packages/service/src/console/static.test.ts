/** The console's static files: what is served, what is not, and that the API is untouched. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { request } from "node:http";
import type { TestService } from "../testing/harness.js";
import { startTestService } from "../testing/harness.js";
import { consoleFile, consoleRoot } from "./static.js";

test("consoleFile maps the console's own files and refuses everything else", () => {
  assert.equal(consoleFile(""), "public/index.html");
  assert.equal(consoleFile("index.html"), "public/index.html");
  assert.equal(consoleFile("console.css"), "public/console.css");
  assert.equal(consoleFile("app/main.js"), "dist/app/main.js");
  assert.equal(consoleFile("app/views/stack.js"), "dist/app/views/stack.js");
  for (const bad of ["../package.json", "app/../../package.json", "..", "app/main.js.map", "app/main.d.ts", "app/x.test.js", "test/format.test.js", ".env", "app/.hidden.js", "nested/console.css", "app//main.js", "main.ts", "app/main.css"]) {
    assert.equal(consoleFile(bad), undefined, bad);
  }
});

/** Raw GET: fetch would normalize dot-segments before they reach the service. */
function rawGet(url: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on("error", reject).end();
  });
}

let svc: TestService;
const built = consoleRoot() !== undefined;
before(async () => {
  svc = await startTestService();
});
after(async () => {
  await svc.stop();
});

test("the service serves the console at /console/ without credentials and redirects / there", { skip: built ? false : "packages/console is not built" }, async () => {
  const root = await rawGet(svc.url, "/");
  assert.equal(root.status, 302);
  assert.equal(root.headers["location"], "/console/");
  for (const path of ["/console", "/console/"]) {
    const page = await rawGet(svc.url, path);
    assert.equal(page.status, 200, path);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(page.body, /<script type="module" src="\/console\/app\/main\.js">/);
    assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
  }
  const js = await rawGet(svc.url, "/console/app/main.js");
  assert.equal(js.status, 200);
  assert.match(String(js.headers["content-type"]), /^text\/javascript/);
  assert.equal(js.headers["x-content-type-options"], "nosniff");
  const again = await fetch(`${svc.url}/console/app/main.js`, { headers: { "If-None-Match": String(js.headers["etag"]) } });
  assert.equal(again.status, 304);
  assert.match(String((await rawGet(svc.url, "/console/console.css")).headers["content-type"]), /^text\/css/);
  for (const path of ["/console/../package.json", "/console/app/../../package.json", "/console/%2e%2e/package.json", "/console/app/main.js.map", "/console/nope.js", "/console/app/nope.js"]) {
    const r = await rawGet(svc.url, path);
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.body, /"name":\s*"@stackyard/, path);
  }
  // API routes are untouched: still JSON, still authenticated.
  const anon = await rawGet(svc.url, "/api/user");
  assert.equal(anon.status, 401);
  assert.equal((await svc.api("GET", "/api/user")).status, 200);
  assert.equal((await svc.api("GET", "/api/nope")).json.code, 404);
});
