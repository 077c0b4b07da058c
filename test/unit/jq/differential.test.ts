/**
 * Differential test: every program of the corpus, on every input in
 * test/jq-corpus/, must give what the real jq gives — the same outputs in the
 * same order (compared as values), the same success/error outcome, and (with
 * jq 1.6/1.7, whose wording lib/jq reproduces) the same error message.
 *
 * The reference is `$JQ` or `jq` on PATH; without it this test fails
 * (install jq: apt-get install -y jq).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import type { Node } from "../../../lib/jq/ast.ts";
import { dumpValue } from "../../../lib/jq/dump.ts";
import { evaluate, JqRuntimeError, JqSyntaxError, JqVersionError, parseProgram } from "../../../lib/jq/mod.ts";
import {
  compileStatus, mapLimited, messagesComparable, type Outcome, referenceVersion, runBatch, runDirect,
} from "./reference-jq.ts";
import { sameSequence } from "./same-json.ts";

const CORPUS_DIR = fileURLToPath(new URL("../../jq-corpus/", import.meta.url));

/** Programs in the subset; each runs on every corpus input. */
const PROGRAMS: readonly string[] = [
  // --- the shipper's everyday programs
  `.`,
  `.Records`,
  `.Records[]`,
  `.Records[] | select(.eventName == "RunInstances")`,
  `.Records[] | select(.eventName != "RunInstances") | .eventTime`,
  `.Records[] | select(.userIdentity.type == "IAMUser")`,
  `.Records[] | select(.readOnly == false)`,
  `.Records[] | select(.readOnly)`,
  `.Records[] | select(.readOnly | not)`,
  `.Records[] | select(.errorCode)`,
  `.Records[] | select(.errorCode == null) | .eventName`,
  `.Records[] | select(.requestParameters == null)`,
  `.Records[] | select(.requestParameters.instanceType == "t3.micro")`,
  `.Records[] | select(.eventTime >= "2024-01-02T00:00:00Z" and .eventTime < "2024-01-03")`,
  `.Records[] | select(.eventSource == "ec2.amazonaws.com" or .eventSource == "s3.amazonaws.com")`,
  `.Records[] | select(.resources[]?.type == "AWS::S3::Object")`,
  `.Records[] | select(.eventVersion > "1.08")`,
  `.Records[].userIdentity.sessionContext.attributes.mfaAuthenticated`,
  `.Records[].eventName`,
  `.Records[]."eventName"`,
  `.Records[]["eventName"]`,
  `.["Records"][0]["userIdentity"]["type"]`,
  `.Records[0]`,
  `.Records[-1]`,
  `.Records[100]`,
  `.Records[-100]`,
  `.Records[0].userIdentity.type, .Records[1].eventName`,
  `.Records[] | .eventName, .eventTime`,
  `(.Records[] | .eventName), "end"`,
  `.Records[]?`,
  `.Records?`,
  `.Records[]?.eventName?`,
  `.Records | .[] | .userIdentity | .type`,
  `.Records[] | select(.managementEvent == true) | .recipientAccountId`,
  `.Records[] | select(.userIdentity.accountId != null and .readOnly == false)`,
  `.logFiles[].s3Object`,
  // --- indexing and iteration on every kind of value (null propagation, errors)
  `.a`,
  `.a.b`,
  `.a[0]`,
  `.[0]`,
  `.[1][1][0]`,
  `.[-1]`,
  `.[-0]`,
  `.[2147483647]`,
  `.[-2147483648]`,
  `.[99999999999]`,
  `.[]`,
  `.[] | .[]`,
  `.[][]`,
  `.a[]`,
  `. []`,
  `.a .b`,
  `. "a b"`,
  `.a | .b | .c`,
  `.a.b.c.d[0].e`,
  `.a.b.c.d[].e`,
  `.list[].a.b`,
  `.list[].a.b[]`,
  // --- optional steps: only the step with "?" is forgiven
  `.a?`,
  `.[0]?`,
  `.["a"]?`,
  `.[]?`,
  `.a[]?`,
  `.a?.b`,
  `.a.b?`,
  `.[]?.a`,
  `.[].a?`,
  `.[] | .a?`,
  `.[]?.a?`,
  `.[]?[]?`,
  `.a ?`,
  `.a?[0]?.b?`,
  `."a b"?`,
  `.list[]?.a?.b?`,
  // --- awkward keys: own properties only, escapes, unicode
  `."a b"`,
  `."a\\"b"`,
  `.["a\\"b"]`,
  `."😀"`,
  `.["\\ud83d\\ude00"]`,
  `.["\\u0000nul"]`,
  `.[""]`,
  `.__proto__`,
  `.__proto__.polluted`,
  `.constructor`,
  `.hasOwnProperty`,
  `.toString`,
  `.valueOf[0]`,
  `.e0x`,
  `.["e0"]`,
  `.and, .select`,
  `.["a very long key name that exceeds thirty bytes"]`,
  `.["ab\\u0000cd"]`,
  // --- literals and unary minus
  `null, true, false`,
  `0, -0, 1.5, -1.5, 1e3, .5, 1., 1.e2, 00012, 1E-3`,
  `"str", "", "é\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/\\b\\f\\r"`,
  `"\\udc00"`,
  `"raw\ttab"`,
  `-(1)`,
  `- - 1`,
  `-.`,
  `-.[0]`,
  `-.a?`,
  `-.[]?`,
  `1, 2, 3`,
  `empty`,
  `1, empty, 2`,
  `.[]? | empty`,
  `true.a`,
  `null.a`,
  `"x"[0]`,
  `"x"."y"`,
  `1 .a`,
  `not.a`,
  // --- comparisons: jq's total order, right operand in the outer loop
  `(1,2) == (1,2)`,
  `(1,2) < (2,3)`,
  `(1,2) != (2,3)`,
  `(1,2) >= (2,1)`,
  `(1,2) <= (.[]?, 1)`,
  `1 == 1.0`,
  `1 < "a"`,
  `null < false, false < true, true < 0, 0 < "", "" < .`,
  `"a" < "b", "B" < "a", "" < "a", "a" < "a\\u0000"`,
  `"\\uffff" < "😀", "\\ue000" < "😀", "😀" < "\\ud83d\\ude01", "ｚ" < "😀"`,
  `. == .`,
  `. < ., . <= ., . > ., . >= ., . != .`,
  `.[] < .[]`,
  `.[] == .[]`,
  `.[] <= .[]`,
  `.[] > .[]`,
  `.[] >= .[]`,
  `.[] != .[]`,
  `.[] == .a?`,
  `.a == .b, .a < .b, .c < .d, .d < .e, .f < .g, .h < .i, .j < .c`,
  `.Records[0] == .Records[1], .Records[0] < .Records[1]`,
  `.same[] == 1`,
  `.ints[] > 2`,
  `.int == 1.0, .zero == .negativeZero, .negativeZero < .zero, .big > .tiny, .tiny > 0`,
  `.fraction == 0.1, .float == 1.5, .exp == 15000000000, .big == 1e300`,
  `(1, .a) == (2, .b)`,
  `.[] == .a`,
  `-1 == -1, - 1 < 0, .[0] == -1`,
  // --- and / or / not: short-circuit, products in jq's order
  `(true,false) and (true,false)`,
  `(true,false) or (false,true)`,
  `(null,1) and (false,2)`,
  `(false, null) or (1, null)`,
  `true and empty`,
  `empty and true`,
  `false and empty`,
  `true or empty`,
  `true or .a.b.c`,
  `false or .[0]`,
  `.[] and true`,
  `.[]? or false`,
  `(true, .a) and .b`,
  `(.a, true) or .b`,
  `not`,
  `. | not`,
  `(true, false, null, 0, "", .) | not`,
  `true or false and false`,
  `false and true or true`,
  `1 == 1 and 2 == 3`,
  `1 == 2 or 3 == 3`,
  `.a and .b or .c`,
  `(.a or .b) and .c`,
  // --- select with generators and errors
  `select(.)`,
  `select(not)`,
  `select(.a | not)`,
  `select(.[]?)`,
  `select(.[]? == 1)`,
  `select(empty)`,
  `select(true, true)`,
  `select(true, false, 1, null)`,
  `select(.[] == .[])`,
  `.[]? | select(. == 1 or . == "a")`,
  `select(.a)`,
  `select(.).a?`,
  `select(select(.))`,
  // --- precedence and grouping
  `1, 2 | 3`,
  `1 | 2, 3`,
  `(1, 2) | . == 1`,
  `.a, .b | not`,
  `((.))`,
  `(.Records)[0]`,
  `(1, 2)[0]`,
  `.Records | (.[] | .eventName)`,
  // --- errors after some outputs (jq stops at the first error)
  `.[] | .a`,
  `1, .a, 2`,
  `.[] | -.`,
  `.Records[] | .eventName | .x`,
  `.[]?.x`,
  // --- projections analysts write
  `.Records[]? | {eventTime, eventName, user: .userIdentity.arn}`,
  `.Records[]? | {eventName, "source ip": .sourceIPAddress, type: .userIdentity.type}`,
  `.Records[]? | [.eventTime, .eventName, .awsRegion]`,
  `.Records[]? | select(.eventName | startswith("Describe") | not) | {eventName, errorCode}`,
  `.Records[]? | select(.userIdentity.arn // "" | test(":assumed-role/"))`,
  `.Records[]? | select(.eventSource | IN("ec2.amazonaws.com", "s3.amazonaws.com")) | .eventName`,
  `.Records[]? | select(has("errorCode")) | {eventName, errorCode, errorMessage}`,
  `.Records[]? | .userIdentity.arn // .userIdentity.principalId // "unknown"`,
  `.Records[]? | select(.resources // [] | any(.type == "AWS::S3::Object"))`,
  `.Records[]? | select(.requestParameters | (type == "object" and contains({instanceType: "t3.micro"})))`,
  `.Records[]? | .eventName | ascii_downcase`,
  `.Records[]? as $r | $r.eventName`,
  `.Records? | map(.eventName?)`,
  `.Records? | length`,
  `[.Records[]? | select(.readOnly) | .eventName]`,
  `.Records[]? | {(.eventName? // "none"): .eventTime?}`,
  `.Records[]? | .eventTime | test("^2024-01-02T")`,
  `.Records[]? | .eventSource | [match("[a-z0-9]+"; "g") | .string]`,
  `.Records[]? | keys`,
  `.Records[]? | tostring | length`,
  // --- length, keys, type, tostring on every kind
  `length`,
  `keys`,
  `type`,
  `tostring`,
  `.[]? | length`,
  `.[]? | keys`,
  `.[]? | type`,
  `.[]? | tostring`,
  `map(type)`,
  `map(length)`,
  `[.[]? | tostring]`,
  `.[]? | [length, type]`,
  // --- has, in
  `has("a")`,
  `has(0)`,
  `has(-1), has(1.5), has(-0.5), has(2147483648), has(-2147483649)`,
  `has("a", "b", "a b")`,
  `.[]? | has("a")`,
  `.[]? | has(0)`,
  `has(.a)`,
  `"a" | in({"a": 1})`,
  `0, 1, 5 | in([1, 2])`,
  `"x" | in([1])`,
  `keys[]? as $k | $k | in({"a": 1, "b": 2})`,
  `.[]? | in({"a": 1})`,
  // --- contains
  `contains("a")`,
  `contains(["a"])`,
  `contains({a: 1})`,
  `contains(.)`,
  `contains(null)`,
  `contains(true)`,
  `contains(false)`,
  `contains(1)`,
  `.[]? | contains("a")`,
  `.[]? | contains([0])`,
  `.[]? | contains({})`,
  `.[]? | contains({a: 1})`,
  `"foobar" | contains("bar"), contains("baz"), contains("")`,
  `[1, [2, 3], {"a": "xyz"}] | contains([[2]]), contains([{"a": "y"}]), contains([4]), contains([])`,
  `{"a": [1, 2], "b": "x"} | contains({a: [1]}), contains({b: "xx"}), contains({c: null})`,
  // --- startswith, endswith, ascii_downcase, ascii_upcase
  `startswith("a")`,
  `endswith("s")`,
  `.[]? | select(type == "string") | [startswith("a"), endswith("a"), startswith(""), endswith("")]`,
  `.[]? | startswith("a")`,
  `"abc" | startswith(1)`,
  `"abc" | endswith(null)`,
  `ascii_downcase`,
  `ascii_upcase`,
  `.[]? | select(type == "string") | ascii_downcase, ascii_upcase`,
  `"ÀbC-xyZ é Ä" | ascii_downcase, ascii_upcase`,
  // --- tonumber
  `tonumber`,
  `"1", "-1.5e3", "0", "10", "1e2", "-0", "0.1" | tonumber`,
  `"abc" | tonumber`,
  `"1x" | tonumber`,
  `"" | tonumber`,
  `"   " | tonumber`,
  `"[1]" | tonumber`,
  `"true" | tonumber`,
  `"01", "+1", "1.", ".5", "1E2", "Infinity", "-inf", "NaN", "00" | tonumber`,
  `"1 2" | tonumber`,
  `"1 x" | tonumber`,
  `"true x" | tonumber`,
  `"é x" | tonumber`,
  `"a\nb" | tonumber`,
  `"nul", "-", ".", "1e", "1.2.3", "0x10", "a,b" | tonumber`,
  `.[]? | tonumber`,
  // --- //
  `.a // "default"`,
  `.a.b? // 1`,
  `.[]? // "none"`,
  `(.a, .b) // 3`,
  `empty // 1`,
  `false // null // 3`,
  `.a // .b // .c`,
  `(null, 1, false, 2) // 3`,
  `(1, .a, 2) // 3`,
  `.missing // .[0]`,
  `[.[]? // 0]`,
  `1, null // 2, 3`,
  `.a // (. as $x | $x)`,
  // --- IN, any, all, map, select on arrays
  `IN(1, 2)`,
  `IN(null, "RunInstances", 42)`,
  `.[]? | IN(1, "a", null)`,
  `IN(.[]?; 1, 2, "a")`,
  `IN(.a; null)`,
  `any`,
  `all`,
  `any(. == 1)`,
  `all(type == "number")`,
  `any(.[]?; . == 1)`,
  `all(.[]?; . != null)`,
  `.[]? | any`,
  `.[]? | all`,
  `any(.a)`,
  `[.[]? | select(type == "array") | any(. == 0)]`,
  `any(empty; .)`,
  `all(empty; .)`,
  `any(1, 2; . == 1)`,
  `map(.)`,
  `map(select(. != null))`,
  `map(.a?)`,
  `map(type == "number")`,
  `map(.[]?)`,
  `map(empty)`,
  `[.[]? | select(type == "object")]`,
  `[.[]? | select(. == 1 or . == "a")]`,
  `map(select(type == "string") | ascii_upcase)`,
  `[.[]?]`,
  // --- test and match
  `test("a")`,
  `.[]? | select(type == "string") | test("a")`,
  `.[]? | select(type == "string") | test("^a")`,
  `.[]? | select(type == "string") | test("a$")`,
  `.[]? | select(type == "string") | test("^.$")`,
  `.[]? | select(type == "string") | test(".")`,
  `.[]? | select(type == "string") | test("^(AKIA|ASIA)[A-Z0-9]{16}$")`,
  `.[]? | select(type == "string") | test("[0-9]+")`,
  `.[]? | select(type == "string") | test("[^a-z]")`,
  `.[]? | select(type == "string") | test("\\\\.")`,
  `.[]? | select(type == "string") | test("a|b"; "g")`,
  `.[]? | select(type == "string") | test("😀")`,
  `.[]? | select(type == "string") | test("[é-😀]")`,
  `.[]? | select(type == "string") | test(["b", "g"])`,
  `.[]? | select(type == "string") | test(["b"])`,
  `.[]? | select(type == "string") | test("")`,
  `.[]? | select(type == "string") | test("a*")`,
  `.[]? | select(type == "string") | test("x{1}"), test("x\\\\{1\\\\}")`,
  `.[]? | select(type == "string") | test("\\n"), test("\n"), test("\\t")`,
  `.[]? | select(type == "string") | test("a-b"), test("[a\\\\-]"), test("[-a]"), test("[a-]")`,
  `.[]? | select(type == "string") | match("a")`,
  `.[]? | select(type == "string") | [match("a"; "g")]`,
  `.[]? | select(type == "string") | [match("[a-c]+"; "g") | .offset, .length]`,
  `.[]? | select(type == "string") | match("(?<first>[a-z])(x)?(?<rest>[a-z]*)")`,
  `.[]? | select(type == "string") | match("(a|b)+")`,
  `.[]? | select(type == "string") | [match("é|😀"; "g")]`,
  `.[]? | select(type == "string") | match(["(.)(.)", "g"])`,
  `.[]? | select(type == "string") | [match(":([a-z]*)")]`,
  `"abc" | test("b", "x"; null, "g")`,
  `"abcb" | [match("b", "c"; null, "g") | .offset]`,
  `"x", "xa" | test("a")`,
  `match("a")`,
  `"a" | test(1)`,
  `"a" | test([1])`,
  `"a" | test([])`,
  `"a" | test({})`,
  `"a" | test("a"; 1)`,
  `"a" | test("a"; "q")`,
  `"a" | test("a"; "gq")`,
  `"a" | test("a"; null)`,
  `"a" | test("a"; "")`,
  // --- array and object construction
  `[]`,
  `[.]`,
  `[.[]?]`,
  `[.a?, .b?]`,
  `[.[]? | [.]]`,
  `[1, [2], []]`,
  `{}`,
  `{a}`,
  `{a: 1}`,
  `{a: .a?}`,
  `{"a b"}`,
  `{"a b": 1, a: 2}`,
  `{a: (1, 2), b: (3, 4)}`,
  `{(.a?, "k"): (1, 2)}`,
  `{a: .[]?}`,
  `{(.[]? | tostring): 0}`,
  `{("x", "y"): empty}`,
  `{a: 1, a: 2, b: 3}`,
  `{"1": 1, "0": 2, a: 3, "10": 4}`,
  `{"1": 1, "0": 2} | keys, tostring, [.[]]`,
  `{__proto__: 1, constructor: 2, toString: 3} | ., keys, tostring`,
  `{if: 1, then: 2, and: 3, or: 4, as: 5, def: 6, reduce: 7, __loc__: 8}`,
  `{true: 1, null: 2, length: 3}`,
  `{a: -1, b: - 1, c: 1 | 2}`,
  `{a: {b: {c: .}}}`,
  `{a: [.[]?]}`,
  `{(.[]?): 1}`,
  `[.[]? | {v: ., t: type}]`,
  `{a: 1,}`,
  `{(-1): 1}`,
  `{([-1]): 1}`,
  `{([1, (2, 3)]): 1}`,
  `{({a}): 1}`,
  `{(true and true): 1}`,
  `{("a" == "a"): 1}`,
  `{"a\\u0000b": 1, "😀": 2}`,
  `{a: 1} | .a, .["a"], has("a")`,
  `[1, 2][0], [1, 2][-1], {a: 1}.a`,
  // --- variables
  `. as $x | $x`,
  `. as $x | [$x, $x]`,
  `.[]? as $x | [$x]`,
  `(.a?, .b?) as $v | {v: $v}`,
  `1 as $x | 2 as $y | [$x, $y]`,
  `1 as $x | (2 as $x | $x), $x`,
  `. as $d | keys[]? as $k | {($k | tostring): 1}`,
  `. as $x | {$x}`,
  `[.[]? as $x | $x]`,
  `.[]? as $x | select($x == 1) | $x`,
  `(1, 2) as $x | (3, 4) as $y | [$x, $y]`,
  `. as $x | .[]? | [., $x | type]`,
  `$__loc__`,
  `{a: $__loc__}`,
  `1,
  $__loc__`,
  `. as $x | $__loc__`,
];

/**
 * Inputs on which jq 1.6 and jq 1.7+ answer differently: lib/jq refuses them (JqVersionError). Each entry has
 * the program, the input, and the answer of jq 1.7.1 and 1.8.1 (recorded from them); the test checks that
 * jq 1.6 gives something else, so the refusal is needed.
 */
const VERSION_REFUSALS: ReadonlyArray<readonly [string, unknown, string]> = [
  [`contains("cd")`, "ab\u0000cd", "[true]"],
  [`contains("\\u0000x")`, "ab\u0000cd", "[false]"],
  [`tonumber`, " 1", "[] then error: string (\" 1\") cannot be parsed as a number"],
  [`tonumber`, "2\n", "[] then error: string (\"2\\n\") cannot be parsed as a number"],
  [`any((1, .a); . == 1)`, 5, "[true]"],
  [`all((2, .a); . == 1)`, 5, "[false]"],
  [`IN((1, .a); 1, 2)`, 5, "[true]"],
  [`all(.[]; select(. != []) | .x)`, [[], 2], "[] then error: Cannot index number with string \"x\""],
  [`all(.[]; .x?)`, [1, { x: null }], "[false]"],
  [`all(.[]; .x?)`, [1, { x: null }, { x: 1 }], "[false]"],
  [`all((1, 2, 3, .a); empty)`, 5, "[] then error: Cannot index number with string \"a\""],
];

/** Programs jq itself does not compile: they must be rejected here too. */
const JQ_REJECTS: readonly string[] = [
  `1 == 1 == 1`,
  `1 < 2 > 1`,
  `.a.`,
  `. a`,
  `()`,
  `(.a`,
  `.a)`,
  `.[`,
  `.["a"`,
  `select`,
  `.a,`,
  `| .a`,
  `.a |`,
  `and`,
  `1 and`,
  `or true`,
  `"unterminated`,
  `"\\a"`,
  `"\\u12"`,
  `"\\ud83d"`,
  `"\\ud83d\\u0041"`,
  `"\\udc00\\ud83d"`,
  `.a.b..c`,
  `1.2.3`,
  `0x10`,
  `.a ! .b`,
  `not()`,
  `empty(1)`,
  `.["a"]["b"`,
  `"a" "b"`,
  `.a .`,
  `{a: .b == 1}`,
  `{a: . as $x | $x}`,
  `{(1): 2}`,
  `{(null): 2}`,
  `{([]): 1}`,
  `{([1, 2]): 1}`,
  `{({}): 1}`,
  `{({a: 1}): 1}`,
  `{(1 == 1): 2}`,
  `{($__loc__): 1}`,
  `{([$__loc__]): 1}`,
  `{((1)): 1}`,
  `{([[1]]): 1}`,
  `{1: 2}`,
  `{a: 1,,}`,
  `{,}`,
  `{if}`,
  `{$__loc__}`,
  `{$x: 1}`,
  `[1,2`,
  `{a: 1`,
  `$x`,
  `. as $x | $y`,
  `(. as $x | 1), $x`,
  `. as $if | 1`,
  `. as $x`,
  `. as x | x`,
  `.a //`,
  `// 1`,
  `length(1)`,
  `has`,
  `has(1; 2)`,
  `map`,
  `test`,
  `test(1; 2; 3)`,
  `any(1; 2; 3)`,
  `IN`,
  `IN(1; 2; 3)`,
  `keys(1)`,
  `tostring(.)`,
  `in`,
  `[1 2]`,
  `{a b}`,
];

/** Every kind of node (and both flavours of optional step) appears in the corpus. */
function constructsOf(node: Node, seen: Set<string>): void {
  const label = "optional" in node && node.optional ? `${node.type}?` : node.type === "call" ? node.name : node.type;
  seen.add(label);
  const children = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(children);
    else if (value !== null && typeof value === "object") {
      if ("type" in value) constructsOf(value as Node, seen);
      else Object.values(value).forEach(children);
    }
  };
  Object.values(node).forEach(children);
}

/** Our outputs as printed (dumpValue), read back: what a user of split.ts sees, compared with what jq prints. */
function runOurs(program: string, input: unknown): Outcome {
  const parsed = parseProgram(program);
  const outputs: unknown[] = [];
  try {
    for (const value of evaluate(parsed, input)) outputs.push(JSON.parse(dumpValue(value)));
  } catch (error) {
    if (error instanceof JqRuntimeError) return { outputs, error: error.message };
    throw error;
  }
  return { outputs };
}

function describe(outcome: Outcome): string {
  const shown = outcome.outputs.map((value) => JSON.stringify(value)).join(" ");
  return outcome.error === undefined ? `[${shown}]` : `[${shown}] then error: ${outcome.error}`;
}

function inputs(): Array<{ name: string; file: string; value: unknown }> {
  return readdirSync(CORPUS_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => {
      const file = join(CORPUS_DIR, name);
      return { name, file, value: JSON.parse(readFileSync(file, "utf8")) as unknown };
    });
}

test("differential: lib/jq agrees with the real jq on the corpus", async (t) => {
  const version = referenceVersion();
  const compareMessages = messagesComparable(version);
  const corpus = inputs();
  assert.ok(corpus.length >= 15, `expected the input corpus in ${CORPUS_DIR}`);
  assert.ok(PROGRAMS.length >= 80, "the program corpus shrank");

  const accepted = PROGRAMS.filter((program) => {
    try {
      parseProgram(program);
      return true;
    } catch {
      return false;
    }
  });
  // A corpus program the parser rejects is a test defect: report it below, not silently skip it.
  const rejected = PROGRAMS.filter((program) => !accepted.includes(program));

  const seen = new Set<string>();
  for (const program of accepted) constructsOf(parseProgram(program).body, seen);
  const files = corpus.map((input) => input.file);
  const reference = await mapLimited(accepted, 4, (program) => runBatch(program, files));
  // Every program is also run once exactly as a user would (jq -c PROGRAM FILE), on a rotating input.
  const direct = await mapLimited(accepted, 4, (program, i) => runDirect(program, files[i % files.length]!));

  let pairs = 0;
  let errorPairs = 0;
  const mismatches: string[] = [];
  accepted.forEach((program, p) => {
    corpus.forEach((input, i) => {
      pairs++;
      const theirs = reference[p]![i]!;
      const ours = runOurs(program, input.value);
      if (theirs.error !== undefined) errorPairs++;
      const sameOutputs = sameSequence(ours.outputs, theirs.outputs);
      const sameOutcome = (ours.error === undefined) === (theirs.error === undefined);
      const sameMessage = !compareMessages || ours.error === theirs.error;
      if (!sameOutputs || !sameOutcome || !sameMessage) {
        mismatches.push(`${program}  on ${input.name}\n    jq:      ${describe(theirs)}\n    lib/jq:  ${describe(ours)}`);
      }
    });
    const sample = direct[p]!;
    const sampleInput = corpus[p % corpus.length]!;
    const batched = reference[p]![p % corpus.length]!;
    if (!("outputs" in sample)) {
      mismatches.push(`${program}  on ${sampleInput.name}: jq -c exited ${sample.code}: ${sample.stderr}`);
    } else if (!sameSequence(sample.outputs, batched.outputs) || sample.error !== batched.error) {
      mismatches.push(
        `${program}  on ${sampleInput.name}: the batched run disagrees with jq -c\n` +
          `    jq -c:   ${describe(sample)}\n    batched: ${describe(batched)}`,
      );
    }
  });

  t.diagnostic(
    `${version}: ${accepted.length} programs x ${corpus.length} inputs = ${pairs} pairs ` +
      `(${errorPairs} where jq errors); messages ${compareMessages ? "compared" : "not compared (jq 1.8 words them differently)"}`,
  );
  assert.deepEqual(rejected, [], "corpus programs rejected by parseProgram");
  assert.deepEqual(mismatches.slice(0, 40), [], `${mismatches.length} disagreements with ${version}`);
  assert.ok(errorPairs > 100, "the corpus should exercise runtime errors");
  console.log(`differential: ${pairs} (program, input) pairs agree with ${version}`);
  for (const construct of [
    "identity", "literal", "index", "index?", "iterate", "iterate?", "pipe", "comma",
    "and", "or", "compare", "negate", "select", "not", "empty",
    "alternative", "array", "object", "variable", "location", "bind",
    "length", "keys", "has", "in", "contains", "startswith", "endswith", "ascii_downcase", "ascii_upcase",
    "tostring", "tonumber", "type", "IN", "any", "all", "map", "test", "match",
  ]) {
    assert.ok(seen.has(construct), `no corpus program uses ${construct}`);
  }
});

test("differential: lib/jq refuses exactly where jq 1.6 and jq 1.7+ answer differently", async () => {
  const directory = mkdtempSync(join(tmpdir(), "jq-refusals-"));
  const problems: string[] = [];
  try {
    for (const [program, input, laterAnswer] of VERSION_REFUSALS) {
      const parsed = parseProgram(program);
      let refusal: unknown;
      try {
        for (const _ of evaluate(parsed, input)) { /* outputs before the refusal */ }
      } catch (error) {
        refusal = error;
      }
      if (!(refusal instanceof JqVersionError)) problems.push(`${program} on ${JSON.stringify(input)}: not refused (${String(refusal)})`);
      const file = join(directory, "input.json");
      writeFileSync(file, JSON.stringify(input));
      const theirs = await runDirect(program, file);
      const described = "outputs" in theirs ? describe(theirs) : `exit ${theirs.code}`;
      if (described === laterAnswer) problems.push(`${program} on ${JSON.stringify(input)}: jq 1.6 gives ${described} too, no need to refuse`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  assert.deepEqual(problems, []);
});

test("differential: programs jq does not compile are rejected", async () => {
  const version = referenceVersion();
  const statuses = await mapLimited(JQ_REJECTS, 4, (program) => compileStatus(program));
  const problems: string[] = [];
  JQ_REJECTS.forEach((program, i) => {
    const status = statuses[i]!;
    if (status.code !== 3) problems.push(`${version} exits ${status.code} (not 3) on ${JSON.stringify(program)}: ${status.stderr}`);
    try {
      parseProgram(program);
      problems.push(`parseProgram accepted ${JSON.stringify(program)}`);
    } catch (error) {
      if (!(error instanceof JqSyntaxError)) throw error;
    }
  });
  assert.deepEqual(problems, []);
});
