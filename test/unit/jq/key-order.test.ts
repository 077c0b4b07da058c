/**
 * `.[]` on objects with integer-like keys: jq yields values in document order, JavaScript objects would put
 * "0", "42" first. selectFromText parses such text keeping jq's order; checked against the real jq.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parseProgram } from "../../../lib/jq/mod.ts";
import { parseJsonInOrder } from "../../../lib/jq/json.ts";
import { selectFromText } from "../../../lib/streams/select.ts";

const jq = process.env.JQ ?? "jq";

function both(program: string, text: string): { ours: unknown[]; theirs: unknown[] } {
  const ours: unknown[] = [];
  selectFromText(text, parseProgram(program), (_, value) => ours.push(value));
  const theirs = execFileSync(jq, ["-c", program], { input: text, encoding: "utf8" }).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as unknown);
  return { ours, theirs };
}

const cases: [string, string][] = [
  [".[]", '{"b":1,"10":2,"a":3,"2":4}'],
  [".x[]", '{"x":{"z":"first","0":"second","__proto__":"third","1":"fourth"}}'],
  [".Records[] | .requestParameters[]", '{"Records":[{"requestParameters":{"name":"n","3":"three","1":"one"}},{"requestParameters":{"a":1}}]}'],
  [".Records[] | .m[] | .[]", '{"Records":[{"m":{"k":{"y":1,"7":2},"5":{"x":3}}}]}'],
  [".[] | .[]", '{"b":{"1":1,"0":0},"0":{"q":"q","4294967295":"big","4294967294":"index"}} {"dup":{"z":1},"1":{"y":2},"dup":{"x":3}}'],
];

for (const [program, text] of cases) {
  test(`${program} on ${text.slice(0, 40)}… yields jq's order`, () => {
    const { ours, theirs } = both(program, text);
    assert.deepEqual(ours, theirs);
  });
}

test("parseJsonInOrder gives the same values and errors as JSON.parse", () => {
  for (const text of ['{"a":[1,{"2":3}],"1":null,"__proto__":{"x":1}}', '[1,"2",{"3":4}]', '"s"', "12.5e3", "true"]) {
    assert.deepEqual(parseJsonInOrder(text), JSON.parse(text));
  }
  assert.equal(Object.getPrototypeOf(parseJsonInOrder('{"__proto__":{"x":1}}')), Object.prototype, "__proto__ is a plain key");
  assert.throws(() => parseJsonInOrder('{"1":}'), SyntaxError);
});

/** The printed text of objects with integer-like keys: jq prints them in document (or construction) order. */
const printed: [string, string][] = [
  [".Records[0].requestParameters", '{"Records":[{"requestParameters":{"name":"n","3":"three","1":"one"}}]}'],
  [".", '{"b":{"1":1,"0":0},"0":[{"9":1,"8":2}]}'],
  [".Records[] | {x: .m, \"2\": 1, \"1\": 2}", '{"Records":[{"m":{"k":1,"7":2}}]}'],
  [".Records[] | .m | tostring", '{"Records":[{"m":{"k":1,"7":2,"0":3}}]}'],
];

for (const [program, text] of printed) {
  test(`${program} prints objects in jq's key order, as jq -c does`, () => {
    const ours: string[] = [];
    selectFromText(text, parseProgram(program), (line) => ours.push(line));
    const theirs = execFileSync(jq, ["-c", program], { input: text, encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(ours, theirs);
  });
}
