/**
 * lib/jq/regex.ts against the real jq (Oniguruma): seeded random patterns from the supported syntax, on
 * strings built to hit its edges (newlines, astral characters, "ß", digits of other scripts), must give
 * jq 1.6's `test` and `match` results exactly; and every construct whose meaning differs is rejected.
 *
 *   JQ_REGEX_SEED=7 JQ_REGEX_PATTERNS=2000 node --import tsx --test test/unit/jq/regex.test.ts
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";

import { regexFor, regexMatches, regexTest, RegexUnsupported } from "../../../lib/jq/regex.ts";
import { JQ } from "./reference-jq.ts";
import { sameJson } from "./same-json.ts";

const SEED = Number(process.env["JQ_REGEX_SEED"] ?? 12);
const COUNT = Number(process.env["JQ_REGEX_PATTERNS"] ?? 400);

const STRINGS = [
  "", "a", "b", "ab", "ba", "abc", "aab", "abab", "cab", "x", "a\n", "a\n\n", "\na", "b\na", "\r", "\u2028",
  "é", "aé", "😀", "a😀b", "😀😀", "ß", "ss", "SS", "٣", "3", "a-b", "a.b", "{", "x{1}", "ABC", "a b", "\t",
];

/** A small deterministic generator (LCG), so a seed reproduces a run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000;
  };
}

function patternGenerator(next: () => number): () => string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let groups = 0;
  const atom = (depth: number): string => {
    const r = next();
    if (r < 0.35) return pick(["a", "b", "c", "x", "é", "😀", "3", "-", " ", "\n"]);
    if (r < 0.45) return pick([".", "\\.", "\\-", "\\{", "\\n", "\\t", "\\\\", "\\/"]);
    if (r < 0.6) return pick(["[abc]", "[^a]", "[a-c]", "[é-😀]", "[-a]", "[a-]", "[^\\n]", "[.]", "[\\]a]", "[0-9]"]);
    if (r < 0.68) return pick(["^", "$"]);
    if (depth > 2) return "a";
    const inner = alternation(depth + 1);
    const kind = next();
    if (kind < 0.4) return `(${inner})`;
    if (kind < 0.8) return `(?:${inner})`;
    return `(?<g${++groups}>${inner})`;
  };
  const quantified = (depth: number): string => {
    const base = atom(depth);
    if (next() > 0.3) return base;
    const q = pick(["*", "+", "?", "{2}", "{1,2}", "{0,1}", "{2,}"]);
    return base + q + (next() < 0.25 ? "?" : "");
  };
  const sequence = (depth: number): string => {
    let out = "";
    for (let n = Math.floor(next() * 4); n >= 0; n--) out += quantified(depth);
    return out;
  };
  const alternation = (depth: number): string => (next() < 0.2 ? `${sequence(depth)}|${sequence(depth)}` : sequence(depth));
  return () => {
    groups = 0;
    return alternation(0);
  };
}

/** Our answer for one pattern on every string: test's booleans, and match's objects when match accepts it. */
function ours(pattern: string): { test: unknown[]; match: unknown[] | undefined } {
  const forTest = regexFor(pattern, null, false);
  let forMatch;
  try {
    forMatch = regexFor(pattern, "g", true);
  } catch (error) {
    if (!(error instanceof RegexUnsupported)) throw error;
  }
  return {
    test: STRINGS.map((s) => regexTest(forTest, s)),
    match: forMatch && STRINGS.map((s) => regexMatches(forMatch, s)),
  };
}

test(`regex: ${COUNT} random patterns (seed ${SEED}) give jq's test and match results`, () => {
  const generate = patternGenerator(random(SEED));
  const accepted: string[] = [];
  let rejected = 0;
  for (let i = 0; i < COUNT; i++) {
    const pattern = generate();
    try {
      regexFor(pattern, null, false);
      if (!accepted.includes(pattern)) accepted.push(pattern);
    } catch (error) {
      if (!(error instanceof RegexUnsupported)) throw error;
      rejected++;
    }
  }
  assert.ok(accepted.length > COUNT / 3, `only ${accepted.length} of ${COUNT} patterns accepted`);
  // jq 1.6 crashes on some empty matches with "g" (a reason match refuses patterns that can match empty):
  // ask it for match only where lib/jq accepts the pattern for match.
  const forMatch = accepted.map((pattern) => ours(pattern).match !== undefined);
  const program =
    `.strings as $s | .patterns[] | .pattern as $p | ` +
    `{test: [$s[] | try test($p) catch "error: \\(.)"], match: (if .match then [$s[] | try [match($p; "g")] catch "error: \\(.)"] else null end)}`;
  const stdout = execFileSync(JQ, ["-c", program], {
    input: JSON.stringify({ strings: STRINGS, patterns: accepted.map((pattern, i) => ({ pattern, match: forMatch[i] })) }),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const theirs = stdout.trim().split("\n").map((line) => JSON.parse(line) as { test: unknown[]; match: unknown[] });
  assert.equal(theirs.length, accepted.length);
  const problems: string[] = [];
  let matchCompared = 0;
  accepted.forEach((pattern, p) => {
    const mine = ours(pattern);
    STRINGS.forEach((s, i) => {
      if (!sameJson(mine.test[i], theirs[p]!.test[i])) {
        problems.push(`test(${JSON.stringify(pattern)}) on ${JSON.stringify(s)}: jq ${JSON.stringify(theirs[p]!.test[i])}, lib/jq ${JSON.stringify(mine.test[i])}`);
      }
      if (mine.match !== undefined) {
        matchCompared++;
        if (!sameJson(mine.match[i], theirs[p]!.match[i])) {
          problems.push(`match(${JSON.stringify(pattern)}; "g") on ${JSON.stringify(s)}:\n  jq     ${JSON.stringify(theirs[p]!.match[i])}\n  lib/jq ${JSON.stringify(mine.match[i])}`);
        }
      }
    });
  });
  console.log(
    `regex: ${accepted.length} patterns accepted (${rejected} rejected) x ${STRINGS.length} strings; ` +
      `${matchCompared} match results compared; ${problems.length} disagreements`,
  );
  assert.deepEqual(problems.slice(0, 20), []);
});

/** Strings where Unicode case folding is special: full folds (ß, ﬁ, ﬆ), ASCII look-alikes (ſ, K), Turkish i, sigma. */
const FOLDING_STRINGS = [
  "ß", "ẞ", "ss", "SS", "sS", "st", "ST", "ﬆ", "ﬅ", "ﬁ", "fi", "FI", "ﬂ", "ﬀ", "ﬃ", "ſ", "K", "k", "K", "İ", "ı", "i", "I",
  "Σ", "σ", "ς", "admin", "ADMIN", "Admin-Role", "ConsoleLogin", "AssumeRole", "root", "ROOT", "aK", "xſx", "",
];

test(`regex: with "i", ${COUNT} random ASCII patterns (seed ${SEED}) fold case as jq does, or are refused`, () => {
  const next = random(SEED + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const atom = (): string => pick(["s", "S", "t", "f", "F", "i", "l", "k", "K", "a", "D", "m", "n", "o", "r", "[a-z]", "[^a-z]", "[s]", "[A-Z]", ".", "-", "(?:s|t)", "(i)"]);
  const accepted: string[] = [];
  let rejected = 0;
  for (let n = 0; n < COUNT; n++) {
    let pattern = next() < 0.3 ? "^" : "";
    for (let k = 1 + Math.floor(next() * 4); k > 0; k--) pattern += atom() + (next() < 0.2 ? pick(["+", "?", "*", "{2}"]) : "");
    if (next() < 0.2) pattern += "$";
    try {
      regexFor(pattern, "i", false);
      if (!accepted.includes(pattern)) accepted.push(pattern);
    } catch (error) {
      if (!(error instanceof RegexUnsupported)) throw error;
      rejected++;
    }
  }
  assert.ok(accepted.length > COUNT / 4, `only ${accepted.length} of ${COUNT} patterns accepted`);
  const stdout = execFileSync(JQ, ["-c", `.strings as $s | .patterns[] | . as $p | [$s[] | test($p; "i")]`], {
    input: JSON.stringify({ strings: FOLDING_STRINGS, patterns: accepted }),
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const theirs = stdout.trim().split("\n").map((line) => JSON.parse(line) as boolean[]);
  const problems: string[] = [];
  accepted.forEach((pattern, p) => {
    const regex = regexFor(pattern, "i", false);
    FOLDING_STRINGS.forEach((s, i) => {
      const mine = regexTest(regex, s);
      if (mine !== theirs[p]![i]) problems.push(`test(${JSON.stringify(pattern)}; "i") on ${JSON.stringify(s)}: jq ${theirs[p]![i]}, lib/jq ${mine}`);
    });
  });
  console.log(`regex "i": ${accepted.length} patterns accepted (${rejected} refused) x ${FOLDING_STRINGS.length} strings; ${problems.length} disagreements`);
  assert.deepEqual(problems.slice(0, 20), []);
});

/** [pattern, flags, for match?, text the rejection names] */
const REJECTED: ReadonlyArray<readonly [string, string | null, boolean, string]> = [
  ["\\d", null, false, "\\d (Oniguruma's \\d matches every Unicode decimal digit"],
  ["[\\d]", null, false, "\\d"],
  ["\\w", null, false, "\\w"],
  ["\\s", null, false, "\\s"],
  ["\\bx", null, false, "\\b"],
  ["\\p{L}", null, false, `the escape "\\p"`],
  ["\\x41", null, false, `the escape "\\x"`],
  ["\\1", null, false, "backreference"],
  ["\\<", null, false, `the escape "\\<"`],
  ["\\é", null, false, "escape only ASCII punctuation"],
  ["(?=a)", null, false, "lookahead"],
  ["(?!a)", null, false, "lookahead"],
  ["(?<=a)", null, false, "lookbehind"],
  ["(?<!a)", null, false, "lookbehind"],
  ["(?>a)", null, false, "atomic group"],
  ["(?i)a", null, false, "inline options"],
  ["(?#c)", null, false, "comment group"],
  ["(?P<n>a)", null, false, "group name"],
  ["(?<1>a)", null, false, "group name"],
  ["[[:alpha:]]", null, false, `"[" inside a character class`],
  ["[a[b]]", null, false, `"[" inside a character class`],
  ["[a&&b]", null, false, `"&&"`],
  ["[]a]", null, false, `"]" first`],
  ["[a-c-e]", null, false, `ambiguous "-"`],
  ["[z-a]", null, false, "end is before its start"],
  ["[a", null, false, `unclosed "["`],
  ["(a", null, false, `unclosed "("`],
  ["a)", null, false, `unbalanced ")"`],
  ["*a", null, false, "nothing to repeat"],
  ["a**", null, false, "stacked quantifiers"],
  ["a{2}{3}", null, false, "stacked quantifiers"],
  ["a+?+", null, false, "stacked quantifiers"],
  ["a++", null, false, "possessive"],
  ["^*", null, false, "after an anchor"],
  ["(a*)+", null, false, "can match the empty string"],
  ["(|a)*", null, false, "can match the empty string"],
  ["a{1001}", null, false, "over 1000"],
  ["a{3,2}", null, false, "below its minimum"],
  ["a{,2}", null, false, `"{" that is not a quantifier`],
  ["a{x}", null, false, `"{" that is not a quantifier`],
  ["a}", null, false, `"}"`],
  ["]", null, false, `"]"`],
  ["a\\", null, false, "at the end"],
  ["ss", "i", false, `adjacent characters that Oniguruma folds together`],
  ["xFi", "i", false, `adjacent characters that Oniguruma folds together`],
  ["s(?:t)", "i", false, `adjacent characters that Oniguruma folds together`],
  ["(f)l", "i", false, `adjacent characters that Oniguruma folds together`],
  ["s+t", "i", false, `adjacent characters that Oniguruma folds together`],
  ["ß", "i", false, `the non-ASCII character "ß"`],
  ["[à-é]", "i", false, `the non-ASCII character "à"`],
  ["a", "m", false, `flag "m"`],
  ["a", "gx", false, `flag "x"`],
  ["a", "n", false, `flag "n"`],
  ["", null, true, "can match the empty string, in match"],
  ["a*", null, true, "can match the empty string, in match"],
  ["a|", null, true, "can match the empty string, in match"],
  ["^", null, true, "can match the empty string, in match"],
  ["(?:(a)|b)+", null, true, "capture group inside a repeated group"],
  ["((a))+", null, true, "capture group inside a repeated group"],
  ["(?<n>a)(?<n>b)", null, false, `group name "n" used twice`],
];

test("regex: constructs that Oniguruma and JavaScript (or jq versions) read differently are rejected, named", () => {
  const problems: string[] = [];
  for (const [pattern, flags, forMatch, named] of REJECTED) {
    try {
      regexFor(pattern, flags, forMatch);
      problems.push(`accepted ${JSON.stringify(pattern)} (flags ${flags}, match ${forMatch})`);
    } catch (error) {
      if (!(error instanceof RegexUnsupported)) throw error;
      if (!error.message.includes(named)) problems.push(`${JSON.stringify(pattern)}: ${error.message}\n  should name ${named}`);
      if (!error.message.startsWith(`regex ${JSON.stringify(pattern)}`)) problems.push(`${error.message}: should quote the pattern`);
    }
  }
  assert.deepEqual(problems, []);
});

test("regex: the same constructs are accepted for test where only match differs", () => {
  for (const pattern of ["", "a*", "^", "(?:(a)|b)+", "a|"]) regexFor(pattern, null, false);
  assert.equal(regexTest(regexFor("a*", null, false), "xyz"), true);
});

test("regex: a program's regex built at run time is checked at run time, with the same message", async () => {
  const { evaluate, JqVersionError, parseProgram } = await import("../../../lib/jq/mod.ts");
  const program = parseProgram(`.[] as $re | "x" | test($re)`);
  assert.throws(() => [...evaluate(program, ["x", "\\d"])], (error: unknown) =>
    error instanceof JqVersionError && /^unsupported in trailpost's jq subset: regex "\\\\d" at offset 0: \\d/.test(error.message));
});
