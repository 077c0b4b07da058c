/**
 * The syntax tree of a program in trailpost's jq subset. Each node is one jq
 * construct; comments say which jq syntax produces it.
 */

/** A JSON scalar written in the program: `null`, `true`, `false`, numbers, strings. */
export type Scalar = null | boolean | number | string;

export type ComparisonOperator = "==" | "!=" | "<" | "<=" | ">" | ">=";

export type Node =
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
  /** `A == B` and the other comparisons. */
  | { readonly type: "compare"; readonly operator: ComparisonOperator; readonly left: Node; readonly right: Node }
  /** `-T` */
  | { readonly type: "negate"; readonly operand: Node }
  /** `select(f)` */
  | { readonly type: "select"; readonly condition: Node }
  /** `not` */
  | { readonly type: "not" }
  /** `empty` */
  | { readonly type: "empty" };

/** A parsed program: its source text and syntax tree. Create with `parseProgram`. */
export interface Program {
  readonly source: string;
  readonly body: Node;
}
