/**
 * parseProgram: what it accepts (and how it groups it), and how it rejects —
 * constructs outside the subset are named, syntax errors point at the column.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { JqSyntaxError, parseProgram } from "../../../lib/jq/mod.ts";

function rejection(program: string): JqSyntaxError {
  try {
    parseProgram(program);
  } catch (error) {
    assert.ok(error instanceof JqSyntaxError, `expected JqSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`parseProgram accepted ${JSON.stringify(program)}`);
}

/** [program, text the message must contain, column of the offending token] */
const UNSUPPORTED: ReadonlyArray<readonly [string, string, number]> = [
  [`.a | keys_unsorted`, `function "keys_unsorted"`, 6],
  [`.a + 1`, `arithmetic operator "+"`, 4],
  [`.a - 1`, `arithmetic operator "-"`, 4],
  [`.a * 2`, `arithmetic operator "*"`, 4],
  [`.a / 2`, `arithmetic operator "/"`, 4],
  [`.a % 2`, `arithmetic operator "%"`, 4],
  [`..`, `recursive descent ".."`, 1],
  [`.a | ..`, `recursive descent ".."`, 6],
  [`reduce .[] as $x (0; .)`, `keyword "reduce"`, 1],
  [`if .a then 1 else 2 end`, `keyword "if"`, 1],
  [`def f: .; f`, `keyword "def"`, 1],
  [`try .a`, `keyword "try"`, 1],
  [`.a?//1`, `destructuring alternative operator "?//"`, 3],
  [`.a |= 1`, `update-assignment operator "|="`, 4],
  [`.a = 1`, `assignment operator "="`, 4],
  [`@base64`, `format string "@base64"`, 1],
  [`"a\\(.b)"`, `string interpolation "\\(...)"`, 3],
  [`# comment\n.`, `comments`, 1],
  [`(.a)?`, `"?" here`, 5],
  [`select(.a)?`, `"?" here`, 11],
  [`.a??`, `"?" here`, 4],
  [`1?`, `"?" here`, 2],
  [`.?`, `"?" here`, 2],
  [`.a.[0]`, `".[" after a term`, 3],
  [`.[1.5]`, `non-integer index 1.5`, 3],
  [`.[-0.5]`, `non-integer index -0.5`, 4],
  [`.[.a]`, `index expressions other than a literal string or integer`, 2],
  [`.["a","b"]`, `index expressions other than a literal string or integer`, 2],
  [`.e1`, `field ".e1"`, 1],
  [`.a | .E10`, `field ".E10"`, 6],
  [`1.5.a`, `"." directly after the number 1.5`, 4],
  [`12345678901234567`, `more than 15 significant digits`, 1],
  [`.a == 0.10000000000000001`, `more than 15 significant digits`, 7],
  [`1e400`, `outside the range of normal doubles`, 1],
  [`1e-400`, `outside the range of normal doubles`, 1],
  [``, `an empty program`, 1],
  [`a::b`, `module reference "a::b"`, 1],
  [`.[1:2]`, `index expressions other than a literal string or integer`, 2],
  [`.a as [$x] ?// $x | $x`, `destructuring patterns`, 7],
  [`. as [$a] | $a`, `destructuring patterns`, 6],
  [`. as $ x | $x`, `a space after "$"`, 6],
  [`$ENV.HOME`, `"$ENV"`, 1],
  [`$a::b`, `module variable "$a::b"`, 1],
  [`{$__loc__}`, `{$__loc__}`, 2],
  [`.a and . as $x | $x`, `"as" after an operator`, 10],
  [`-1 as $x | $x`, `"as" after an operator`, 4],
  [`.a // . as $x | $x`, `"as" after an operator`, 9],
  [`.a == . as $x | $x`, `"as" after an operator`, 9],
  [`any(true, true)`, `any(...) with a condition that can yield several values`, 5],
  [`all(.[]; .[])`, `all(...) with a condition that can yield several values`, 10],
  [`IN(.[]; .a)`, `IN(source; s) where s reads its input`, 9],
  [`test("\\\\d")`, `\\d (Oniguruma's \\d matches every Unicode decimal digit`, 6],
  [`test("\\\\w+")`, `\\w (Unicode word characters`, 6],
  [`test("a\\\\s")`, `\\s (Oniguruma and JavaScript disagree`, 6],
  [`test("class"; "i")`, `case-insensitive matching ("i") of adjacent characters that Oniguruma folds together`, 6],
  [`test("é"; "i")`, `case-insensitive matching ("i") of the non-ASCII character "é"`, 6],
  [`test("a"; "x")`, `flag "x"`, 6],
  [`match("a*")`, `a pattern that can match the empty string, in match`, 7],
  [`match("(?:(a)|b)+")`, `a capture group inside a repeated group`, 7],
  [`test("(?=a)")`, `lookahead`, 6],
  [`test("(?<=a)b")`, `lookbehind`, 6],
  [`test("[[:alpha:]]")`, `"[" inside a character class`, 6],
  [`test("[a-z&&[^b]]")`, `"&&" in a character class`, 6],
  [`test("a{2}{3}")`, `stacked quantifiers`, 6],
  [`test("a*+")`, `a possessive quantifier`, 6],
  [`test("(a*)*")`, `a quantifier on something that can match the empty string`, 6],
  [`test("\\\\1")`, `a backreference`, 6],
  [`test("a{,2}")`, `"{" that is not a quantifier`, 6],
  [`test("x{")`, `"{" that is not a quantifier`, 6],
  [`test("}")`, `"}" (escape it as \\}`, 6],
  [`match("(?<n>a)(?<n>b)")`, `the group name "n" used twice`, 7],
];

describe("parseProgram rejects constructs outside the subset, naming them", () => {
  for (const [program, construct, column] of UNSUPPORTED) {
    test(JSON.stringify(program), () => {
      const error = rejection(program);
      assert.match(error.message, /^unsupported in trailpost's jq subset: /);
      assert.ok(error.message.includes(construct), `${error.message}\n  should mention ${construct}`);
      assert.ok(error.message.includes("(supported: ., .a, "), error.message);
      assert.ok(error.message.includes(", test, match)"), error.message);
      assert.equal(error.column, column, error.message);
      assert.ok(error.message.includes(`column ${column}`), error.message);
    });
  }

  test("the message lists what is supported", () => {
    assert.equal(
      rejection("keys_unsorted").message,
      `unsupported in trailpost's jq subset: function "keys_unsorted" at column 1 ` +
        `(supported: ., .a, ."a b", .["a"], .[], .[n], ? after those, |, ",", (), //, comparisons, and/or/not, ` +
        `literals, [...], {...}, ... as $x | ..., $__loc__, select, empty, length, keys, has, in, contains, ` +
        `startswith, endswith, ascii_downcase, ascii_upcase, tostring, tonumber, type, IN, any, all, map, test, match)`,
    );
  });
});

/** [program, text the message must contain, line, column] for programs jq itself does not compile. */
const SYNTAX_ERRORS: ReadonlyArray<readonly [string, string, number, number]> = [
  [`1 == 1 == 1`, `unexpected "==": comparison operators do not chain`, 1, 8],
  [`.a < .b >= .c`, `unexpected ">="`, 1, 9],
  [`.a |`, `unexpected end of program`, 1, 5],
  [`.a ,`, `unexpected end of program`, 1, 5],
  [`.a ! .b`, `unexpected character "!"`, 1, 4],
  [`(.a`, `unclosed "("`, 1, 1],
  [`select(.a`, `unclosed "(" of select(...)`, 1, 7],
  [`.["a"`, `unclosed "["`, 1, 2],
  [`.a)`, `unexpected ")"`, 1, 3],
  [`()`, `unexpected ")"`, 1, 2],
  [`.a.`, `unexpected end of program after "."`, 1, 4],
  [`. a`, `unexpected "a"`, 1, 3],
  [`"abc`, `unterminated string literal`, 1, 1],
  [`"a\\qb"`, `invalid escape "\\q"`, 1, 3],
  [`"\\u12"`, `invalid escape "\\u12"`, 1, 2],
  [`"\\ud83d"`, `surrogate pair`, 1, 8],
  [`"\\ud83d\\u0041"`, `surrogate pair`, 1, 8],
  [`select`, `select/0 is not defined`, 1, 1],
  [`and`, `unexpected keyword "and"`, 1, 1],
  [`.a or`, `unexpected end of program`, 1, 6],
  [`"a" "b"`, `unexpected string "b"`, 1, 5],
  [`1 2`, `unexpected number 2`, 1, 3],
  [`.a\r`, `unexpected character "\\r"`, 1, 3],
  [`.a |\n  == 1`, `unexpected "=="`, 2, 3],
  [`"😀" ! 1`, `unexpected character "!"`, 1, 5],
  [`not(.)`, `not/1 is not defined`, 1, 1],
  [`true(1)`, `true/1 is not defined`, 1, 1],
  [`empty(1)`, `empty/1 is not defined`, 1, 1],
  [`select(.a; .b)`, `select/2 is not defined`, 1, 1],
  [`length(1)`, `length/1 is not defined`, 1, 1],
  [`has`, `has/0 is not defined`, 1, 1],
  [`test(1; 2; 3)`, `test/3 is not defined`, 1, 1],
  [`$x`, `$x is not defined`, 1, 1],
  [`. as $x | $y`, `$y is not defined`, 1, 11],
  [`(. as $x | 1), $x`, `$x is not defined`, 1, 16],
  [`. as $if | 1`, `keyword "if" cannot be a variable name`, 1, 6],
  [`{a: .b == 1}`, `write {a: (.b == 1)}`, 1, 8],
  [`{a: . as $x | $x}`, `unexpected keyword "as"`, 1, 7],
  [`{(1): 2}`, `Cannot use number (1) as object key`, 1, 2],
  [`{(null): 2}`, `Cannot use null (null) as object key`, 1, 2],
  [`{1: 2}`, `expected an object key`, 1, 2],
  [`{a: 1,,}`, `expected an object key`, 1, 7],
  [`{if}`, `keyword "if" as an object key needs a value`, 1, 2],
  [`{$x: 1}`, `$x is not defined`, 1, 2],
  [`[1,2`, `unclosed "["`, 1, 1],
  [`{a: 1`, `unclosed "{"`, 1, 1],
  [`. as $x`, `expected "|" after "as $x"`, 1, 8],
  [`. as x | x`, `expected $name`, 1, 6],
  [`.a //`, `unexpected end of program`, 1, 6],
];

describe("syntax errors name the offending token and its column", () => {
  for (const [program, problem, line, column] of SYNTAX_ERRORS) {
    test(JSON.stringify(program), () => {
      const error = rejection(program);
      assert.match(error.message, /^jq syntax error at /);
      assert.ok(error.message.includes(problem), `${error.message}\n  should mention ${problem}`);
      assert.equal(error.line, line, error.message);
      assert.equal(error.column, column, error.message);
      const where = program.includes("\n") ? `line ${line}, column ${column}` : `column ${column}`;
      assert.ok(error.message.includes(where), error.message);
    });
  }

  test("JqSyntaxError is an Error with a name", () => {
    const error = rejection(".a |");
    assert.ok(error instanceof Error);
    assert.equal(error.name, "JqSyntaxError");
  });
});

describe("accepted programs group as jq groups them", () => {
  /** The tree without the `at` offsets (tested separately). */
  const body = (program: string): unknown => JSON.parse(JSON.stringify(parseProgram(program).body, (key, value: unknown) => (key === "at" ? undefined : value)));
  const dot = { type: "identity" };
  const field = (key: string, target: unknown = dot, optional = false) => ({ type: "index", target, key, optional });
  const lit = (value: unknown) => ({ type: "literal", value });

  test("a negated number literal is a literal", () => {
    assert.deepEqual(body("-1"), lit(-1));
    assert.deepEqual(body("- - 1"), lit(1));
    assert.deepEqual(body(".[-1]"), { type: "index", target: dot, key: -1, optional: false });
  });

  test("unary minus binds tighter than comparisons, looser than postfix steps", () => {
    assert.deepEqual(body("-.a == 1"), {
      type: "compare", operator: "==", left: { type: "negate", operand: field("a") }, right: lit(1),
    });
    assert.deepEqual(body("-1[0]"), { type: "negate", operand: { type: "index", target: lit(1), key: 0, optional: false } });
  });

  test("? applies to the one step before it", () => {
    assert.deepEqual(body(".a.b?"), field("b", field("a"), true));
    assert.deepEqual(body(".a?.b"), field("b", field("a", dot, true)));
    assert.deepEqual(body(".[]?"), { type: "iterate", target: dot, optional: true });
    assert.deepEqual(body(`."a b"?`), field("a b", dot, true));
    assert.deepEqual(body(`.["a"] ?`), field("a", dot, true));
  });

  test("precedence: | below , below or below and below comparisons", () => {
    assert.deepEqual(body("1, 2 | 3"), {
      type: "pipe", left: { type: "comma", left: lit(1), right: lit(2) }, right: lit(3),
    });
    assert.deepEqual(body("true or false and false"), {
      type: "or", left: lit(true), right: { type: "and", left: lit(false), right: lit(false) },
    });
    assert.deepEqual(body(".a == 1 and .b"), {
      type: "and", left: { type: "compare", operator: "==", left: field("a"), right: lit(1) }, right: field("b"),
    });
    assert.deepEqual(body(".a | .b | .c"), {
      type: "pipe", left: field("a"), right: { type: "pipe", left: field("b"), right: field("c") },
    });
  });

  test("keywords and identifiers are ordinary field names after a dot", () => {
    assert.deepEqual(body(".and.or.select.if"), field("if", field("select", field("or", field("and")))));
  });

  test("string literals decode JSON escapes; a lone low surrogate becomes U+FFFD as in jq", () => {
    assert.deepEqual(body(`"\\u00e9\\ud83d\\ude00\\n\\/"`), lit("é😀\n/"));
    assert.deepEqual(body(`"\\udc00"`), lit("\ufffd"));
    assert.deepEqual(body(`"raw\ttab"`), lit("raw\ttab"));
  });

  test("numbers follow jq's literal syntax", () => {
    assert.deepEqual(body(".5"), lit(0.5));
    assert.deepEqual(body("1."), lit(1));
    assert.deepEqual(body("00012"), lit(12));
    assert.deepEqual(body("1.e2"), lit(100));
    assert.deepEqual(body("123456789012345"), lit(123456789012345));
  });

  test("// is right-associative, between , and or", () => {
    assert.deepEqual(body(".a // .b // 1"), {
      type: "alternative", left: field("a"), right: { type: "alternative", left: field("b"), right: lit(1) },
    });
    assert.deepEqual(body("1, .a or .b // 2"), {
      type: "comma", left: lit(1),
      right: { type: "alternative", left: { type: "or", left: field("a"), right: field("b") }, right: lit(2) },
    });
  });

  test("T as $x | body takes the rest of the expression, after , and |", () => {
    const variable = (name: string) => ({ type: "variable", name });
    assert.deepEqual(body("1, . as $x | $x, 2"), {
      type: "comma", left: lit(1),
      right: { type: "bind", source: dot, name: "x", body: { type: "comma", left: variable("x"), right: lit(2) } },
    });
    assert.deepEqual(body(".a as $x | .b as $y | [$x, $y]"), {
      type: "bind", source: field("a"), name: "x",
      body: { type: "bind", source: field("b"), name: "y", body: { type: "array", body: { type: "comma", left: variable("x"), right: variable("y") } } },
    });
  });

  test("object construction expands shorthands; values are terms, - and |", () => {
    assert.deepEqual(body(`{a, "b c", $__loc__: 1}`.replace(", $__loc__: 1", "")), {
      type: "object", entries: [
        { key: lit("a"), value: field("a") },
        { key: lit("b c"), value: field("b c") },
      ],
    });
    assert.deepEqual(body(`. as $v | {$v, if: -1 | 2, (.k): .x.y,}`), {
      type: "bind", source: dot, name: "v", body: {
        type: "object", entries: [
          { key: lit("v"), value: { type: "variable", name: "v" } },
          { key: lit("if"), value: { type: "pipe", left: lit(-1), right: lit(2) } },
          { key: field("k"), value: field("y", field("x")) },
        ],
      },
    });
    assert.deepEqual(body(`$__loc__`), { type: "location", line: 1 });
    assert.deepEqual(body(`1,\n\n$__loc__`.replace(/\\n/g, "\n")), { type: "comma", left: lit(1), right: { type: "location", line: 3 } });
  });

  test("builtins become calls with their arguments", () => {
    assert.deepEqual(body(`length`), { type: "call", name: "length", args: [] });
    assert.deepEqual(body(`test("a"; "g")`), { type: "call", name: "test", args: [lit("a"), lit("g")] });
    assert.deepEqual(body(`any(.[]; . == 1)`), {
      type: "call", name: "any", args: [{ type: "iterate", target: dot, optional: false }, { type: "compare", operator: "==", left: dot, right: lit(1) }],
    });
  });

  test("constructs carry their offset for messages", () => {
    const program = parseProgram(`.Records[] | {eventName}`);
    assert.equal(program.body.at, 11);
    assert.equal((program.body as { right: { at?: number } }).right.at, 13);
  });

  test("the program is kept with its source and frozen", () => {
    const program = parseProgram(".Records[]");
    assert.equal(program.source, ".Records[]");
    assert.ok(Object.isFrozen(program));
  });
});
