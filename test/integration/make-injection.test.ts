/**
 * Values given to `make` are data: `make ingest DATE='2013-12-07; touch /tmp/x'` must not run `touch`, neither
 * through the shell of a recipe nor through make's own expansion (`$(shell …)`, `$(file …)`), whether the value
 * comes on the command line or from the environment. The real targets run: `make ingest` and `make bench`, which
 * refuse the value (the program exits 2 naming it) before doing any work. And a valid value still works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localStack, repoRoot, uniqueName } from "../support/stack.ts";
import { countDocuments } from "../support/run.ts";

const dir = mkdtempSync(join(tmpdir(), "trailpost-make-"));
const marker = join(dir, "injected");

/** Shapes of injection; M is replaced by the marker file's path. */
const SHAPES = [
  "2013-12-07; touch M",
  "2013-12-07 && touch M",
  "2013-12-07 | touch M",
  "2013-12-07\ntouch M",
  "$(touch M)",
  "`touch M`",
  "$$(touch M)",
  "$(shell touch M)",
  "${shell touch M}",
  "$(file >M,x)",
  "2013-12-07' ; touch M ; echo '",
  '2013-12-07" ; touch M ; echo "',
  "2013-12-07 --es-url http://127.0.0.1:9/ ; touch M #",
  "2013-12-07\\",
];

interface Run {
  code: number | null;
  stderr: string;
}

/** `make <target>` in the repository, with a clean make environment (also when run under `make test`). */
function make(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(MAKEFLAGS|MAKELEVEL|MFLAGS|MAKEOVERRIDES|DATE|FROM|TO|RECORDS|SEED|N)$/.test(k)) merged[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn("make", ["--no-print-directory", "-o", "node_modules", ...args], { cwd: repoRoot, env: { ...merged, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stdout.on("data", () => {});
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** Runs the jobs a few at a time: each starts Node, on a machine shared with other test runs. */
async function inBatches<T>(jobs: (() => Promise<T>)[], size = 3): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += size) out.push(...(await Promise.all(jobs.slice(i, i + size).map((j) => j()))));
  return out;
}

const cases: { variable: string; target: string; others: Record<string, string>; message: string; shapes: string[] }[] = [
  { variable: "DATE", target: "ingest", others: {}, message: "DATE must be a calendar day as YYYY-MM-DD", shapes: SHAPES },
  { variable: "FROM", target: "ingest", others: { TO: "2013-12-08" }, message: "FROM must be a calendar day as YYYY-MM-DD", shapes: SHAPES.slice(0, 9) },
  { variable: "TO", target: "ingest", others: { FROM: "2013-12-07" }, message: "TO must be a calendar day as YYYY-MM-DD", shapes: SHAPES.slice(0, 9) },
  { variable: "RECORDS", target: "bench", others: {}, message: "RECORDS must be a whole number from 1 to 10,000,000", shapes: SHAPES.slice(0, 9) },
];

for (const c of cases) {
  for (const channel of ["command line", "environment"] as const) {
    test(`make ${c.target} with ${c.variable} from the ${channel}: no injection shape runs anything; each is refused, named, exit 2`, async () => {
      const results = await inBatches(
        c.shapes.map((shape) => async () => {
          const value = shape.replaceAll("M", marker);
          const values = { ...c.others, [c.variable]: value };
          const run = channel === "command line" ? await make([c.target, ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]) : await make([c.target], values);
          return { shape, value, run, injected: existsSync(marker) };
        }),
      );
      for (const { shape, value, run, injected } of results) {
        assert.equal(injected, false, `${JSON.stringify(shape)} ran a command: ${run.stderr}`);
        assert.equal(run.code, 2, `${JSON.stringify(shape)}: ${run.stderr}`);
        assert.ok(run.stderr.includes(`${c.message}, not ${JSON.stringify(value)}`), `${JSON.stringify(shape)} not named: ${run.stderr}`);
        assert.match(run.stderr, new RegExp(`\\[Makefile:\\d+: ${c.target}\\] Error 2`), "the program itself exited 2");
      }
    });
  }
}

test("variables the recipe does not use are not expanded either (SEED, N, a port), on the command line", async () => {
  const run = await make(["ingest", "DATE=not-a-day", `SEED=$(shell touch ${marker})`, `N=$(file >${marker},x)`, `LOCALSTACK_PORT=\`touch ${marker}\``]);
  assert.equal(existsSync(marker), false, run.stderr);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /DATE must be a calendar day as YYYY-MM-DD, not "not-a-day"/);
});

test("no recipe names a value users give (DATE, FROM, TO, RECORDS, SEED, N): they travel in the environment only", () => {
  const lines = readFileSync(join(repoRoot, "Makefile"), "utf8").split("\n");
  const named = lines.filter((l) => !l.startsWith("#") && /\$[({](value\s+)?(DATE|FROM|TO|RECORDS|SEED|N)[)}\s,]/.test(l));
  assert.deepEqual(named, []);
});

test("make ingest DATE=2013-12-07 still runs the blog end to end", async () => {
  const stack = await localStack();
  const prefix = uniqueName("make-ingest");
  const run = await make(["ingest", "DATE=2013-12-07"], { INDEX_PREFIX: prefix });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /\[4\/5\] bulk/);
  assert.match(run.stderr, /bulk: 513 records read: 513 indexed/);
  assert.equal(await countDocuments(stack.search, `${prefix}-*`), 513);
  assert.equal(readdirSync(dir).length, 0);
  rmSync(dir, { recursive: true, force: true });
});

test("make bench RECORDS=0 reaches the benchmark, which refuses it before generating anything", async () => {
  const run = await make(["bench", "RECORDS=0"]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /RECORDS must be a whole number from 1 to [\d,]+, not "0"/);
});
