/**
 * Compiling calls of jq's builtins (`length`, `has(k)`, `IN(s)`, `any(g; c)`, `map(f)`, `test(re; flags)`, ...)
 * into closures, with jq 1.6's argument semantics: arguments are closures run on the call's input, and a
 * generator argument gives one result per value, the last argument outermost (`test(re; flags)` loops
 * over flags, then patterns). Where jq 1.6 and later versions answer differently on the data, a
 * JqVersionError stops the evaluation (see README.md).
 *
 *   compileCall("has", [compile(parseProgram(`"a"`).body)], nodes).single!({ a: 1 })   // true
 */
import { iterate, iterationError } from "./access.ts";
import type { BuiltinName, Node } from "./ast.ts";
import * as builtins from "./builtins.ts";
import { type Compiled, type Emit, fromSingle } from "./compile.ts";
import { JqRuntimeError, JqVersionError } from "./errors.ts";
import { isTruthy, kindName, valuesEqual } from "./order.ts";
import { regexFor, regexMatches, regexTest, RegexUnsupported, type JqRegex } from "./regex.ts";

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

export function compileCall(name: BuiltinName, args: readonly Compiled[], nodes: readonly Node[]): Compiled {
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
