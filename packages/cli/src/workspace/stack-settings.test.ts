import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { configSet, plainValue, secureValue } from "./config-value.js";
import { loadStackSettings, parseStackSettings, saveStackSettings, serializeStackSettings, updateStackSettings } from "./stack-settings.js";

const SAMPLE = `encryptionsalt: v1:abc=:v1:n:c
config:
  p:plain: hello
  p:num: 1
  p:config:legacy: x
  bare: y
  p:password:
    secure: v1:NONCE:CT
  p:obj:
    a: 1
    b:
      secure: v1:N2:C2
custom:
  keep: me
`;

test("reads secure values, objects, legacy and bare keys; keeps unknown keys", () => {
  const s = parseStackSettings(parse(SAMPLE), "p");
  assert.equal(s.encryptionsalt, "v1:abc=:v1:n:c");
  assert.deepEqual(s.config.get("p:plain"), plainValue("hello"));
  assert.deepEqual(s.config.get("p:num"), plainValue("1"));
  assert.deepEqual(s.config.get("p:legacy"), plainValue("x"));
  assert.deepEqual(s.config.get("p:bare"), plainValue("y"));
  assert.deepEqual(s.config.get("p:password"), secureValue("v1:NONCE:CT"));
  assert.deepEqual(s.config.get("p:obj"), { value: '{"a":1,"b":{"secure":"v1:N2:C2"}}', secure: true, object: true });
  assert.deepEqual(s.extra, { custom: { keep: "me" } });
});

test("writes Pulumi's shape: sorted keys, secure maps, strings quoted as needed, unknown keys kept", () => {
  const s = parseStackSettings(parse(SAMPLE), "p");
  const text = serializeStackSettings(s, "yaml");
  const back = parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(back), ["encryptionsalt", "config", "custom"]);
  const config = back["config"] as Record<string, unknown>;
  assert.deepEqual(Object.keys(config), [...Object.keys(config)].sort());
  assert.equal(config["p:num"], "1");
  assert.deepEqual(config["p:password"], { secure: "v1:NONCE:CT" });
  assert.deepEqual(config["p:obj"], { a: 1, b: { secure: "v1:N2:C2" } });
  assert.match(text, /p:num: "1"/);
  assert.equal(serializeStackSettings(parseStackSettings({}, "p"), "yaml"), "{}\n");
  assert.equal(serializeStackSettings(parseStackSettings(parse(SAMPLE), "p"), "json").startsWith("{\n    \"encryptionsalt\""), true);
});

test("file round trip and concurrent locked updates of one file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ss-"));
  const path = join(dir, "Pulumi.dev.yaml");
  assert.equal((await loadStackSettings(path, "p")).config.size, 0);
  writeFileSync(path, SAMPLE);
  const s = await loadStackSettings(path, "p");
  configSet(s.config, "p:new", plainValue("v"), false);
  await saveStackSettings(path, s);
  assert.match(readFileSync(path, "utf8"), /p:new: v/);
  await Promise.all(
    Array.from({ length: 25 }, (_, i) => updateStackSettings(path, "p", (st) => configSet(st.config, `p:k${i}`, plainValue(String(i)), false))),
  );
  const after = await loadStackSettings(path, "p");
  for (let i = 0; i < 25; i++) assert.deepEqual(after.config.get(`p:k${i}`), plainValue(String(i)));
  assert.deepEqual(after.extra, { custom: { keep: "me" } });
});

test("a broken file names itself in the error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ss-"));
  const path = join(dir, "Pulumi.bad.yaml");
  writeFileSync(path, "config: [1, 2]\n");
  await assert.rejects(loadStackSettings(path, "p"), /Pulumi.bad.yaml: stack 'config' must be an object/);
});

test("saving edits the existing YAML: comments and untouched entries survive", () => {
  const original = `# stack settings for dev
encryptionsalt: v1:abc=:v1:n:c
config:
  # the greeting shown to users
  p:greeting: hello
  p:obj:
    a: 1 # inline
  p:gone: bye
custom: 1
`;
  const s = parseStackSettings(parse(original), "p");
  configSet(s.config, "p:new", plainValue("v"), false);
  configSet(s.config, "p:greeting", plainValue("hi"), false);
  s.config.delete("p:gone");
  const text = serializeStackSettings(s, "yaml", original);
  assert.match(text, /^# stack settings for dev\n/);
  assert.match(text, /# the greeting shown to users\n {2}p:greeting: hi\n/);
  assert.match(text, /a: 1 # inline/);
  assert.doesNotMatch(text, /p:gone/);
  assert.match(text, /p:new: v/);
  const back = parseStackSettings(parse(text), "p");
  assert.deepEqual([...back.config.keys()].sort(), ["p:greeting", "p:new", "p:obj"]);
  assert.deepEqual(back.extra, { custom: 1 });
  // Without an original, or with a broken one, the file is written afresh.
  assert.doesNotMatch(serializeStackSettings(s, "yaml", "key: [unclosed"), /unclosed/);
});
