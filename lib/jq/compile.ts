/**
 * Turns a syntax tree into closures once, so that running a program on each
 * input walks no tree and allocates little.
 *
 * Every node becomes a `Filter` that pushes its outputs, in jq's order, into an
 * `emit` callback; a runtime error is a thrown JqRuntimeError, which ends the
 * evaluation after the outputs already emitted (as jq does). Nodes that always
 * yield exactly one value (`.a.b`, literals, comparisons of such, ...) also get
 * a direct `single` function, which the common programs run on.
 *
 * Output order follows jq's bytecode: `A, B` all of A then all of B; `A | B`
 * depth-first; comparisons loop over the RIGHT operand outermost
 * (`(1,2) < (2,3)` gives true,false,true,true); `and`/`or` loop over the left
 * operand and evaluate the right one only when the left does not decide.
 */
import { index, iterate, iterationError, lookup, negate, NO_VALUE } from "./access.ts";
import type { ComparisonOperator, Node } from "./ast.ts";
import { compareValues, isTruthy, valuesEqual } from "./order.ts";

export type Emit = (value: unknown) => void;
export type Filter = (input: unknown, emit: Emit) => void;
export type SingleFilter = (input: unknown) => unknown;

export interface Compiled {
  /** Pushes every output for `input` into `emit`, in order. */
  readonly stream: Filter;
  /** Present when the node always yields exactly one value (or throws). */
  readonly single?: SingleFilter;
}

const COMPARE: Readonly<Record<ComparisonOperator, (left: unknown, right: unknown) => boolean>> = {
  "==": (l, r) => valuesEqual(l, r),
  "!=": (l, r) => !valuesEqual(l, r),
  "<": (l, r) => compareValues(l, r) < 0,
  "<=": (l, r) => compareValues(l, r) <= 0,
  ">": (l, r) => compareValues(l, r) > 0,
  ">=": (l, r) => compareValues(l, r) >= 0,
};

function fromSingle(single: SingleFilter): Compiled {
  return { single, stream: (input, emit) => emit(single(input)) };
}

/** Compiles a syntax tree into closures. */
export function compile(node: Node): Compiled {
  switch (node.type) {
    case "identity":
      return fromSingle((input) => input);
    case "literal": {
      const value = node.value;
      return fromSingle(() => value);
    }
    case "index":
      return compileIndex(compile(node.target), node.key, node.optional);
    case "iterate":
      return compileIterate(compile(node.target), node.optional);
    case "pipe":
      return compilePipe(compile(node.left), compile(node.right));
    case "comma": {
      const left = compile(node.left).stream;
      const right = compile(node.right).stream;
      return {
        stream: (input, emit) => {
          left(input, emit);
          right(input, emit);
        },
      };
    }
    case "and":
      return compileLogical(compile(node.left), compile(node.right), false);
    case "or":
      return compileLogical(compile(node.left), compile(node.right), true);
    case "compare":
      return compileComparison(compile(node.left), compile(node.right), COMPARE[node.operator]);
    case "negate": {
      const operand = compile(node.operand);
      const single = operand.single;
      if (single) return fromSingle((input) => negate(single(input)));
      const stream = operand.stream;
      return { stream: (input, emit) => stream(input, (value) => emit(negate(value))) };
    }
    case "select":
      return compileSelect(compile(node.condition));
    case "not":
      return fromSingle((input) => !isTruthy(input));
    case "empty":
      return { stream: () => {} };
    default:
      throw new TypeError(`not a jq syntax tree node: ${JSON.stringify(node satisfies never)}`);
  }
}

/** `T.key` / `T[key]`, and with `?` the lookup error of this one step yields nothing instead. */
function compileIndex(target: Compiled, key: string | number, optional: boolean): Compiled {
  const single = target.single;
  if (!optional) {
    if (single) return fromSingle((input) => index(single(input), key));
    const stream = target.stream;
    return { stream: (input, emit) => stream(input, (value) => emit(index(value, key))) };
  }
  const emitFound = (value: unknown, emit: Emit): void => {
    const found = lookup(value, key);
    if (found !== NO_VALUE) emit(found);
  };
  if (single) return { stream: (input, emit) => emitFound(single(input), emit) };
  const stream = target.stream;
  return { stream: (input, emit) => stream(input, (value) => emitFound(value, emit)) };
}

/** `T[]`, and `T[]?` which skips what cannot be iterated. */
function compileIterate(target: Compiled, optional: boolean): Compiled {
  const each = (container: unknown, emit: Emit): void => {
    if (!iterate(container, emit) && !optional) throw iterationError(container);
  };
  const single = target.single;
  if (single) return { stream: (input, emit) => each(single(input), emit) };
  const stream = target.stream;
  return { stream: (input, emit) => stream(input, (container) => each(container, emit)) };
}

function compilePipe(left: Compiled, right: Compiled): Compiled {
  const leftSingle = left.single;
  const rightSingle = right.single;
  if (leftSingle && rightSingle) return fromSingle((input) => rightSingle(leftSingle(input)));
  const rightStream = right.stream;
  if (leftSingle) return { stream: (input, emit) => rightStream(leftSingle(input), emit) };
  const leftStream = left.stream;
  if (rightSingle) return { stream: (input, emit) => leftStream(input, (value) => emit(rightSingle(value))) };
  return { stream: (input, emit) => leftStream(input, (value) => rightStream(value, emit)) };
}

/** jq evaluates the right operand first and loops over it outermost. */
function compileComparison(
  left: Compiled,
  right: Compiled,
  holds: (left: unknown, right: unknown) => boolean,
): Compiled {
  const leftSingle = left.single;
  const rightSingle = right.single;
  if (leftSingle && rightSingle) {
    return fromSingle((input) => {
      const r = rightSingle(input);
      return holds(leftSingle(input), r);
    });
  }
  const leftStream = left.stream;
  const rightStream = right.stream;
  if (rightSingle) {
    return {
      stream: (input, emit) => {
        const r = rightSingle(input);
        leftStream(input, (l) => emit(holds(l, r)));
      },
    };
  }
  return {
    stream: (input, emit) => rightStream(input, (r) => leftStream(input, (l) => emit(holds(l, r)))),
  };
}

/**
 * `A and B` (decidedBy = false) / `A or B` (decidedBy = true): for each output
 * of A, a falsy (for and) or truthy (for or) value decides at once; otherwise
 * every output of B contributes its truthiness.
 */
function compileLogical(left: Compiled, right: Compiled, decidedBy: boolean): Compiled {
  const leftSingle = left.single;
  const rightSingle = right.single;
  if (leftSingle && rightSingle) {
    return fromSingle((input) =>
      isTruthy(leftSingle(input)) === decidedBy ? decidedBy : isTruthy(rightSingle(input)));
  }
  const leftStream = left.stream;
  const rightStream = right.stream;
  return {
    stream: (input, emit) =>
      leftStream(input, (l) => {
        if (isTruthy(l) === decidedBy) emit(decidedBy);
        else rightStream(input, (r) => emit(isTruthy(r)));
      }),
  };
}

/** `select(f)`: the input once for every truthy output of f. */
function compileSelect(condition: Compiled): Compiled {
  const single = condition.single;
  if (single) {
    return {
      stream: (input, emit) => {
        if (isTruthy(single(input))) emit(input);
      },
    };
  }
  const stream = condition.stream;
  return {
    stream: (input, emit) =>
      stream(input, (value) => {
        if (isTruthy(value)) emit(input);
      }),
  };
}
