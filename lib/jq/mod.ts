/**
 * trailpost's jq subset: a selector language with exactly jq's semantics.
 *
 * Supported: `.`, `.a`, `."a b"`, `.["a"]`, `.[]`, `.[n]` (negative counts from
 * the end), `?` directly after those steps, `|`, `,`, parentheses, `select(f)`,
 * `==` `!=` `<` `<=` `>` `>=`, `and`, `or`, `not`, `empty`, unary `-`, and
 * literals (`null`, `true`, `false`, numbers, JSON strings).
 *
 * Everything else is rejected by `parseProgram` with a JqSyntaxError that names
 * the construct, including the places where jq 1.6, 1.7 and 1.8 disagree (so an
 * accepted program means the same in all of them): `?` after anything but an
 * index/iterate step, non-integer indices, `.e1`-style field names, number
 * literals with more than 15 significant digits, comments, `\r`, empty programs.
 *
 * Runtime error messages are jq 1.6/1.7's (`Cannot iterate over null (null)`,
 * `Cannot index number with string "a"`); jq 1.8 words some differently.
 *
 * Known limits of the value model (values are what `JSON.parse` returns):
 * - `.[]` on an object yields values in JavaScript's key order, which puts
 *   integer-like keys ("0", "42") first in numeric order, unless the value was
 *   parsed with `parseJsonInOrder` (json.ts), which records jq's document order;
 *   lib/streams/select.ts does that for any text with such keys.
 * - numbers are doubles: jq 1.7+ compares number literals of the input text in
 *   decimal, so inputs with more than 15 significant digits (or beyond the
 *   double range) can compare differently there.
 * - strings with lone UTF-16 surrogates cannot come from input jq accepts.
 */
export type { Node, Program, Scalar, ComparisonOperator } from "./ast.ts";
export { JqRuntimeError, JqSyntaxError, JqVersionError } from "./errors.ts";
export { parseProgram } from "./parse.ts";
export { evaluate, forEachOutput } from "./evaluate.ts";
export { compareValues, isTruthy, valuesEqual } from "./order.ts";
export { documentKeyOrder, mayReorderKeys, parseJsonInOrder } from "./json.ts";
export { dumpValue } from "./dump.ts";
export { recordsProblem } from "./passthrough.ts";
