/**
 * The syntax tree of a program in trailpost's jq subset. Each node is one jq
 * construct; comments say which jq syntax produces it. `at` is the offset of
 * the construct in the program text, where the parser knows it (for messages).
 *
 *   parseProgram(`{eventName, user: .userIdentity.arn}`).body
 *   // { type: "object", entries: [{ key: {type: "literal", value: "eventName"}, value: … }, …] }
 */

/** A JSON scalar written in the program: `null`, `true`, `false`, numbers, strings. */
export type Scalar = null | boolean | number | string;

export type ComparisonOperator = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** The builtins called through a `call` node (see builtins.ts, regex.ts and compile.ts). */
export type BuiltinName =
  | "length" | "keys" | "has" | "in" | "contains" | "startswith" | "endswith"
  | "ascii_downcase" | "ascii_upcase" | "tostring" | "tonumber" | "type"
  | "IN" | "any" | "all" | "map" | "test" | "match";

/** One `key: value` of an object construction; shorthands (`{a}`, `{$x}`, `{"a b"}`) are expanded. */
export interface ObjectEntry {
  readonly key: Node;
  readonly value: Node;
}

export type Node = (
  /** `.` */
  | { readonly type: "identity" }
  /** `42`, `"text"`, `true`, `false`, `null`, and `-42` (a negated literal is folded here). */
  | { readonly type: "literal"; readonly value: Scalar }
  /** `T.a`, `T."a"`, `T["a"]`, `T[0]`; with `?` the error of this one step is suppressed. */
  | { readonly type: "index"; readonly target: Node; readonly key: string | number; readonly optional: boolean }
  /** `T[]`, or `T[]?` which skips values that cannot be iterated. */
  | { readonly type: "iterate"; readonly target: Node; readonly optional: boolean }
  /** `A | B` */
  | { readonly type: "pipe"; readonly left: Node; readonly right: Node }
  /** `A, B` */
  | { readonly type: "comma"; readonly left: Node; readonly right: Node }
  /** `A and B` */
  | { readonly type: "and"; readonly left: Node; readonly right: Node }
  /** `A or B` */
  | { readonly type: "or"; readonly left: Node; readonly right: Node }
  /** `A // B` */
  | { readonly type: "alternative"; readonly left: Node; readonly right: Node }
  /** `A == B` and the other comparisons. */
  | { readonly type: "compare"; readonly operator: ComparisonOperator; readonly left: Node; readonly right: Node }
  /** `-T` */
  | { readonly type: "negate"; readonly operand: Node }
  /** `select(f)` */
  | { readonly type: "select"; readonly condition: Node }
  /** `not` */
  | { readonly type: "not" }
  /** `empty` */
  | { readonly type: "empty" }
  /** `[f]`, and `[]` (body null). */
  | { readonly type: "array"; readonly body: Node | null }
  /** `{a, "b c": f, (k): v, $x}` */
  | { readonly type: "object"; readonly entries: readonly ObjectEntry[] }
  /** `$name` */
  | { readonly type: "variable"; readonly name: string }
  /** `$__loc__`: `{"file":"<top-level>","line":N}` */
  | { readonly type: "location"; readonly line: number }
  /** `source as $name | body` */
  | { readonly type: "bind"; readonly source: Node; readonly name: string; readonly body: Node }
  /** `length`, `has(k)`, `test(re; flags)`, ...: a builtin with its arguments (closures, as in jq). */
  | { readonly type: "call"; readonly name: BuiltinName; readonly args: readonly Node[] }
) & { readonly at?: number };

/** A parsed program: its source text and syntax tree. Create with `parseProgram`. */
export interface Program {
  readonly source: string;
  readonly body: Node;
}
