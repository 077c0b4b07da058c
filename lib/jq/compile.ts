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
import type { ComparisonOperator, Node, ObjectEntry } from "./ast.ts";
import { compileCall } from "./calls.ts";
import { dumpTruncated } from "./dump.ts";
import { JqRuntimeError } from "./errors.ts";
import { buildObject } from "./json.ts";
import { compareValues, kindName, isTruthy, valuesEqual } from "./order.ts";

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

/** A filter with exactly one output, given as a function. */
export function fromSingle(single: SingleFilter): Compiled {
  return { single, stream: (input, emit) => emit(single(input)) };
}

/** A variable's current value, shared by the closures of its binding and its uses. */
interface Cell {
  value: unknown;
}
type Scope = ReadonlyMap<string, Cell>;

const NO_SCOPE: Scope = new Map();

/** Compiles a syntax tree into closures. */
export function compile(node: Node, scope: Scope = NO_SCOPE): Compiled {
  const compile_ = (child: Node): Compiled => compile(child, scope);
  switch (node.type) {
    case "identity":
      return fromSingle((input) => input);
    case "literal": {
      const value = node.value;
      return fromSingle(() => value);
    }
    case "index":
      return compileIndex(compile_(node.target), node.key, node.optional);
    case "iterate":
      return compileIterate(compile_(node.target), node.optional);
    case "pipe":
      return compilePipe(compile_(node.left), compile_(node.right));
    case "comma": {
      const left = compile_(node.left).stream;
      const right = compile_(node.right).stream;
      return {
        stream: (input, emit) => {
          left(input, emit);
          right(input, emit);
        },
      };
    }
    case "and":
      return compileLogical(compile_(node.left), compile_(node.right), false);
    case "or":
      return compileLogical(compile_(node.left), compile_(node.right), true);
    case "compare":
      return compileComparison(compile_(node.left), compile_(node.right), COMPARE[node.operator]);
    case "negate": {
      const operand = compile_(node.operand);
      const single = operand.single;
      if (single) return fromSingle((input) => negate(single(input)));
      const stream = operand.stream;
      return { stream: (input, emit) => stream(input, (value) => emit(negate(value))) };
    }
    case "select":
      return compileSelect(compile_(node.condition));
    case "not":
      return fromSingle((input) => !isTruthy(input));
    case "empty":
      return { stream: () => {} };
    case "alternative":
      return compileAlternative(compile_(node.left), compile_(node.right));
    case "array":
      return compileArray(node.body === null ? undefined : compile_(node.body));
    case "object":
      return compileObject(node.entries, compile_);
    case "variable": {
      const cell = scope.get(node.name);
      if (cell === undefined) throw new TypeError(`unbound variable $${node.name}`);
      return fromSingle(() => cell.value);
    }
    case "location": {
      const line = node.line;
      return fromSingle(() => ({ file: "<top-level>", line }));
    }
    case "bind": {
      const cell: Cell = { value: null };
      const inner = new Map(scope);
      inner.set(node.name, cell);
      return compileBind(compile_(node.source), compile(node.body, inner), cell);
    }
    case "call":
      return compileCall(node.name, node.args.map(compile_), node.args);
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

/** `A // B`: the truthy outputs of A as they come; B only when A had none. Errors in A are not caught. */
function compileAlternative(left: Compiled, right: Compiled): Compiled {
  const leftSingle = left.single;
  const rightSingle = right.single;
  if (leftSingle && rightSingle) {
    return fromSingle((input) => {
      const value = leftSingle(input);
      return isTruthy(value) ? value : rightSingle(input);
    });
  }
  const leftStream = left.stream;
  const rightStream = right.stream;
  return {
    stream: (input, emit) => {
      let found = false;
      leftStream(input, (value) => {
        if (!isTruthy(value)) return;
        found = true;
        emit(value);
      });
      if (!found) rightStream(input, emit);
    },
  };
}

/** `[f]`: every output of f, or `[]`. */
function compileArray(body: Compiled | undefined): Compiled {
  if (body === undefined) return fromSingle(() => []);
  const stream = body.stream;
  return fromSingle((input) => {
    const items: unknown[] = [];
    stream(input, (value) => {
      items.push(value);
    });
    return items;
  });
}

/** `{k: v, ...}`: one object per combination of the keys' and values' outputs, first entry outermost. */
function compileObject(entries: readonly ObjectEntry[], compileChild: (node: Node) => Compiled): Compiled {
  const compiled = entries.map((entry) => ({ key: compileChild(entry.key), value: compileChild(entry.value) }));
  const fixedKeys = entries.map((entry) => (entry.key.type === "literal" && typeof entry.key.value === "string" ? entry.key.value : undefined));
  if (fixedKeys.every((key) => key !== undefined) && compiled.every((entry) => entry.value.single)) {
    const keys = fixedKeys as string[];
    const values = compiled.map((entry) => entry.value.single!);
    return fromSingle((input) => buildObject(keys, values.map((value) => value(input))));
  }
  const keys: string[] = [];
  const values: unknown[] = [];
  const build = (position: number, input: unknown, emit: Emit): void => {
    if (position === compiled.length) {
      emit(buildObject(keys, values));
      return;
    }
    const { key, value } = compiled[position]!;
    key.stream(input, (name) => {
      value.stream(input, (item) => {
        if (typeof name !== "string") {
          throw new JqRuntimeError(`Cannot use ${kindName(name)} (${dumpTruncated(name)}) as object key`);
        }
        keys.push(name);
        values.push(item);
        try {
          build(position + 1, input, emit);
        } finally {
          keys.pop();
          values.pop();
        }
      });
    });
  };
  return { stream: (input, emit) => build(0, input, emit) };
}

/** `source as $name | body`: the body once per output of source, with the variable set to it. */
function compileBind(source: Compiled, body: Compiled, cell: Cell): Compiled {
  const sourceSingle = source.single;
  const bodySingle = body.single;
  const run = (value: unknown, input: unknown, emit: Emit): void => {
    const saved = cell.value;
    cell.value = value;
    try {
      body.stream(input, emit);
    } finally {
      cell.value = saved;
    }
  };
  if (sourceSingle && bodySingle) {
    return fromSingle((input) => {
      const saved = cell.value;
      cell.value = sourceSingle(input);
      try {
        return bodySingle(input);
      } finally {
        cell.value = saved;
      }
    });
  }
  const sourceStream = source.stream;
  return { stream: (input, emit) => sourceStream(input, (value) => run(value, input, emit)) };
}
