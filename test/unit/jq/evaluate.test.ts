/**
 * evaluate / forEachOutput: generator semantics around errors, plain-data
 * treatment of objects, and jq's ordering and message formatting helpers.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { dumpTruncated, formatNumber } from "../../../lib/jq/dump.ts";
import {
  compareValues, evaluate, forEachOutput, JqRuntimeError, parseProgram, valuesEqual,
} from "../../../lib/jq/mod.ts";

const all = (program: string, input: unknown): unknown[] => [...evaluate(parseProgram(program), input)];

describe("evaluate", () => {
  test("yields the outputs produced before an error, then throws it", () => {
    const outputs = evaluate(parseProgram(".[] | .a"), [{ a: 1 }, { a: 2 }, 3, { a: 4 }]);
    assert.deepEqual(outputs.next(), { value: 1, done: false });
    assert.deepEqual(outputs.next(), { value: 2, done: false });
    assert.throws(() => outputs.next(), new JqRuntimeError(`Cannot index number with string "a"`));
    assert.deepEqual(outputs.next(), { value: undefined, done: true });
  });

  test("a single-valued program that fails throws on the first next()", () => {
    const outputs = evaluate(parseProgram(".a.b"), { a: "text" });
    assert.throws(() => outputs.next(), { name: "JqRuntimeError", message: `Cannot index string with string "b"` });
  });

  test("forEachOutput emits the same outputs, then throws the same error", () => {
    const program = parseProgram(".Records[] | select(.eventName == \"X\") | .id, -.id");
    const input = { Records: [{ eventName: "X", id: 1 }, { eventName: "Y", id: 2 }, { eventName: "X", id: "3" }] };
    const emitted: unknown[] = [];
    assert.throws(() => forEachOutput(program, input, (value) => emitted.push(value)), {
      message: `string ("3") cannot be negated`,
    });
    assert.deepEqual(emitted, [1, -1, "3"]);
    assert.throws(() => all(program.source, input), JqRuntimeError);
  });

  test("outputs are the input's own values, not copies, and the input is not modified", () => {
    const record = Object.freeze({ eventName: "X", nested: Object.freeze({ a: 1 }) });
    const input = Object.freeze({ Records: Object.freeze([record]) });
    const [first] = all(".Records[]", input);
    assert.equal(first, record);
    assert.equal(all(".Records[0].nested", input)[0], record.nested);
  });

  test("objects are plain data: inherited properties are missing keys", () => {
    assert.deepEqual(all(".constructor, .__proto__, .toString, .hasOwnProperty", {}), [null, null, null, null]);
    const parsed = JSON.parse(`{"__proto__": {"polluted": true}, "constructor": "c"}`) as unknown;
    assert.deepEqual(all(".__proto__.polluted, .constructor", parsed), [true, "c"]);
    assert.deepEqual(all(".a, .[]", Object.assign(Object.create(null), { a: 1 })), [1, 1]);
  });

  test("the same program can be evaluated many times and on different inputs", () => {
    const program = parseProgram(".a");
    for (let i = 0; i < 3; i++) assert.deepEqual([...evaluate(program, { a: i })], [i]);
  });

  test("values JSON cannot hold are refused", () => {
    assert.throws(() => all(".[]", undefined), { name: "JqRuntimeError", message: "not a JSON value: undefined" });
    assert.throws(() => all(".a", 1n), { name: "JqRuntimeError", message: "not a JSON value: bigint" });
  });

  test("documented limit: .[] on an object follows JavaScript's key order (integer-like keys first)", () => {
    // jq keeps document order and would yield 1, 2; JSON.parse has already reordered the keys.
    assert.deepEqual(all(".[]", JSON.parse(`{"b": 1, "0": 2}`)), [2, 1]);
  });
});

describe("jq's order and equality", () => {
  test("kinds sort null < false < true < numbers < strings < arrays < objects", () => {
    const sorted = [{}, [], "", 0, true, false, null].sort(compareValues);
    assert.deepEqual(sorted, [null, false, true, 0, "", [], {}]);
  });

  test("strings compare by code point, not UTF-16 unit", () => {
    assert.ok(compareValues("\uffff", "😀") < 0, "U+FFFF sorts before U+1F600");
    assert.ok("\uffff" > "😀", "while JavaScript's < says otherwise");
    assert.ok(compareValues("\ue000", "\ud800\udc00") < 0);
    assert.ok(compareValues("a", "a\u0000") < 0);
    assert.equal(compareValues("😀", "\ud83d\ude00"), 0);
  });

  test("arrays compare lexicographically, objects by sorted keys then values", () => {
    assert.ok(compareValues([1, 2], [1, 2, 0]) < 0);
    assert.ok(compareValues([2], [1, 5]) > 0);
    assert.ok(compareValues({ b: 0 }, { a: 1, c: 0 }) > 0, `["b"] sorts after ["a","c"]`);
    assert.ok(compareValues({ a: 1, b: 2 }, { a: 2, b: 1 }) < 0);
    assert.equal(compareValues({ a: 1, b: 2 }, { b: 2, a: 1 }), 0);
  });

  test("equality is deep, numeric, and ignores key order", () => {
    assert.ok(valuesEqual({ a: [1, { b: null }] }, { a: [1.0, { b: null }] }));
    assert.ok(valuesEqual(0, -0));
    assert.ok(!valuesEqual({ a: 1 }, { a: 1, b: null }));
    assert.ok(!valuesEqual([1], { 0: 1 }));
  });
});

describe("jq's rendering of values in error messages", () => {
  test("numbers print as jq prints them", () => {
    const cases: Array<[number, string]> = [
      [1e-7, "1e-07"], [1e21, "1e+21"], [1e17, "1e+17"], [1e15, "1000000000000000"], [0.1, "0.1"],
      [-0, "-0"], [1.5e300, "1.5e+300"], [1e-4, "0.0001"], [1e-5, "1e-05"], [100, "100"],
      [Infinity, "1.7976931348623157e+308"], [123456789012345680000, "123456789012345680000"],
    ];
    for (const [value, text] of cases) assert.equal(formatNumber(value), text, String(value));
  });

  test("dumps longer than 14 bytes keep 11 bytes and add ...", () => {
    assert.equal(dumpTruncated("abcdefghijklmnopq"), `"abcdefghij...`);
    assert.equal(dumpTruncated([1, "a"]), `[1,"a"]`);
    assert.equal(dumpTruncated("aéééééé"), `"aéééé\ufffd...`, "a cut through é leaves a replacement character");
  });

  test("messages quote the value and kind as jq 1.6/1.7 do", () => {
    const message = (program: string, input: unknown): string => {
      try {
        all(program, input);
      } catch (error) {
        return (error as Error).message;
      }
      return "(no error)";
    };
    assert.equal(message(".[]", null), "Cannot iterate over null (null)");
    assert.equal(message(".[]", 123), "Cannot iterate over number (123)");
    assert.equal(message(".[]", "a long string value"), `Cannot iterate over string ("a long str...)`);
    assert.equal(message(".a", true), `Cannot index boolean with string "a"`);
    assert.equal(message(`.["${"k".repeat(30)}"]`, 1), "Cannot index number with string");
    assert.equal(message(`.["a\\u0000b"]`, 1), `Cannot index number with string "a"`);
    assert.equal(message(".[0]", {}), "Cannot index object with number");
    assert.equal(message(".[0]", "abc"), "Cannot index string with number");
    assert.equal(message(`.["a"]`, []), `Cannot index array with string "a"`);
    assert.equal(message("-.", { a: 1 }), `object ({"a":1}) cannot be negated`);
    assert.equal(message("-.", [1e-7, "x"]), `array ([1e-07,"x"]) cannot be negated`);
  });
});

describe("construction, bindings and printing", () => {
  test("objects keep jq's insertion order, integer-like keys included, when printed and iterated", async () => {
    const { dumpValue } = await import("../../../lib/jq/dump.ts");
    const [built] = all(`{"1": 1, "0": 2, a: 3, "1": 4}`, null);
    assert.equal(dumpValue(built), `{"1":4,"0":2,"a":3}`);
    assert.deepEqual(all(`{"1": 1, "0": 2} | [.[]], keys, tostring`, null), [[1, 2], ["0", "1"], `{"1":1,"0":2}`]);
  });

  test("a __proto__ key is an own key, and nothing is polluted", () => {
    const [built] = all(`{__proto__: {polluted: true}, a: 1}`, null) as [Record<string, unknown>];
    assert.ok(Object.hasOwn(built, "__proto__"));
    assert.equal(Object.getPrototypeOf(built), Object.prototype);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual(all(`{__proto__: 1} | keys, has("__proto__"), .__proto__`, null), [["__proto__"], true, 1]);
  });

  test("outputs built before a runtime error still flow, then the error", () => {
    const outputs = evaluate(parseProgram(`.[] | {a: .a}`), [{ a: 1 }, 2]);
    assert.deepEqual(outputs.next().value, { a: 1 });
    assert.throws(() => outputs.next(), new JqRuntimeError(`Cannot index number with string "a"`));
  });

  test("a variable keeps its value when the same program runs again inside an output callback", () => {
    const program = parseProgram(`.[] as $x | [$x, ($x | tostring)]`);
    const seen: unknown[] = [];
    forEachOutput(program, [1, 2], (outer) => {
      forEachOutput(program, ["a"], (inner) => seen.push(inner));
      seen.push(outer);
    });
    assert.deepEqual(seen, [["a", "a"], [1, "1"], ["a", "a"], [2, "2"]]);
  });

  test("object construction loops over keys and values in jq's order, the first entry outermost", () => {
    assert.deepEqual(all(`{a: (1, 2), b: (3, 4)}`, null), [{ a: 1, b: 3 }, { a: 1, b: 4 }, { a: 2, b: 3 }, { a: 2, b: 4 }]);
    assert.deepEqual(all(`{("x", "y"): (1, 2)}`, null), [{ x: 1 }, { x: 2 }, { y: 1 }, { y: 2 }]);
    assert.throws(() => all(`{(.k): 1}`, { k: 1 }), new JqRuntimeError(`Cannot use number (1) as object key`));
    assert.deepEqual(all(`{(.k): empty}`, { k: 1 }), []);
  });

  test("$__loc__ is the line of the program, as jq reports it", () => {
    assert.deepEqual(all(`1,\n\n$__loc__`, null), [1, { file: "<top-level>", line: 3 }]);
  });
});
