/**
 * Random differential testing of lib/jq against a real jq (not part of the
 * test suite: it takes a while). Generates programs — from the subset's grammar,
 * from a soup of jq tokens, and from a soup of characters — and for every
 * program parseProgram accepts, checks that jq compiles it too and gives the
 * same outputs, outcome and (jq 1.6/1.7) error message on a few inputs.
 *
 *   node --import tsx test/unit/jq/fuzz.ts [count] [seed]
 *   JQ=/path/to/jq-1.7.1 node --import tsx test/unit/jq/fuzz.ts 3000 42
 *
 * Exits 1 and prints each disagreement if there is any. With JQ_FUZZ_REFUSALS=FILE, the (program, input)
 * pairs lib/jq refused as version-dependent are written to FILE (one JSON line each), to audit them against
 * other jq versions.
 */
import { dumpValue } from "../../../lib/jq/dump.ts";
import { evaluate, JqRuntimeError, JqSyntaxError, JqVersionError, parseProgram, type Program } from "../../../lib/jq/mod.ts";
import {
  compileStatus, mapLimited, messagesComparable, type Outcome, referenceVersion, runBatch,
} from "./reference-jq.ts";
import { sameSequence } from "./same-json.ts";

import { appendFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const INPUTS: readonly unknown[] = [
  { a: { b: [1, "x", null] }, b: [{ a: 1 }, { a: null }, 2], "a b": true },
  [1, [2, 3], { a: "b" }, null, "s", true],
  null,
  "str",
  0,
  { a: [], b: {} },
  [{ a: 1, b: 2 }, { a: 2, b: 1 }, { b: [0] }],
  { a: false, b: "😀", c: -1.5 },
  ["a", "ab", "B", "", "x\n", "é😀", "10", "a b"],
  { Records: [{ eventName: "RunInstances", eventSource: "ec2.amazonaws.com", resources: [{ type: "AWS::EC2::Instance" }] }, { eventName: "GetObject", errorCode: "AccessDenied" }] },
];

/** A small deterministic generator (LCG), so a seed reproduces a run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000;
  };
}

function generators(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const literals = ["1", "0", "-1", "2", ".5", "1.0", `"a"`, `"x"`, `""`, `"😀"`, "null", "true", "false", `"b"`];
  const keys = ["a", "b", "c"];
  const bound: string[] = [];
  const regexes = [`"a"`, `"^a"`, `"b$"`, `"[a-c]+"`, `"(a)(b)?"`, `"(?<x>é|😀)"`, `"."`, `"a|B"`, `"\\\\."`, `"x{1,2}"`];
  const postfix = (depth: number): string => {
    const deeper = (): string => grammar(depth + 1);
    let term = pick<() => string>([
      () => ".",
      () => "." + pick(keys),
      () => "." + JSON.stringify(pick(["a b", "a", "b"])),
      () => pick(literals),
      () => `(${deeper()})`,
      () => `select(${deeper()})`,
      () => "not",
      () => "empty",
      () => `[${deeper()}]`,
      () => "[]",
      () => pick(["{}", "{a}", `{"a b"}`, `{a: ${postfix(depth + 1)}}`, `{(${deeper()}): ${postfix(depth + 1)}, b: 1}`]),
      () => (bound.length ? "$" + pick(bound) : "$__loc__"),
      () => pick(["length", "keys", "type", "tostring", "tonumber", "ascii_downcase", "ascii_upcase", "any", "all"]),
      () => `${pick(["has", "contains", "startswith", "endswith", "in", "IN", "map"])}(${deeper()})`,
      () => `${pick(["any", "all"])}(${postfix(depth + 1)} ${pick(["==", "<", "!="])} ${pick(literals)})`,
      () => `${pick(["any", "all"])}(.[]?; ${postfix(9)})`,
      () => `IN(${deeper()}; ${pick(literals)}, ${pick(literals)})`,
      () => `${pick(["test", "match"])}(${pick(regexes)}${next() < 0.3 ? `; ${pick(["null", `"g"`, `""`, `"i"`, `"gi"`])}` : ""})`,
    ])();
    for (let steps = Math.floor(next() * 3); steps > 0; steps--) {
      term += pick(["." + pick(keys), "[]", "[0]", "[-1]", "[1]", `["a"]`, `."b"`]);
      if (next() < 0.3) term += "?";
    }
    return term;
  };
  const unary = (depth: number): string => (next() < 0.1 ? "-" + unary(depth) : postfix(depth));
  const grammar = (depth: number): string => {
    if (depth > 3) return postfix(9);
    const r = next();
    if (r < 0.3) return unary(depth);
    if (r < 0.45) return `${unary(depth)} ${pick(["==", "!=", "<", "<=", ">", ">="])} ${unary(depth)}`;
    if (r < 0.52) return `${grammar(depth + 1)} and ${grammar(depth + 1)}`;
    if (r < 0.59) return `${grammar(depth + 1)} or ${grammar(depth + 1)}`;
    if (r < 0.66) return `${grammar(depth + 1)} // ${grammar(depth + 1)}`;
    if (r < 0.76) return `${grammar(depth + 1)}, ${grammar(depth + 1)}`;
    if (r < 0.86) {
      const name = pick(["x", "y"]);
      const source = postfix(depth + 1);
      bound.push(name);
      const body = grammar(depth + 1);
      bound.pop();
      return `${source} as $${name} | ${body}`;
    }
    return `${grammar(depth + 1)} | ${grammar(depth + 1)}`;
  };
  const soup = (pieces: readonly string[], maxLength: number) => (): string => {
    let program = "";
    for (let n = 1 + Math.floor(next() * maxLength); n > 0; n--) program += pick(pieces);
    return program;
  };
  const tokens = soup([
    ".", ".a", ".b", "[", "]", "(", ")", "?", "|", ",", "==", "<", " and ", " or ", "not", "select", "empty",
    "-", "1", `"a"`, "null", " ", ".[]", ".[0]", "1.", ".5", "e1", ".e1", "..", `"\\u00e9"`, "true", ".a?", "#",
    "{", "}", ":", ";", "//", "$x", " as ", "$__loc__", "length", "test(", "map(", "any", "[", "]", "{a}", "$", "IN(",
  ], 7);
  const characters = soup([
    ".", ".", "a", "b", "e", "E", "1", "0", "5", "-", "+", `"`, `"`, "\\", "u", "d", "8", "3", "[", "]", "?",
    " ", "(", ")", "|", ",", "=", "<", ">", "!", "\n", "\t", "_", "n", "o", "t",
  ], 9);
  return [() => grammar(0), tokens, characters] as const;
}

/** Our outcome as printed; a refusal (JqVersionError) is reported as such and not compared. */
function ours(program: Program, input: unknown): Outcome & { refused?: true } {
  const outputs: unknown[] = [];
  try {
    for (const value of evaluate(program, input)) outputs.push(JSON.parse(dumpValue(value)));
  } catch (error) {
    if (error instanceof JqVersionError) return { outputs, error: error.message, refused: true };
    if (error instanceof JqRuntimeError) return { outputs, error: error.message };
    throw error;
  }
  return { outputs };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1500);
  const seed = Number(process.argv[3] ?? Date.now() % 100000);
  const version = referenceVersion();
  const compareMessages = messagesComparable(version);
  const directory = mkdtempSync(join(tmpdir(), "jq-fuzz-"));
  const files = INPUTS.map((input, i) => {
    const file = join(directory, `input-${i}.json`);
    writeFileSync(file, JSON.stringify(input));
    return file;
  });

  const makers = generators(random(seed));
  const candidates = Array.from({ length: count }, (_, i) => makers[i % makers.length]!());
  const accepted: Array<{ source: string; program: Program }> = [];
  for (const source of candidates) {
    try {
      accepted.push({ source, program: parseProgram(source) });
    } catch (error) {
      if (!(error instanceof JqSyntaxError)) throw error;
    }
  }

  const problems: string[] = [];
  let refused = 0;
  await mapLimited(accepted, 2, async ({ source, program }) => {
    const compiled = await compileStatus(source);
    if (compiled.code === 2 || compiled.code === 3) {
      problems.push(`accepted, but ${version} does not compile: ${JSON.stringify(source)}`);
      return;
    }
    const reference = await runBatch(source, files);
    INPUTS.forEach((input, i) => {
      const theirs = reference[i]!;
      const mine = ours(program, input);
      if (mine.refused) {
        refused++;
        const audit = process.env["JQ_FUZZ_REFUSALS"];
        if (audit) appendFileSync(audit, JSON.stringify({ program: source, input, jq16: theirs, refusal: mine.error }) + "\n");
        if (!sameSequence(mine.outputs, theirs.outputs.slice(0, mine.outputs.length))) problems.push(`refused after other outputs than jq's: ${source}`);
        return;
      }
      if (
        !sameSequence(mine.outputs, theirs.outputs) ||
        (mine.error === undefined) !== (theirs.error === undefined) ||
        (compareMessages && mine.error !== theirs.error)
      ) {
        problems.push(
          `${JSON.stringify(source)} on ${JSON.stringify(input)}\n` +
            `  jq:     ${JSON.stringify(theirs)}\n  lib/jq: ${JSON.stringify(mine)}`,
        );
      }
    });
  });

  console.log(
    `fuzz (seed ${seed}, ${version}): ${candidates.length} programs, ${accepted.length} accepted, ` +
      `${refused} refused (versions disagree), ${problems.length} disagreements`,
  );
  for (const problem of problems) console.log(problem);
  if (problems.length > 0) process.exitCode = 1;
}

await main();
