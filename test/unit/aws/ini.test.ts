import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { IniError, parseIni } from "../../../lib/aws/ini.ts";

const plain = (ini: ReturnType<typeof parseIni>) => JSON.parse(JSON.stringify(ini)) as unknown;

describe("parseIni, as Python's configparser reads the AWS files", () => {
  test("sections, keys (lowercased), = and :, comments only at line start, CRLF and CR", () => {
    const ini = parseIni("# top\r\n[a]\r\nKey = v1 \r\n; c\r\n  # indented comment\r\nother=x=y\rcolon: a:b\r\ninline = v # kept\r\n");
    assert.deepEqual(plain(ini), { a: { key: "v1", other: "x=y", colon: "a:b", inline: "v # kept" } });
  });

  test("section names are kept exactly: [ profile   b ] is not [profile b]", () => {
    assert.deepEqual(Object.keys(parseIni("[ profile   b ]\nk=2\n[profile b]\nk=3\n")), [" profile   b ", "profile b"]);
  });

  test("indented lines under a key continue it; an indented `s3 =` block is a nested section", () => {
    const ini = parseIni("[profile p]\ns3 =\n  max_concurrent_requests = 20\n\n  # note\n  region = x\nregion = eu-west-1\nmulti = a\n  b\n");
    assert.deepEqual(plain(ini), { "profile p": { s3: { max_concurrent_requests: "20", region: "x" }, region: "eu-west-1", multi: "a\nb" } });
  });

  test("keys indented under a section header, at one level, are keys", () => {
    assert.deepEqual(plain(parseIni("[p]\n  a = 1\n  b = 2\n\tc = 3\n")), { p: { a: "1", b: "2", c: "3" } });
  });

  test("[DEFAULT] is inherited by every section and not a section itself", () => {
    assert.deepEqual(plain(parseIni("[DEFAULT]\nregion = r\nx = d\n[a]\nx = 1\n[b]\n")), { a: { x: "1", region: "r" }, b: { region: "r", x: "d" } });
  });

  test("what the CLI refuses: repeated sections and keys, keys outside sections, stray lines, bad nesting", () => {
    const refused: [string, number, RegExp][] = [
      ["[a]\nx=1\n[b]\n[a]\n", 4, /section \[a\] appears twice/],
      ["[a]\nx=1\nX = 2\n", 3, /key x appears twice in section \[a\]/],
      ["x = 1\n[a]\n", 1, /before the first \[section\]/],
      ["[a]\njust words\n", 2, /not a \[section\]/],
      ["[a]\n= value\n", 2, /no key before/],
      ["[a]\ns3 =\n  words\n", 2, /nested under s3 has no =/],
    ];
    for (const [text, line, reason] of refused) {
      assert.throws(() => parseIni(text), (e: unknown) => e instanceof IniError && e.line === line && reason.test(e.message), text);
    }
  });

  test("empty text, only comments: no sections", () => {
    assert.deepEqual(plain(parseIni("")), {});
    assert.deepEqual(plain(parseIni("# x\n;y\n\n")), {});
  });
});
