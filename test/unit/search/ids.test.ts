/**
 * Golden vectors for document ids, written out literally. Ids must never change silently: a changed id duplicates
 * every record without an eventID on the next re-ingest. If one of these fails, the change is a breaking one.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { parseLossless } from "../../../lib/json/lossless.ts";
import { canonicalJson, canonicalNumber, eventIdOf, MAX_ID_BYTES, RecordIds } from "../../../lib/search/ids.ts";
import { Rng } from "../../support/hostile-json.ts";
import { repoRoot } from "../../support/stack.ts";

const ALICE = '{"eventVersion":"1.0","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"alice"},"eventTime":"2013-12-07T05:03:12Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/1.2.6","requestParameters":{"instancesSet":{},"filterSet":{}},"responseElements":null}';
const ALICE_ID = "a2f93a44a45efaf0aedc158228154cfa085591eafd95e017f2399cbeb0dbad31";

const idsOf = async (records: [string, string][]) => {
  const ids = new RecordIds();
  const out: string[] = [];
  for (const [object, text] of records) out.push(await ids.idOf(text, JSON.parse(text), object));
  return out;
};

describe("ids: golden vectors", () => {
  test("a 2013 record without eventID: the SHA-256 of its canonical form", async () => {
    assert.equal(
      canonicalJson(parseLossless(ALICE)),
      '{"awsRegion":"us-east-1","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","eventTime":"2013-12-07T05:03:12Z","eventVersion":"1.0","requestParameters":{"filterSet":{},"instancesSet":{}},"responseElements":null,"sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/1.2.6","userIdentity":{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","accountId":"123456789012","arn":"arn:aws:iam::123456789012:user/alice","principalId":"AIDAEXAMPLE","type":"IAMUser","userName":"alice"}}',
    );
    assert.deepEqual(await idsOf([["o1", ALICE]]), [ALICE_ID]);
  });

  test("identical records in one object get distinct ids; the same object read again gives the same ids", async () => {
    const object: [string, string][] = [["o1", ALICE], ["o1", ALICE], ["o1", ALICE]];
    const expected = [ALICE_ID, `${ALICE_ID}-2`, `${ALICE_ID}-3`];
    assert.deepEqual(await idsOf(object), expected);
    assert.deepEqual(await idsOf([...object, ["o2", ALICE], ["o2", ALICE]]), [...expected, ALICE_ID, `${ALICE_ID}-2`]);
  });

  test("the same record delivered in another object is the same document (first occurrence)", async () => {
    assert.deepEqual(await idsOf([["o1", ALICE], ["o2", ALICE]]), [ALICE_ID, ALICE_ID]);
  });

  test("numbers by value, never through a rounding double", async () => {
    const at = (n: string) => `{"eventTime":"2013-12-07T05:03:12Z","eventName":"GetThing","n":${n}}`;
    assert.deepEqual(await idsOf([["a", at("12345678901234567890")]]), ["a8b1644e33d1353616012770147834a2f5cd59f7683908f06b9ecc6c3dfa4109"]);
    assert.deepEqual(await idsOf([["a", at("12345678901234567891")]]), ["99a48eb4820594aa8ea466a6e6abeab20baaa29f14213097aafd277f0ba34df7"]);
    assert.deepEqual(await idsOf([["a", at("1.10")]]), ["b52fc68053a8939f6b15db77ec8b75f18a22b19d642b5ee6aade3ae0b485efa4"]);
    assert.deepEqual(await idsOf([["a", at("1e400")]]), ["2d52dc369f7a8d95f7127b0d994d8a16a69387fae99da5ea3f17bd0f21278bc7"]);
    // the same value spelled differently is the same record
    assert.deepEqual(await idsOf([["a", at("1.1")], ["b", at("11e-1")], ["c", at("1.100")]]), Array(3).fill("b52fc68053a8939f6b15db77ec8b75f18a22b19d642b5ee6aade3ae0b485efa4"));
    assert.deepEqual(await idsOf([["a", at("10e399")], ["b", at("1.0e400")]]), Array(2).fill("2d52dc369f7a8d95f7127b0d994d8a16a69387fae99da5ea3f17bd0f21278bc7"));
  });

  test("key order, whitespace, escapes and duplicate keys (last wins, as jq) do not change the id", async () => {
    const same = [
      '{"eventName":"GetThing","eventTime":"2013-12-07T05:03:12Z","n":1.10}',
      '{ "n" : 1.1 ,\n "eventTime":"2013-12-07T05:03:12Z", "eventName":"Get\\u0054hing"}',
      '{"n":2,"eventTime":"2013-12-07T05:03:12Z","eventName":"GetThing","n":1.1}',
    ];
    for (const [i, text] of same.entries()) assert.deepEqual(await idsOf([[`o${i}`, text]]), ["b52fc68053a8939f6b15db77ec8b75f18a22b19d642b5ee6aade3ae0b485efa4"], text);
  });

  test("an eventID is the id; an eventID that cannot be one (empty, not a string, over 512 bytes) is not", async () => {
    const at = (id: string) => `{"eventTime":"2013-12-07T05:03:12Z","eventID":${id}}`;
    assert.deepEqual(await idsOf([["a", at('"3ce1b4d0-8c93-4fa8-8d37-9d1f6c9d0a11"')], ["a", at('"3ce1b4d0-8c93-4fa8-8d37-9d1f6c9d0a11"')]]), ["3ce1b4d0-8c93-4fa8-8d37-9d1f6c9d0a11", "3ce1b4d0-8c93-4fa8-8d37-9d1f6c9d0a11"]);
    assert.deepEqual(await idsOf([["a", at('""')]]), ["569e917816788f543f532ed670bbe3a9ab25b14fdb589084d849e7a78cc2c7b3"]);
    assert.deepEqual(await idsOf([["a", at("42")]]), ["93ffdd6b73dc30f4e762e55c453ba54b30f6f95a6f4451a50a8915cbba18a347"]);
    assert.match((await idsOf([["a", at(JSON.stringify("é".repeat(257)))]]))[0]!, /^[0-9a-f]{64}$/);
    assert.equal((await idsOf([["a", at(JSON.stringify("x".repeat(512)))]]))[0], "x".repeat(512));
  });

  test("an eventID is measured in UTF-8 bytes as TextEncoder encodes it, lone surrogates too (seeded, around the bounds)", () => {
    const rng = new Rng(512);
    const units = ["x", "é", "日", "😀", "\ud800", "\udc00", "\u0000"];
    for (let i = 0; i < 5000; i++) {
      const target = rng.pick([100, 170, 171, 172, 256, 300, 510, 511, 512, 513]);
      let id = "";
      while (id.length < target) id += rng.pick(units);
      if (rng.chance(0.5)) id = id.slice(0, target);
      const fits = id.length > 0 && new TextEncoder().encode(id).length <= MAX_ID_BYTES;
      assert.equal(eventIdOf({ eventID: id }), fits ? id : undefined, JSON.stringify(id));
    }
  });

  test("a dead letter's id is kept when it belongs to the record, recomputed when it does not", async () => {
    const ids = new RecordIds();
    assert.equal(await ids.idOf(ALICE, JSON.parse(ALICE), "o", `${ALICE_ID}-7`), `${ALICE_ID}-7`);
    assert.equal(await ids.idOf(ALICE, JSON.parse(ALICE), "o", "somebody-else"), ALICE_ID);
    assert.equal(await ids.idOf(ALICE, JSON.parse(ALICE), "o", `${ALICE_ID}-0`), `${ALICE_ID}-2`);
  });

  test("the blog's day: all 513 ids, pinned (the ids trailpost has always given them)", async () => {
    const dir = join(repoRoot, "fixtures", "demo-bucket");
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith(".json.gz")).sort();
    const ids = new RecordIds();
    const all: string[] = [];
    for (const file of files) {
      const { Records } = JSON.parse(gunzipSync(readFileSync(join(dir, file))).toString("utf8")) as { Records: unknown[] };
      for (const record of Records) {
        const text = JSON.stringify(record);
        all.push(await ids.idOf(text, record, file));
      }
    }
    assert.equal(all.length, 513);
    assert.deepEqual(all.slice(0, 3), [
      "82a515d7ef009bc8f1a71de612b366d1bd40dc7165251de3aedc4309cc198b4a",
      "221c85d1879e1ca6803faa2234bf320874de49b7cc1f00bef2966e58b2106a87",
      "f68032d09399584c36e600766c1239368ea197c37c00e0fcdc7911580105604b",
    ]);
    assert.equal(createHash("sha256").update(all.join("\n")).digest("hex"), "fe0ecad961ba5844a17242a94615c18a9e32d942fc6302933fedec1cfcbcec0a");
  });
});

describe("canonicalNumber", () => {
  test("a number a double holds exactly is written as JavaScript writes it", () => {
    for (const [raw, expected] of [["1.10", "1.1"], ["-0", "0"], ["0.0", "0"], ["1E+2", "100"], ["1e21", "1e+21"], ["5e-324", "5e-324"], ["9007199254740992", "9007199254740992"], ["0.1", "0.1"]]) {
      assert.equal(canonicalNumber(raw!), expected, raw);
    }
  });
  test("any other by value, in a form JavaScript never writes", () => {
    for (const [raw, expected] of [["9007199254740993", "0.9007199254740993e16"], ["1e400", "0.1e401"], ["-1e400", "-0.1e401"], ["0.1e-400", "0.1e-400"], ["100000000000000000000000000000000000000001", "0.100000000000000000000000000000000000000001e42"]]) {
      assert.equal(canonicalNumber(raw!), expected, raw);
    }
  });
});
