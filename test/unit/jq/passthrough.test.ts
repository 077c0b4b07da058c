/**
 * recordsProblem: which programs ingest accepts (their outputs are the records of .Records, unchanged), and
 * the construct it names for the others. The claim "outputs are records" is also checked by running each
 * accepted program: every output is one of the input's records (the same object).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { evaluate, parseProgram, recordsProblem } from "../../../lib/jq/mod.ts";

const ACCEPTED = [
  `.Records[]`,
  `.Records[]?`,
  `.["Records"][]`,
  `.Records[] | .`,
  `.Records[] | select(.eventName == "RunInstances")`,
  `.Records[] | select(.readOnly | not) | select(.errorCode)`,
  `.Records[] | select(.a), select(.b)`,
  `.Records[] | empty`,
  `.Records[] | (select(.x) | .), empty`,
  `.Records[] | . as $r | select($r.eventSource | endswith(".amazonaws.com"))`,
  `.Records[] | select(.userIdentity.arn // "" | test(":root$"))`,
  `(.Records[] | select(has("errorCode")))`,
];

/** [program, the construct and column the problem names] */
const REFUSED: ReadonlyArray<readonly [string, string]> = [
  [`.Records[] | {eventName}`, `object construction "{...}" at column 14`],
  [`.Records[] | [.eventName]`, `array construction "[...]" at column 14`],
  [`.Records[].eventName`, `the field ".eventName" at column 11`],
  [`.Records[] | .eventName`, `the field ".eventName" at column 14`],
  [`.Records[][]`, `iteration "[]" at column 11`],
  [`.Records[] | select(.x) | tostring`, `"tostring" at column 27`],
  [`.Records[] | select(.x), length`, `"length" at column 26`],
  [`.Records[] | . as $r | $r`, `the variable "$r" at column 24`],
  [`.Records[] | .x // .`, `"//" at column 14`],
  [`.`, `it must start with .Records[], not "." at column 1`],
  [`.Records`, `it must start with .Records[], not the field ".Records" at column 1`],
  [`.Records[0]`, `it must start with .Records[]`],
  [`.logFiles[]`, `it must start with .Records[]`],
  [`.Records[] | 1`, `the literal 1 at column 14`],
  [`.Records[] | select(.a) |\n  .b`, `the field ".b" at line 2, column 3`],
];

test("recordsProblem accepts .Records[] followed by filters that pass records through", () => {
  const input = { Records: [{ eventName: "RunInstances", readOnly: false, errorCode: "x", a: 1, b: 1, x: 1, eventSource: "ec2.amazonaws.com", userIdentity: { arn: "arn:aws:iam::1:root" } }, { eventName: "Get", readOnly: true, eventSource: "s3.amazonaws.com" }] };
  for (const source of ACCEPTED) {
    const program = parseProgram(source);
    assert.equal(recordsProblem(program), undefined, source);
    for (const output of evaluate(program, input)) {
      assert.ok(input.Records.includes(output as never), `${source} output something that is not a record: ${JSON.stringify(output)}`);
    }
  }
});

test("recordsProblem names the construct that changes the records, and where", () => {
  for (const [source, named] of REFUSED) {
    const problem = recordsProblem(parseProgram(source));
    assert.ok(problem?.includes(named), `${source}: ${problem}\n  should name ${named}`);
  }
});
