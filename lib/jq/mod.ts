/**
 * trailpost's jq subset: a selector language with exactly jq 1.6's semantics.
 *
 *   const program = parseProgram(`.Records[] | {eventTime, eventName, user: .userIdentity.arn}`);
 *   forEachOutput(program, JSON.parse(text), (value) => console.log(dumpValue(value)));
 *
 * Supported: paths (`.a`, `."a b"`, `.["a"]`, `.[]`, `.[n]`, `?` after those), `|`, `,`, `//`, comparisons,
 * `and`/`or`/`not`, unary `-`, literals, `[...]`, `{...}`, `T as $x | ...`, `$__loc__`, and the builtins
 * `select empty length keys has in contains startswith endswith ascii_downcase ascii_upcase tostring
 * tonumber type IN any all map test match` (regular expressions: the syntax Oniguruma and JavaScript read
 * alike, flags "g" and "i"). README.md has the details.
 *
 * Everything else is rejected by `parseProgram` with a JqSyntaxError naming the construct, including every
 * construct that jq 1.6 and later versions read differently. Where they differ on the data, evaluation
 * stops with a JqVersionError instead of answering for one version.
 *
 * Runtime error messages are jq 1.6's (`Cannot iterate over null (null)`,
 * `Cannot index number with string "a"`); jq 1.8 words some differently.
 *
 * Known limits of the value model (values are what `JSON.parse` returns):
 * - `.[]` on an object yields values in JavaScript's key order, which puts
 *   integer-like keys ("0", "42") first in numeric order, unless the value was
 *   parsed with `parseJsonInOrder` (json.ts), which records jq's document order;
 *   lib/streams/select.ts does that for any text with such keys.
 * - numbers are doubles: jq 1.7+ compares number literals of the input text in
 *   decimal and keeps their spelling in `tostring`; here they behave as in jq 1.6.
 * - strings with lone UTF-16 surrogates cannot come from input jq accepts.
 */
export type { BuiltinName, ComparisonOperator, Node, ObjectEntry, Program, Scalar } from "./ast.ts";
export { JqRuntimeError, JqSyntaxError, JqVersionError } from "./errors.ts";
export { parseProgram } from "./parse.ts";
export { evaluate, forEachOutput } from "./evaluate.ts";
export { compareValues, isTruthy, valuesEqual } from "./order.ts";
export { documentKeyOrder, mayReorderKeys, parseJsonInOrder } from "./json.ts";
export { dumpValue } from "./dump.ts";
export { recordsProblem } from "./passthrough.ts";
