/**
 * Running a parsed program on one input. The program is compiled to closures
 * on first use and cached, so evaluating it per CloudTrail record is cheap.
 */
import type { Program } from "./ast.ts";
import { compile, type Compiled, type Emit } from "./compile.ts";

const compiledPrograms = new WeakMap<Program, Compiled>();

function compiledFor(program: Program): Compiled {
  let compiled = compiledPrograms.get(program);
  if (compiled === undefined) {
    compiled = compile(program.body);
    compiledPrograms.set(program, compiled);
  }
  return compiled;
}

/**
 * Yields the outputs of `program` for `input`, in jq's order. When jq would stop
 * with an error, the outputs produced before it are yielded first and then the
 * JqRuntimeError is thrown from the generator.
 *
 * `input` must be a value as `JSON.parse` produces it; it is never modified, and
 * the outputs are (parts of) it, not copies.
 */
export function* evaluate(program: Program, input: unknown): Generator<unknown> {
  const compiled = compiledFor(program);
  if (compiled.single) {
    yield compiled.single(input);
    return;
  }
  const outputs: unknown[] = [];
  try {
    compiled.stream(input, (value) => {
      outputs.push(value);
    });
  } catch (error) {
    yield* outputs;
    throw error;
  }
  yield* outputs;
}

/**
 * The fastest way to run a program: calls `emit` with each output, in jq's order,
 * as soon as it is produced. A runtime error is thrown after the outputs emitted so far.
 */
export function forEachOutput(program: Program, input: unknown, emit: Emit): void {
  compiledFor(program).stream(input, emit);
}
