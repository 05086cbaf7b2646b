import { test } from "node:test";
import assert from "node:assert/strict";
import { parseProperties } from "../../src/formats/properties.js";

test("parses the separators, comments and continuations of Java properties", () => {
  const p = parseProperties(
    [
      "# comment",
      "! also a comment",
      "a=1",
      "b : two words  ",
      "c three",
      "  d=line\\",
      "    continued",
      "e=tab\\there \\u0041",
      "f\\=g=h",
      "empty=",
      "a=override",
    ].join("\n"),
    "server.properties",
  );
  const get = (k: string) => p.map.get(k)?.value;
  assert.equal(get("a"), "override");
  assert.equal(get("b"), "two words  ");
  assert.equal(get("c"), "three");
  assert.equal(get("d"), "linecontinued");
  assert.equal(get("e"), "tab\there A");
  assert.equal(get("f=g"), "h");
  assert.equal(get("empty"), "");
  assert.equal(p.map.get("d")?.line, 6);
  assert.equal(p.map.get("a")?.line, 11);
  assert.equal(p.entries.length, 8);
  assert.equal(p.entries[0].file, "server.properties");
});
