import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Ciphertext,
  collectCiphertexts,
  configGet,
  configRemove,
  configSet,
  goJson,
  objectToValue,
  parsePropertyPath,
  plainValue,
  secureValue,
  valueText,
  valueToObject,
  type StackConfig,
} from "./config-value.js";

test("property paths: dots, indexes, quoted keys, and strict errors", () => {
  assert.deepEqual(parsePropertyPath("a.b[0]"), ["a", "b", 0]);
  assert.deepEqual(parsePropertyPath('["x.y"]["z"]'), ["x.y", "z"]);
  assert.deepEqual(parsePropertyPath('a["q\\"uote"].c'), ["a", 'q"uote', "c"]);
  assert.deepEqual(parsePropertyPath("names[12]"), ["names", 12]);
  assert.throws(() => parsePropertyPath(".a"), /start with a name or index/);
  assert.throws(() => parsePropertyPath("a."), /end with a name or index/);
  assert.throws(() => parsePropertyPath("a.[0]"), /expected property name after '.'/);
  assert.throws(() => parsePropertyPath("a[x]"), /invalid array index/);
  assert.throws(() => parsePropertyPath('a["x'), /missing closing quote/);
});

test("--path set creates maps, coerces true/false/ints, and makes JSON text sorted like Go", () => {
  const c: StackConfig = new Map();
  configSet(c, "p:key7.subKey2", plainValue("value8"), true);
  assert.deepEqual(c.get("p:key7"), { value: '{"subKey2":"value8"}', secure: false, object: true });
  configSet(c, "p:key7.subKey1", plainValue("true"), true);
  configSet(c, "p:key7.n", plainValue("42"), true);
  configSet(c, "p:key7.z", plainValue("007"), true);
  assert.equal(c.get("p:key7")!.value, '{"n":42,"subKey1":true,"subKey2":"value8","z":"007"}');
  // Without --path the dot is part of the name and the value stays text.
  configSet(c, "p:key6.subKey1", plainValue("true"), false);
  assert.deepEqual(c.get("p:key6.subKey1"), plainValue("true"));
  // A top-level --path key is stored as given (no coercion).
  configSet(c, "p:top", plainValue("1"), true);
  assert.deepEqual(c.get("p:top"), plainValue("1"));
});

test("--path arrays: new index pads with null, append at length, out of range fails", () => {
  const c: StackConfig = new Map();
  configSet(c, "p:names[0]", plainValue("a"), true);
  configSet(c, "p:names[1]", plainValue("b"), true);
  assert.equal(c.get("p:names")!.value, '["a","b"]');
  assert.throws(() => configSet(c, "p:names[5]", plainValue("x"), true), /\[names 5\]: array index out of range/);
  configSet(c, "p:other[2]", plainValue("z"), true);
  assert.equal(c.get("p:other")!.value, '[null,null,"z"]');
  assert.throws(() => configSet(c, "p:names.x", plainValue("x"), true), /key for an array must be an int/);
});

test("quoted path segments and replacing a scalar root with a container", () => {
  const c: StackConfig = new Map([["p:outer", plainValue("scalar")]]);
  configSet(c, 'p:outer["a.b"]', plainValue("v"), true);
  assert.equal(c.get("p:outer")!.value, '{"a.b":"v"}');
  assert.throws(() => configSet(c, 'p:outer["a.b"].c', plainValue("v"), true), /expected a map/);
});

test("secret leaves make the whole key secure; get/remove by path", () => {
  const c: StackConfig = new Map();
  configSet(c, "p:db.user", plainValue("admin"), true);
  configSet(c, "p:db.password", secureValue("v1:n:ct"), true);
  const db = c.get("p:db")!;
  assert.equal(db.secure, true);
  assert.equal(db.object, true);
  assert.equal(db.value, '{"password":{"secure":"v1:n:ct"},"user":"admin"}');
  assert.deepEqual(collectCiphertexts(db), ["v1:n:ct"]);
  assert.equal(valueText(db, () => "hunter2"), '{"password":"hunter2","user":"admin"}');
  assert.deepEqual(configGet(c, "p:db.user", true), plainValue("admin"));
  assert.deepEqual(configGet(c, "p:db.password", true), secureValue("v1:n:ct"));
  assert.equal(configGet(c, "p:db.nope", true), undefined);
  assert.equal(configGet(c, "p:db.user", false), undefined);
  configRemove(c, "p:db.password", true);
  assert.deepEqual(c.get("p:db"), { value: '{"user":"admin"}', secure: false, object: true });
  configRemove(c, "p:db", true);
  assert.equal(c.has("p:db"), false);
  configRemove(c, "p:absent.x", true);
});

test("the reserved secure key", () => {
  const c: StackConfig = new Map();
  assert.throws(() => configSet(c, "p:m.secure", plainValue("x"), true), /maps with the single key "secure" are reserved/);
  configSet(c, "p:m.secure", plainValue("x"), false);
  const c2: StackConfig = new Map([["p:m", { value: '{"other":1,"secure":"x"}', secure: false, object: true }]]);
  assert.throws(() => configRemove(c2, "p:m.other", true), /reserved/);
});

test("values ↔ objects, typed values, Go JSON escaping", () => {
  assert.ok(valueToObject(secureValue("ct")) instanceof Ciphertext);
  assert.equal(valueToObject({ ...plainValue("12"), type: "int" }), 12);
  assert.equal(valueToObject({ ...plainValue("true"), type: "bool" }), true);
  assert.throws(() => valueToObject({ ...plainValue("x"), type: "float" }), /invalid syntax/);
  assert.deepEqual(objectToValue(true), plainValue("true"));
  assert.deepEqual(objectToValue(["a", 1]), { value: '["a",1]', secure: false, object: true });
  assert.equal(goJson({ b: "<&>", a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":"\\u003c\\u0026\\u003e"}');
});
