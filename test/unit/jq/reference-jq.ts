/**
 * Runs the real jq binary (`$JQ`, default `jq` on PATH) as the reference for
 * the differential tests. Test-only code: it uses node:child_process.
 */
import { execFile, execFileSync } from "node:child_process";

export const JQ = process.env["JQ"] ?? "jq";

/** What running a program on one input produced: outputs, then possibly an error. */
export interface Outcome {
  readonly outputs: readonly unknown[];
  /** The runtime error message, if evaluation stopped with one. */
  readonly error?: string;
}

/** `jq --version`, or a thrown Error telling how to install jq. */
export function referenceVersion(): string {
  try {
    return execFileSync(JQ, ["--version"], { encoding: "utf8" }).trim();
  } catch (cause) {
    throw new Error(
      `the reference jq ("${JQ}") cannot be run: install jq: apt-get install -y jq ` +
        `(or point $JQ at a jq binary)`,
      { cause },
    );
  }
}

/** jq 1.6 and 1.7 word runtime errors alike; jq 1.8 changed several messages. */
export function messagesComparable(version: string): boolean {
  return /^jq-1\.[67](\.|$|rc)/.test(version);
}

interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    execFile(JQ, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(error);
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** jq 1.6 has no "--": a program starting with "-" would be read as an option. */
function programArgument(program: string): string {
  return program.startsWith("-") ? ` ${program}` : program;
}

function parseLines(stdout: string): unknown[] {
  return stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as unknown);
}

/**
 * `jq -c PROGRAM FILE`, exactly as a user would run it. Exit 0 is success,
 * exit 5 a runtime error whose message is taken from "jq: error (at F:N): MSG".
 * Anything else (3: does not compile) is returned as `{ code, stderr }`.
 */
export async function runDirect(
  program: string,
  file: string,
): Promise<Outcome | { readonly code: number; readonly stderr: string }> {
  const result = await run(["-c", programArgument(program), file]);
  if (result.code === 0) return { outputs: parseLines(result.stdout) };
  const match = /^jq: error \(at [^\n]*?:\d+\): ([\s\S]*?)\n?$/.exec(result.stderr);
  if (result.code === 5 && match) return { outputs: parseLines(result.stdout), error: match[1]! };
  return { code: result.code, stderr: result.stderr };
}

/**
 * Runs `program` on many input files with one jq process (jq 1.6 takes ~40 ms
 * to start): `(try ((PROGRAM) | {ok: .}) catch {error: .}), {end: true}`.
 * For each input jq yields the program's outputs, the message of the error that
 * stopped it (try/catch stops the body exactly where the CLI would stop), and a
 * marker. `runDirect` on a sample of the same pairs checks this agrees with the CLI.
 */
export async function runBatch(program: string, files: readonly string[]): Promise<Outcome[]> {
  const wrapper = `(try ((${program}) | {ok: .}) catch {error: .}), {end: true}`;
  const result = await run(["-c", wrapper, ...files]);
  if (result.code !== 0) {
    throw new Error(`jq exited ${result.code} on ${JSON.stringify(wrapper)}: ${result.stderr}`);
  }
  const outcomes: Outcome[] = [];
  let outputs: unknown[] = [];
  let error: string | undefined;
  for (const line of parseLines(result.stdout) as Array<{ ok?: unknown; error?: unknown; end?: true }>) {
    if ("ok" in line) outputs.push(line.ok);
    else if ("error" in line) error = String(line.error);
    else {
      outcomes.push(error === undefined ? { outputs } : { outputs, error });
      outputs = [];
      error = undefined;
    }
  }
  if (outcomes.length !== files.length) {
    throw new Error(`expected ${files.length} results from jq, got ${outcomes.length}: ${result.stdout}`);
  }
  return outcomes;
}

/** `jq -n PROGRAM`: the exit code (3 when it does not compile). */
export async function compileStatus(program: string): Promise<ProcessResult> {
  return run(["-n", programArgument(program)]);
}

/** Runs `task` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
