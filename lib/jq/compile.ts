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
import type { BuiltinName, ComparisonOperator, Node, ObjectEntry } from "./ast.ts";
import * as builtins from "./builtins.ts";
import { dumpTruncated } from "./dump.ts";
import { JqRuntimeError, JqVersionError } from "./errors.ts";
import { buildObject } from "./json.ts";
import { compareValues, kindName, isTruthy, valuesEqual } from "./order.ts";
import { regexFor, regexMatches, regexTest, RegexUnsupported, type JqRegex } from "./regex.ts";

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

type Unary = (input: unknown) => unknown;
type Binary = (input: unknown, argument: unknown) => unknown;

const UNARY: Partial<Record<BuiltinName, Unary>> = {
  length: builtins.length,
  keys: builtins.keys,
  ascii_downcase: builtins.asciiDowncase,
  ascii_upcase: builtins.asciiUpcase,
  tostring: builtins.toString,
  tonumber: builtins.toNumber,
  type: builtins.typeOf,
};

const BINARY: Partial<Record<BuiltinName, Binary>> = {
  has: builtins.has,
  contains: builtins.contains,
  startswith: builtins.startsWith,
  endswith: builtins.endsWith,
};

/** `.[]`, the generator of `any`, `all` and `map` without one. */
const ITERATE: Compiled = {
  stream: (input, emit) => {
    if (!iterate(input, emit)) throw iterationError(input);
  },
};

function compileCall(name: BuiltinName, args: readonly Compiled[], nodes: readonly Node[]): Compiled {
  const unary = UNARY[name];
  if (unary) return fromSingle(unary);
  const binary = BINARY[name];
  if (binary) return withArgument(args[0]!, binary);
  switch (name) {
    case "in":
      // def in(xs): . as $x | xs | has($x);
      return withArgument(args[0]!, (input, container) => builtins.has(container, input));
    case "map": {
      const f = args[0]!.stream;
      return fromSingle((input) => {
        const items: unknown[] = [];
        const push = (value: unknown): void => {
          items.push(value);
        };
        if (!iterate(input, (element) => f(element, push))) throw iterationError(input);
        return items;
      });
    }
    case "IN":
      return args.length === 1 ? compileIn(args[0]!) : compileInSource(args[0]!, args[1]!, nodes[1]!);
    case "any":
    case "all": {
      const generator = args.length === 2 ? args[0]! : ITERATE;
      const condition = args.length === 0 ? undefined : args[args.length - 1]!;
      return compileQuantifier(generator, condition, name === "any");
    }
    case "test":
    case "match":
      return compileRegex(args, name === "test");
    default:
      throw new TypeError(`not a builtin of the subset: ${name}`);
  }
}

/** A function of the input and one argument, once per output of the argument. */
function withArgument(argument: Compiled, apply: Binary): Compiled {
  const single = argument.single;
  if (single) return fromSingle((input) => apply(input, single(input)));
  const stream = argument.stream;
  return { stream: (input, emit) => stream(input, (value) => emit(apply(input, value))) };
}

/** Thrown through a generator's emit to stop it; each evaluation makes its own. */
class Stop {}

/** `IN(s)` (jq 1.6: `first(select(. == s))`): whether some output of s equals the input, stopping at the first. */
function compileIn(source: Compiled): Compiled {
  const stream = source.stream;
  const matches = (input: unknown, candidateInput: unknown): boolean => {
    const stop = new Stop();
    try {
      stream(candidateInput, (value) => {
        if (valuesEqual(input, value)) throw stop;
      });
    } catch (error) {
      if (error === stop) return true;
      throw error;
    }
    return false;
  };
  return fromSingle((input) => matches(input, input));
}

/**
 * `IN(src; s)` as jq 1.6 defines it: `reduce (src | IN(s)) as $v (false; . or $v)`, which runs all of src
 * (jq 1.7 stops at the first match: when src fails after a match, 1.6 fails and 1.7 answers true, so that
 * is refused). s does not read the input here (the parser ensures it): jq 1.6 feeds it each output of src,
 * jq 1.7 the input.
 */
function compileInSource(source: Compiled, candidates: Compiled, _node: Node): Compiled {
  const member = compileIn(candidates).single!;
  const stream = source.stream;
  return fromSingle((input) => {
    let found = false;
    try {
      stream(input, (value) => {
        if (member(value)) found = true;
      });
    } catch (error) {
      if (found && error instanceof JqRuntimeError) throw afterAnswer("IN", error);
      throw error;
    }
    return found;
  });
}

/**
 * `any(g; c)` / `all(g; c)` as jq 1.6 runs them (a foreach with a label): the answer is known at the first
 * element whose condition is truthy (any) or falsy (all); jq 1.6 still asks the generator for one more
 * element before it stops, so an error there is raised, where jq 1.7 stops at once and answers: that case
 * is refused. The condition yields at most one value (the parser ensures it), where the versions agree.
 */
function compileQuantifier(generator: Compiled, condition: Compiled | undefined, isAny: boolean): Compiled {
  const stream = generator.stream;
  const test = condition?.stream;
  return fromSingle((input) => {
    let decided = false;
    /** An element whose condition gave no value: after one, jq 1.6's all() ignores later false answers and errors. */
    let silent = false;
    const stop = new Stop();
    let answered = false;
    const decide = (value: unknown): void => {
      answered = true;
      if (isTruthy(value) !== isAny) return;
      if (silent && !isAny) throw afterSilent();
      decided = true;
    };
    try {
      stream(input, (element) => {
        if (decided) throw stop;
        answered = false;
        if (test) test(element, decide);
        else decide(element);
        if (!answered) silent = true;
      });
    } catch (error) {
      if (error === stop) return isAny;
      if (!(error instanceof JqRuntimeError) || error instanceof JqVersionError) throw error;
      if (decided) throw afterAnswer(isAny ? "any" : "all", error);
      if (silent && !isAny) throw afterSilent(error);
      throw error;
    }
    return isAny ? decided : !decided;
  });
}

/**
 * jq 1.6's all() goes wrong once the condition gave no value for an element: it ignores the later answers
 * and some errors (`all(.[]; .x?)` on `[1, {"x": null}]` is true in 1.6, false in 1.7+).
 */
function afterSilent(error?: JqRuntimeError): JqVersionError {
  return new JqVersionError(
    `all: the condition gave no value for an element, and jq 1.6 then ignores later false answers and errors ` +
      `(all(.[]; .x?) on [1, {"x": null}] is true in 1.6, false in 1.7+)` +
      (error ? ` and this error: ${error.message}` : "") +
      `; trailpost does not pick one: make the condition give a value for every element, as in (.x? // null)`,
  );
}

/** A generator failed after any/all/IN knew its answer: jq 1.6 reports the error, jq 1.7+ the answer. */
function afterAnswer(name: string, error: JqRuntimeError): JqVersionError {
  return new JqVersionError(
    `${name}: the answer was known when the generator failed (${error.message}); jq 1.6 reports that error, ` +
      `jq 1.7+ the answer, and trailpost does not pick one`,
  );
}

/**
 * `test` and `match`, 1 or 2 arguments, as jq 1.6's builtin.jq defines them over `_match_impl(re; flags; test)`:
 * the one-argument form takes a string or a [re, flags] array; with two, the flags loop outermost.
 */
function compileRegex(args: readonly Compiled[], isTest: boolean): Compiled {
  const run = (input: unknown, pattern: unknown, flags: unknown, emit: Emit): void => {
    const regex = regexOf(input, pattern, flags, !isTest);
    if (isTest) emit(regexTest(regex, input as string));
    else for (const found of regexMatches(regex, input as string)) emit(found);
  };
  if (args.length === 2) {
    const patterns = args[0]!.stream;
    const flagses = args[1]!.stream;
    return { stream: (input, emit) => flagses(input, (flags) => patterns(input, (pattern) => run(input, pattern, flags, emit))) };
  }
  const values = args[0]!.stream;
  return {
    stream: (input, emit) =>
      values(input, (value) => {
        if (typeof value === "string") run(input, value, null, emit);
        else if (Array.isArray(value) && value.length > 1) run(input, value[0], value[1], emit);
        else if (Array.isArray(value) && value.length > 0) run(input, value[0], null, emit);
        else throw new JqRuntimeError(`${kindName(value)} not a string or array`);
      }),
  };
}

/** jq 1.6's f_match checks, in its order, then the compiled pattern. */
function regexOf(input: unknown, pattern: unknown, flags: unknown, forMatch: boolean): JqRegex {
  if (typeof input !== "string") throw builtins.typeError(input, "cannot be matched, as it is not a string");
  if (typeof pattern !== "string") throw builtins.typeError(pattern, "is not a string");
  if (typeof flags === "string") {
    if ([...flags].some((flag) => !"gixmspln".includes(flag))) throw new JqRuntimeError(`${flags} is not a valid modifier string`);
  } else if (flags !== null) {
    throw builtins.typeError(flags, "is not a string");
  }
  try {
    return regexFor(pattern, flags as string | null, forMatch);
  } catch (error) {
    if (error instanceof RegexUnsupported) {
      throw new JqVersionError(`unsupported in trailpost's jq subset: ${error.message}`);
    }
    throw error;
  }
}
