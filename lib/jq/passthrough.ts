/**
 * Whether a program's outputs are CloudTrail records, unchanged: `.Records[]` (or `.Records[]?`) followed
 * only by filters that pass their input through or drop it — `select(...)`, `empty`, `.`, `,` and `|` of
 * those, and `... as $x | ...` around them. `ingest` indexes records, so it accepts only such programs;
 * a projection (`{eventName}`) is for split.ts.
 *
 *   recordsProblem(parseProgram(`.Records[] | select(.readOnly | not)`))   // undefined: outputs records
 *   recordsProblem(parseProgram(`.Records[] | {eventName}`))
 *   // 'object construction "{...}" at column 14 outputs something other than the record'
 */
import type { Node, Program } from "./ast.ts";
import { describePosition, positionAt } from "./errors.ts";
import { startOf } from "./parse.ts";

/** Undefined when every output of the program is a record of `.Records` as it is; otherwise what is not. */
export function recordsProblem(program: Program): string | undefined {
  const stages = pipeStages(program.body);
  const first = stages[0]!;
  if (!isRecordsIteration(first)) {
    // .Records[].eventName: name the step after .Records[]
    let step: Node = first;
    let above: Node | undefined;
    while ((step.type === "index" || step.type === "iterate") && !isRecordsIteration(step)) {
      above = step;
      step = step.target;
    }
    if (above && isRecordsIteration(step)) {
      return `${describe(above)} at ${where(program.source, above, above.at)} outputs something other than the record`;
    }
    return `it must start with .Records[], not ${describe(first)} at ${where(program.source, first)}`;
  }
  for (const stage of stages.slice(1)) {
    const culprit = changer(stage);
    if (culprit) return `${describe(culprit)} at ${where(program.source, culprit)} outputs something other than the record`;
  }
  return undefined;
}

/** `.Records[]` or `.Records[]?` on the input. */
function isRecordsIteration(node: Node): boolean {
  return node.type === "iterate" && node.target.type === "index" && !node.target.optional &&
    node.target.key === "Records" && node.target.target.type === "identity";
}

/** The pipe `A | B | C` as [A, B, C], however it nests. */
function pipeStages(node: Node): Node[] {
  return node.type === "pipe" ? [...pipeStages(node.left), ...pipeStages(node.right)] : [node];
}

/** The first construct in a stage whose outputs are not its input, or undefined when it passes input through. */
function changer(node: Node): Node | undefined {
  switch (node.type) {
    case "identity": case "select": case "empty":
      return undefined;
    case "comma": case "pipe":
      return changer(node.left) ?? changer(node.right);
    case "bind":
      return changer(node.body);
    default:
      return node;
  }
}

function where(source: string, node: Node, at = startOf(node)): string {
  const offset = at ?? 0;
  return describePosition(source, positionAt(source, offset));
}

function describe(node: Node): string {
  switch (node.type) {
    case "object": return `object construction "{...}"`;
    case "array": return `array construction "[...]"`;
    case "index": return typeof node.key === "string" ? `the field ".${node.key}"` : `the index "[${node.key}]"`;
    case "iterate": return `iteration "[]"`;
    case "call": return `"${node.name}"`;
    case "literal": return `the literal ${JSON.stringify(node.value)}`;
    case "compare": return `the comparison "${node.operator}"`;
    case "alternative": return `"//"`;
    case "variable": return `the variable "$${node.name}"`;
    case "location": return `"$__loc__"`;
    case "negate": return `"-"`;
    case "identity": return `"."`;
    default: return `"${node.type}"`;
  }
}
