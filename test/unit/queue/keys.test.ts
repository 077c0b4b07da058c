/**
 * Object keys in S3 events: form-URL-decoding (`+` is a space), checked against Python's
 * urllib.parse.unquote_plus (what Filebeat's url.QueryUnescape and Logstash's CGI.unescape also do) on a seeded
 * corpus of hostile keys, and the encoding enqueue.ts writes reads back to the same key.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { decodeKey, encodeKey, KeyError } from "../../../lib/queue/keys.ts";

/** Keys with what S3 allows and CloudTrail prefixes may hold: spaces, +, %, :, unicode, astral characters. */
function hostileKeys(seed: number, count: number): string[] {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const alphabet = ["a", "Z", "0", " ", "+", "%", ":", "/", "=", "&", "?", "#", "~", "!", "'", "(", "*", "é", "日", "😀", "%2B", "%20", "..", "\\", "\t", "\u00a0"];
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    let key = "";
    const length = 1 + Math.floor(next() * 30);
    for (let j = 0; j < length; j++) key += alphabet[Math.floor(next() * alphabet.length)];
    keys.push(`AWSLogs/${key}.json.gz`);
  }
  return keys;
}

describe("decodeKey", () => {
  test("the S3 documentation's examples: + is a space, %3A a colon, %2B a plus", () => {
    assert.equal(decodeKey("red+flower.jpg"), "red flower.jpg");
    assert.equal(decodeKey("AWSLogs/a%3Ab.json.gz"), "AWSLogs/a:b.json.gz");
    assert.equal(decodeKey("a%2Bb"), "a+b");
    assert.equal(decodeKey("a%20b"), "a b"); // LocalStack writes spaces this way
    assert.equal(decodeKey("%E6%97%A5%F0%9F%98%80"), "日😀");
  });

  test("malformed escapes are an error naming the key, never a wrong key", () => {
    for (const bad of ["a%", "a%2", "a%zz", "%E0%A4%A", "%C0%80", "%ED%A0%80"]) {
      assert.throws(() => decodeKey(bad), (e: unknown) => e instanceof KeyError && e.message.includes(JSON.stringify(bad)), bad);
    }
  });

  test("agrees with Python's urllib.parse.unquote_plus on 400 encoded hostile keys", () => {
    const encoded = hostileKeys(9, 200).flatMap((k) => [encodeKey(k), encodeURIComponent(k)]);
    const python = execFileSync("python3", ["-c", "import sys, json, urllib.parse\nfor line in sys.stdin: print(json.dumps(urllib.parse.unquote_plus(json.loads(line), errors='strict')))"], {
      input: encoded.map((k) => JSON.stringify(k)).join("\n") + "\n",
      encoding: "utf8",
    }).trim().split("\n").map((line) => JSON.parse(line) as string);
    assert.equal(python.length, encoded.length);
    for (let i = 0; i < encoded.length; i++) assert.equal(decodeKey(encoded[i]!), python[i], encoded[i]);
  });
});

describe("encodeKey", () => {
  test("keeps / and writes a space as +, as S3 does", () => {
    assert.equal(encodeKey("AWSLogs/my logs/a+b:c.json.gz"), "AWSLogs/my+logs/a%2Bb%3Ac.json.gz");
  });

  test("decodeKey(encodeKey(k)) is k for 1,000 hostile keys", () => {
    for (const key of hostileKeys(42, 1000)) assert.equal(decodeKey(encodeKey(key)), key);
  });
});
