/**
 * Reader for jq's own test-suite format (jqlang/jq tests/jq.test), following
 * jq's runner (src/jq_test.c): a case is a program line, an input line, and the
 * expected outputs up to the next blank or comment line; `%%FAIL` (and
 * `%%FAIL IGNORE MSG`) introduce a program that must not compile, followed by
 * its error message lines.
 */

export interface RunCase {
  readonly kind: "run";
  /** 1-based line of the program in the file. */
  readonly line: number;
  readonly program: string;
  /** The input line as written (one JSON text, possibly with a byte order mark). */
  readonly input: string;
  /** The expected outputs, one JSON text each. */
  readonly expected: readonly string[];
}

export interface CompileFailureCase {
  readonly kind: "fail";
  readonly line: number;
  readonly program: string;
  readonly messageLines: readonly string[];
}

export type SuiteCase = RunCase | CompileFailureCase;

/** jq_test.c's skipline: blank after spaces/tabs, or a comment. */
function isSeparator(line: string): boolean {
  const rest = line.replace(/^[ \t]*/, "");
  return rest === "" || rest.startsWith("#");
}

export function parseJqTestFile(text: string): SuiteCase[] {
  const lines = text.split("\n");
  const cases: SuiteCase[] = [];
  let i = 0;
  let mustFail = false;
  const takeBlock = (): string[] => {
    const block: string[] = [];
    while (i < lines.length && !isSeparator(lines[i]!)) block.push(lines[i++]!);
    i++; // the separator itself
    return block;
  };
  while (i < lines.length) {
    const line = lines[i]!;
    i++;
    if (isSeparator(line)) continue;
    if (line === "%%FAIL" || line === "%%FAIL IGNORE MSG") {
      mustFail = true;
      continue;
    }
    const programLine = i;
    if (mustFail) {
      mustFail = false;
      cases.push({ kind: "fail", line: programLine, program: line, messageLines: takeBlock() });
      continue;
    }
    if (i >= lines.length) break;
    const input = lines[i]!;
    i++;
    cases.push({ kind: "run", line: programLine, program: line, input, expected: takeBlock() });
  }
  return cases;
}
