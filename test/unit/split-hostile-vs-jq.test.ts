/**
 * split equals `jq -c` on hostile log files: seeded, generated, each compared with the real jq run on that file
 * alone. Records with duplicate keys at any depth (also spelled "a" and "\u0061"), integer-like keys, escapes,
 * lone low surrogate escapes, numbers beyond 2^53 and the double range, numbers only jq reads (01, NaN), pretty
 * printing, Records not first, repeated or not an array, several top-level values, and broken files.
 *
 * Every output line must be the same JSON value as jq's, with the same keys in the same order and no key twice;
 * in files whose numbers and escapes are spelled as jq spells them, the same bytes. A file fails exactly when jq
 * fails on it, for the same reason. Then split.ts itself, under Node and Deno, over the same files.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { test } from "node:test";
import { parseProgram } from "../../lib/jq/mod.ts";
import { selectFromText } from "../../lib/streams/select.ts";
import { hostileCorpus } from "../support/hostile-json.ts";
import { JQ } from "../support/jq-oracle.ts";
import { assertSameJsonLine } from "../support/json-keys.ts";
import { repoRoot } from "../support/stack.ts";

const run = promisify(execFile);
const FILES = 60;
const PROGRAMS = [".Records[]", '.Records[] | select(.eventName != "b") | .eventID', "."];

interface HostileFile {
  path: string;
  text: string;
  /** Numbers and escapes spelled as jq spells them: our output must be jq's, byte for byte. */
  canonical: boolean;
}

const dir = mkdtempSync(join(tmpdir(), "trailpost-hostile-"));
mkdirSync(join(dir, "files"));
const files: HostileFile[] = hostileCorpus(20240304, FILES).map((f, i) => {
  const path = join(dir, "files", `${String(i).padStart(4, "0")}.json`);
  writeFileSync(path, f.text);
  return { path, ...f };
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Duplicate keys, every way: our lines are jq's, byte for byte. */
const DUPLICATES: [string, string][] = [
  ["a duplicate key: its first position, its last value", '{"Records":[{"b":1,"a":2,"b":3}]}'],
  ["duplicates at any depth", '{"Records":[{"a":{"x":1,"x":{"y":1,"y":[{"z":1,"z":2}]}},"b":[{"c":1,"c":2}]}]}'],
  ["the same key spelled with an escape", '{"Records":[{"a":1,"\\u0061":2},{"\\u0061":1,"a":{"\\u0062":1,"b":2}}]}'],
  ["integer-like keys", '{"Records":[{"1":1,"0":2,"1":3,"b":{"10":1,"2":2,"10":3}}]}'],
  ["a surrogate pair, escaped and raw", '{"Records":[{"\\ud83d\\ude00":1,"😀":2}]}'],
  ["an empty key twice", '{"Records":[{"":1,"":2}]}'],
  ["a value replaced by an object", '{"Records":[{"a":1,"a":{"b":2,"b":3}}]}'],
  ["Records twice", '{"Records":[{"a":1}],"Records":[{"b":2,"b":3}]}'],
  ["pretty-printed", '{\n  "Records": [\n    {\n      "a": 1,\n      "a": "x y"\n    }\n  ]\n}'],
];

test(`records with duplicate keys are printed as jq -c prints them, byte for byte (${DUPLICATES.length} cases)`, async () => {
  const caseDir = join(dir, "duplicates");
  mkdirSync(caseDir);
  for (const source of [".Records[]", ".Records[] | select(. != null)"]) {
    for (const [what, text] of DUPLICATES) {
      const path = join(caseDir, "x.json");
      writeFileSync(path, text);
      const theirs = await jqAsync(source, path);
      const ours: string[] = [];
      selectFromText(text, parseProgram(source), (line) => ours.push(line));
      assert.deepEqual(ours, theirs.lines, `${source}: ${what}`);
    }
  }
});

for (const source of PROGRAMS) {
  test(`split --select '${source}' equals jq -c on ${FILES} hostile files, each alone`, async () => {
    const program = parseProgram(source);
    const jq = await jqOnAll(source);
    let outputs = 0;
    let failures = 0;
    files.forEach((file, i) => {
      const theirs = jq[i]!;
      const ours: string[] = [];
      let error: unknown;
      try {
        selectFromText(file.text, program, (text) => ours.push(text));
      } catch (e) {
        error = e;
      }
      const what = `${file.path}`;
      assert.equal(ours.length, theirs.lines.length, `${what}: jq printed ${theirs.lines.length} lines, we ${ours.length} (jq: ${theirs.error ?? "ok"}; ours: ${String(error ?? "ok")})`);
      ours.forEach((line, k) => {
        assertSameJsonLine(line, theirs.lines[k]!, `${what} line ${k + 1}`);
        if (file.canonical) assert.equal(line, theirs.lines[k], `${what} line ${k + 1}: jq's bytes`);
      });
      assert.equal(error !== undefined, theirs.error !== undefined, `${what}: fails as jq does (jq: ${theirs.error ?? "ok"}; ours: ${String(error ?? "ok")})`);
      // our first error is jq's first: a parse error, or the same runtime error
      if (error instanceof SyntaxError) assert.match(theirs.error!, /^parse error: /, `${what}: we found a parse error (${error.message}), jq ${theirs.error}`);
      else if (error) {
        const first = theirs.error!.split("\n")[0]!;
        assert.ok(first.startsWith(`jq: error (at ${file.path}:`) && first.endsWith(`): ${(error as Error).message}`), `${what}: jq says ${first}, we ${(error as Error).message}`);
      }
      outputs += ours.length;
      failures += +(error !== undefined);
    });
    assert.ok(outputs > FILES / 2, `the files have outputs (${outputs})`);
    assert.ok(failures > 3 && failures < FILES / 2, `some files fail, most do not (${failures})`);
  });
}

for (const [runtime, workers] of [["node", "auto"], ["deno", "auto"], ["node", "2"], ["deno", "3"]] as const) {
  test(`split.ts under ${runtime}${workers === "auto" ? "" : ` with ${workers} worker threads`} prints what jq prints for every file, and names each file jq refuses`, async () => {
    const script = join(repoRoot, "scripts", "split.ts");
    const [command, args] = runtime === "node" ? [process.execPath, ["--import", "tsx", script]] : [join(repoRoot, "node_modules", ".bin", "deno"), ["run", "-A", "--quiet", script]];
    let stdout = "";
    let stderr = "";
    let code = 0;
    try {
      ({ stdout, stderr } = await run(command, [...args, join(dir, "files")], { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, WORKERS: workers } }));
    } catch (error) {
      ({ stdout, stderr } = error as { stdout: string; stderr: string });
      code = (error as { code: number }).code;
    }
    const expected: string[] = [];
    const refused: string[] = [];
    const jq = await jqOnAll(".Records[]");
    files.forEach((file, i) => {
      expected.push(...jq[i]!.lines);
      if (jq[i]!.error) refused.push(file.path);
    });
    const ours = lines(stdout);
    assert.equal(ours.length, expected.length, "as many lines as jq");
    ours.forEach((line, k) => assertSameJsonLine(line, expected[k]!, `line ${k + 1}`));
    assert.equal(code, 1, "exit 1: some files failed");
    const named = [...stderr.matchAll(/^split: FAILED (\S+): /gm)].map((m) => m[1]);
    assert.deepEqual(named, refused.slice(0, 50), "the files jq refuses are named (the first 50)");
    if (refused.length > 50) assert.match(stderr, new RegExp(`… and ${refused.length - 50} more failures`));
    assert.match(stderr, new RegExp(`split: ${FILES} files, [\\d,]+ lines out; failed ${refused.length}\\n`));
  });
}

test("split.ts --out DIR with WORKERS=2 writes each file's lines as jq prints them for that file (--out runs in one thread)", async () => {
  const out = join(dir, "out");
  const script = join(repoRoot, "scripts", "split.ts");
  let code = 0;
  try {
    await run(process.execPath, ["--import", "tsx", script, "--out", out, join(dir, "files")], { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, WORKERS: "2" } });
  } catch (error) {
    code = (error as { code: number }).code;
  }
  assert.equal(code, 1, "exit 1: some files failed");
  const jq = await jqOnAll(".Records[]");
  let compared = 0;
  files.forEach((file, i) => {
    if (jq[i]!.error) return;
    const path = join(out, `${basename(file.path, ".json")}.ndjson`);
    const ours = existsSync(path) ? lines(readFileSync(path, "utf8")) : [];
    assert.equal(ours.length, jq[i]!.lines.length, `${path}: as many lines as jq prints for ${file.path}`);
    ours.forEach((line, k) => assertSameJsonLine(line, jq[i]!.lines[k]!, `${path} line ${k + 1}`));
    compared += ours.length;
  });
  assert.ok(compared > FILES / 2, `lines compared: ${compared}`);
});

const jqRuns = new Map<string, Promise<{ lines: string[]; error: string | undefined }[]>>();

/** jq on every file, each alone (once per program). */
function jqOnAll(program: string): Promise<{ lines: string[]; error: string | undefined }[]> {
  let runs = jqRuns.get(program);
  if (!runs) jqRuns.set(program, (runs = inBatches(files, 2, (f) => jqAsync(program, f.path))));
  return runs;
}

/** `jq -c PROGRAM FILE`: its lines, and its error (jq 1.6 exits 0 when only an earlier value of the file failed). */
async function jqAsync(program: string, file: string): Promise<{ lines: string[]; error: string | undefined }> {
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run(JQ, ["-c", program, file], { encoding: "utf8", maxBuffer: 1 << 26 }));
  } catch (error) {
    ({ stdout, stderr } = error as { stdout: string; stderr: string });
  }
  return { lines: lines(stdout), error: stderr.trim() || undefined };
}

function lines(stdout: string): string[] {
  const out = stdout.split("\n");
  out.pop();
  return out;
}

async function inBatches<T, R>(items: T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}
