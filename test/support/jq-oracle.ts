/**
 * The real jq (`$JQ`, default `jq` on PATH, 1.6 here) as the reference for the splitter's tests.
 *
 *   jqParse(["01", "[1,]"])   // [{ text: "1" }, { error: "Expected another array element at line 1, column 4" }]
 *   jqFile(".Records[]", "x.json")   // { lines: ['{"a":1}'], status: 0, stderr: "" }
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const JQ = process.env.JQ ?? "jq";

export type Parsed = { text: string; error?: undefined } | { error: string; text?: undefined };

/**
 * How jq parses each input as one JSON text (`fromjson`, jq's own parser): its `jq -c` text, or the parse error.
 * One jq process for all of them; inputs must not contain a newline.
 */
export function jqParse(inputs: readonly string[]): Parsed[] {
  for (const input of inputs) if (input.includes("\n")) throw new Error(`jqParse: an input holds a newline: ${JSON.stringify(input)}`);
  const dir = mkdtempSync(join(tmpdir(), "trailpost-jq-"));
  try {
    const file = join(dir, "inputs.txt");
    writeFileSync(file, inputs.map((i) => i + "\n").join(""));
    const out = execFileSync(JQ, ["-R", "-c", "try [fromjson] catch {error: .}", file], { encoding: "utf8", maxBuffer: 1 << 28 });
    const lines = out.split("\n");
    lines.pop();
    if (lines.length !== inputs.length) throw new Error(`jqParse: ${inputs.length} inputs but ${lines.length} answers`);
    return lines.map((line) => {
      if (line.startsWith("[")) return { text: line.slice(1, -1) };
      const error = (JSON.parse(line) as { error: string }).error;
      return { error: error.replace(/ \(while parsing .*\)$/s, "") };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `jq -c PROGRAM FILE`: output lines, exit status, stderr. */
export function jqFile(program: string, file: string): { lines: string[]; status: number; stderr: string } {
  const result = spawnSync(JQ, ["-c", program, file], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (result.error) throw result.error;
  const lines = result.stdout.split("\n");
  lines.pop();
  return { lines, status: result.status ?? -1, stderr: result.stderr };
}
