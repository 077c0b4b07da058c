/**
 * --out targets: relative paths kept, and two inputs writing one output (or an output that is an input) refused
 * with both named, before anything is written. The scripts' exit code and untouched output are checked too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ConfigError } from "../../../lib/config.ts";
import { outputPaths } from "../../../scripts/runtime/output-paths.ts";

const toNdjson = (rel: string) => `${rel.replace(/\.json(\.gz)?$/, "")}.ndjson`;

test("paths relative to the directory they were found in, or the file's name", () => {
  const targets = outputPaths(
    [
      { path: "in/a/x.json.gz", root: "in" },
      { path: "in/b/x.json", root: "in" },
      { path: "other/y.json", root: "other/y.json" },
    ],
    "out",
    toNdjson,
  );
  assert.deepEqual([...targets], [
    ["in/a/x.json.gz", "out/a/x.ndjson"],
    ["in/b/x.json", "out/b/x.ndjson"],
    ["other/y.json", "out/y.ndjson"],
  ]);
});

const collisions: [string, { path: string; root: string }[]][] = [
  ["x.json beside x.json.gz", [{ path: "d/x.json", root: "d" }, { path: "d/x.json.gz", root: "d" }]],
  ["two files of one name given by themselves", [{ path: "d1/x.json", root: "d1/x.json" }, { path: "d2/x.json", root: "d2/x.json" }]],
  ["two directories holding the same names", [{ path: "d1/a/x.json", root: "d1" }, { path: "d2/a/x.json", root: "d2" }]],
  ["one name by two spellings of the output", [{ path: "d1/x.json", root: "d1" }, { path: "d2/sub/../x.json", root: "d2/sub/.." }]],
];
for (const [name, files] of collisions) {
  test(`refused: ${name}`, () => {
    assert.throws(() => outputPaths(files, "out", toNdjson), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 1);
      assert.match(error.problems[0]!, new RegExp(`${escape(files[1]!.path)} and ${escape(files[0]!.path)} would both be written to out/`));
      return true;
    });
  });
}

test("refused: an output that is one of the inputs", () => {
  const files = [{ path: "d/x.ndjson.json", root: "d" }, { path: "d/x.ndjson", root: "d" }];
  assert.throws(() => outputPaths(files, "d", (rel) => rel.replace(/\.json$/, "")), /d\/x\.ndjson\.json would be written to d\/x\.ndjson, which is one of the inputs/);
});

for (const script of ["split.ts", "gunzip.ts"]) {
  test(`${script} --out with two inputs of one name: exit 2, both named, nothing written`, () => {
    const dir = mkdtempSync(join(tmpdir(), "trailpost-out-"));
    try {
      for (const [sub, id] of [["d1", "a"], ["d2", "b"]] as const) {
        mkdirSync(join(dir, sub, "x"), { recursive: true });
        writeFileSync(join(dir, sub, "x", "log.json.gz"), gzipSync(`{"Records":[{"eventID":"${id}"}]}`));
      }
      const out = join(dir, "out");
      const run = spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}`, join(dir, "d1"), join(dir, "d2"), "--out", out], { encoding: "utf8" });
      assert.equal(run.status, 2, run.stderr);
      assert.ok(run.stderr.includes(`${join(dir, "d2", "x", "log.json.gz")} and ${join(dir, "d1", "x", "log.json.gz")} would both be written to ${out}/x/log.`), run.stderr);
      assert.equal(existsSync(out), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
