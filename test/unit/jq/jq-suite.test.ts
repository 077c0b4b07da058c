/**
 * jq's own test suite (test/reference/jq/jq.test, copied from jqlang/jq with its licence) run against
 * lib/jq: every case whose program the subset accepts must give jq's expected
 * outputs, and every `%%FAIL` program (one jq does not compile) must be rejected.
 *
 * As in jq's runner (src/jq_test.c), a runtime error ends a case's outputs: the
 * expected lines are the outputs produced before it.
 *
 * The suite is jq master's (1.8). Where lib/jq refuses an input because jq versions disagree on it
 * (JqVersionError), the case counts as refused, not passed, and only if the real jq 1.6 indeed answers it
 * differently from the suite: a refusal where 1.6 agrees with the suite is a failure.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { evaluate, JqRuntimeError, JqSyntaxError, JqVersionError, parseProgram, type Program } from "../../../lib/jq/mod.ts";
import { referenceVersion, runDirect } from "./reference-jq.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJqTestFile, type RunCase } from "./jq-test-file.ts";
import { sameSequence } from "./same-json.ts";

const SUITE = new URL("../../reference/jq/jq.test", import.meta.url);

/** This many of jq's cases are in the subset (19 before issue 12, 82 after); fewer means the parser rejects too much. */
const MIN_CASES_RUN = 80;

function tryParse(program: string): Program | undefined {
  try {
    return parseProgram(program);
  } catch (error) {
    if (error instanceof JqSyntaxError) return undefined;
    throw error;
  }
}

/** jq's JSON reader skips a leading byte order mark; JSON.parse does not. */
function parseJsonLine(line: string): unknown {
  return JSON.parse(line.replace(/^\uFEFF/, ""));
}

function outputsUntilError(program: Program, input: unknown): { outputs: unknown[]; error?: string; refused?: true } {
  const outputs: unknown[] = [];
  try {
    for (const value of evaluate(program, input)) outputs.push(value);
  } catch (error) {
    if (!(error instanceof JqRuntimeError)) throw error;
    return error instanceof JqVersionError ? { outputs, error: error.message, refused: true } : { outputs, error: error.message };
  }
  return { outputs };
}

test("jq.test: lib/jq agrees with jq's own test suite on every case in the subset", async () => {
  const cases = parseJqTestFile(readFileSync(SUITE, "utf8"));
  assert.ok(cases.length > 400, `expected jq's test suite at ${SUITE.pathname}, found ${cases.length} cases`);

  let run = 0;
  let skipped = 0;
  let endedInError = 0;
  const failures: string[] = [];
  const refusals: Array<{ suiteCase: RunCase; expected: unknown[] }> = [];
  for (const suiteCase of cases.filter((c): c is RunCase => c.kind === "run")) {
    const program = tryParse(suiteCase.program);
    if (program === undefined) {
      skipped++;
      continue;
    }
    run++;
    const input = parseJsonLine(suiteCase.input);
    const expected = suiteCase.expected.map(parseJsonLine);
    const actual = outputsUntilError(program, input);
    if (actual.refused && sameSequence(actual.outputs, expected.slice(0, actual.outputs.length))) {
      refusals.push({ suiteCase, expected });
      continue;
    }
    if (actual.error !== undefined) endedInError++;
    if (!sameSequence(actual.outputs, expected)) {
      failures.push(
        `line ${suiteCase.line}: ${suiteCase.program} on ${suiteCase.input}\n` +
          `    expected ${JSON.stringify(expected)}\n    got      ${JSON.stringify(actual.outputs)}` +
          (actual.error === undefined ? "" : ` then error: ${actual.error}`),
      );
    }
  }

  // A refusal must be where jq 1.6 itself answers differently from the suite (a later jq).
  const version = referenceVersion();
  const directory = mkdtempSync(join(tmpdir(), "jq-suite-"));
  try {
    for (const { suiteCase, expected } of refusals) {
      const file = join(directory, "input.json");
      writeFileSync(file, suiteCase.input.replace(/^\uFEFF/, ""));
      const reference = await runDirect(suiteCase.program, file);
      if ("outputs" in reference && reference.error === undefined && sameSequence(reference.outputs, expected)) {
        failures.push(`line ${suiteCase.line}: ${suiteCase.program}: refused as version-dependent, but ${version} agrees with the suite`);
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }

  console.log(
    `jq.test: ${run} cases accepted: ${run - refusals.length - failures.length} passed, ${failures.length} failed, ` +
      `${refusals.length} refused at run time where ${version} and the suite's jq disagree; ${skipped} skipped (outside the subset)` +
      (endedInError ? `; ${endedInError} ended in a runtime error, as jq's expected outputs allow` : ""),
  );
  assert.deepEqual(failures, []);
  assert.ok(run >= MIN_CASES_RUN, `only ${run} of jq's cases were in the subset (expected at least ${MIN_CASES_RUN})`);
});

test("jq.test: every %%FAIL program (jq does not compile it) is rejected", () => {
  const cases = parseJqTestFile(readFileSync(SUITE, "utf8")).filter((c) => c.kind === "fail");
  assert.ok(cases.length >= 15, `expected jq's %%FAIL cases, found ${cases.length}`);
  const accepted = cases.filter((c) => tryParse(c.program) !== undefined).map((c) => `line ${c.line}: ${c.program}`);
  console.log(`jq.test: ${cases.length - accepted.length} of ${cases.length} %%FAIL programs rejected`);
  assert.deepEqual(accepted, []);
});
