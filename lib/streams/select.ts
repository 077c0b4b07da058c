/**
 * `jq -c '.Records[]'` for log objects: runs a program of trailpost's jq subset (lib/jq) over each object's JSON
 * and hands on every output, with exactly jq's values in jq's order.
 *
 * ```ts
 * objects.pipeThrough(gunzip()).pipeThrough(select(".Records[]")).pipeThrough(toBulk({ indexPrefix: "cloudtrail" }))
 * ```
 *
 * For `.Records[]` and `.Records[] | …` each record is found in the text and, when it is itself an output,
 * handed on as delivered (see cloudtrail/records.ts). Everything else is parsed and evaluated the general way.
 * An object that is not JSON, or fails the program (no `Records` array), is reported with its name and skipped;
 * outputs it produced before a runtime error are handed on first, as jq prints them.
 */
import { dumpValue } from "../jq/dump.ts";
import { forEachOutput, mayReorderKeys, parseJsonInOrder, parseProgram, type Node, type Program } from "../jq/mod.ts";
import { splitRecords, topLevelSpans } from "../cloudtrail/records.ts";
import type { Ledger } from "../ledger.ts";
import { ObjectError, message, readText, type LogObject } from "./log-object.ts";

/** One output of the program: its JSON text (one line), its value, and where it came from. */
export interface Selected {
  text: string;
  value: unknown;
  /** The object's name (`s3://bucket/key` or a path). */
  object: string;
  /** 1-based position among the object's outputs. */
  position: number;
}

export const DEFAULT_PROGRAM = ".Records[]";

export interface SelectOptions {
  /** Counts objects read and failed; failures are listed with their reasons. */
  ledger?: Ledger;
}

export function select(program: string | Program = DEFAULT_PROGRAM, options: SelectOptions = {}): TransformStream<LogObject, Selected> {
  const compiled = typeof program === "string" ? parseProgram(program) : program;
  const ledger = options.ledger;
  return new TransformStream({
    async transform(object, controller) {
      let text: string;
      try {
        text = await readText(object);
      } catch (error) {
        ledger?.objectFailed(object.name, error instanceof ObjectError ? error.reason : message(error));
        return;
      }
      if (ledger) {
        ledger.objects.read++;
        ledger.bytes.read += text.length;
      }
      let position = 0;
      try {
        selectFromText(text, compiled, (outputText, value) => {
          controller.enqueue({ text: outputText, value, object: object.name, position: ++position });
        });
      } catch (error) {
        const reason = describeFailure(error, compiled);
        if (ledger) ledger.objectFailed(object.name, reason);
        else throw new ObjectError(object.name, reason);
      }
    },
  });
}

/**
 * Runs the program over a file's text, calling `emit` with each output's JSON text and value. Throws a
 * SyntaxError for text that is not JSON, and jq's runtime errors after the outputs that came before them.
 */
export function selectFromText(text: string, program: Program, emit: (text: string, value: unknown) => void): void {
  const rest = afterRecords(program.body);
  // integer-like keys: JavaScript objects would reorder them, so parse keeping jq's document order
  const keepKeyOrder = mayReorderKeys(text);
  if (rest !== undefined) {
    const records = splitRecords(text);
    if (records) {
      if (rest === "identity") for (const r of records) emit(r.text, r.value);
      else {
        const restProgram: Program = { source: program.source, body: rest };
        for (const r of records) {
          const value = keepKeyOrder && mayReorderKeys(r.text) ? parseJsonInOrder(r.text) : r.value;
          forEachOutput(restProgram, value, (out) => emit(out === value ? r.text : dumpValue(out), out));
        }
      }
      return;
    }
  }
  let spans: [number, number][];
  try {
    spans = topLevelSpans(text);
  } catch {
    JSON.parse(text); // throws the engine's own description of what is wrong
    throw new SyntaxError("not valid JSON");
  }
  if (spans.length === 0) throw new SyntaxError("empty: no JSON value");
  for (const [start, end] of spans) {
    const span = text.slice(start, end);
    const value: unknown = keepKeyOrder ? parseJsonInOrder(span) : JSON.parse(span);
    forEachOutput(program, value, (out) => emit(dumpValue(out), out));
  }
}

/** `.Records[]` → "identity"; `.Records[] | f` → f; anything else → undefined. */
function afterRecords(body: Node): Node | "identity" | undefined {
  const isRecords = (n: Node) =>
    n.type === "iterate" && !n.optional && n.target.type === "index" && !n.target.optional && n.target.key === "Records" && n.target.target.type === "identity";
  if (isRecords(body)) return "identity";
  if (body.type !== "pipe") return undefined;
  // pipes may nest either way: find the leftmost stage, and rebuild the rest
  const stages: Node[] = [];
  const flatten = (n: Node): void => {
    if (n.type === "pipe") {
      flatten(n.left);
      flatten(n.right);
    } else stages.push(n);
  };
  flatten(body);
  if (!isRecords(stages[0]!)) return undefined;
  return stages.slice(1).reduceRight<Node | undefined>((right, left) => (right ? { type: "pipe", left, right } : left), undefined);
}

function describeFailure(error: unknown, program: Program): string {
  if (error instanceof SyntaxError) return `not valid JSON (${error.message})`;
  const text = message(error);
  if (program.source.trim() === DEFAULT_PROGRAM && /^Cannot (iterate over|index)/.test(text)) {
    return `no "Records" array, so not a CloudTrail log file (jq: ${text})`;
  }
  return `jq: error: ${text}`;
}
