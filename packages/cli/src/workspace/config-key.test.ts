import { test } from "node:test";
import assert from "node:assert/strict";
import { parseConfigKey, parseKey, parseKeyValuePair, prettyKey } from "./config-key.js";

const proj = () => "p";

test("bare names get the project namespace; ns:config:name is an alias", () => {
  assert.equal(parseConfigKey("name", false, proj), "p:name");
  assert.equal(parseConfigKey("aws:region", false, proj), "aws:region");
  assert.equal(parseConfigKey("aws:config:region", false, proj), "aws:region");
  assert.equal(parseConfigKey("key6.subKey1", false, proj), "p:key6.subKey1");
  assert.throws(() => parseKey("a:b:c"), /could not parse a:b:c as a configuration key/);
});

test("--path keys namespace only their first segment", () => {
  assert.equal(parseConfigKey("key7.subKey2", true, proj), "p:key7.subKey2");
  assert.equal(parseConfigKey("a.b:c", true, proj), "p:a.b:c");
  assert.equal(parseConfigKey("aws:tags.env", true, proj), "aws:tags.env");
  assert.equal(parseConfigKey('["x.y"]', true, proj), 'p:["x.y"]');
  assert.equal(parseConfigKey("names[0]", true, proj), "p:names[0]");
});

test("pretty keys and key=value pairs", () => {
  assert.equal(prettyKey("p:name", "p"), "name");
  assert.equal(prettyKey("aws:region", "p"), "aws:region");
  assert.deepEqual(parseKeyValuePair("a=b=c"), { key: "a", value: "b=c" });
  assert.deepEqual(parseKeyValuePair('"a=x"=v'), { key: "a=x", value: "v" });
  assert.deepEqual(parseKeyValuePair("'k.j'=v"), { key: "k.j", value: "v" });
  assert.throws(() => parseKeyValuePair("novalue"), /config value must be in the form \[key\]=\[value\]/);
});
