/**
 * split equals `jq -c` on every fixture file: the demo bucket (2013), the awkward day's readable log files, and a
 * generated day in today's shape, for a corpus of supported programs. Each output line must parse to the same
 * JSON value as jq's line, in the same order, with jq's keys in jq's order and none twice (number spelling may
 * differ: records keep the delivered spelling). Hostile files: split-hostile-vs-jq.test.ts. And split.ts itself, run
 * as a user runs it over the demo bucket, prints the same records as `gzip -dc | jq -c .Records[]`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseProgram } from "../../lib/jq/mod.ts";
import { selectFromText } from "../../lib/streams/select.ts";
import { awkwardDay } from "../../fixtures/awkward.ts";
import { generateDayJson } from "../../fixtures/generate.ts";
import { assertSameJsonLine } from "../support/json-keys.ts";
import { repoRoot } from "../support/stack.ts";

const jq = process.env.JQ ?? "jq";
const PROGRAMS = [
  ".Records[]",
  ".Records[] | select(.eventName == \"RunInstances\")",
  ".Records[].eventName",
  ".Records[] | .userIdentity.type",
  ".Records[] | select(.errorCode != null) | .errorCode",
  ".Records[] | select(.readOnly == false and .eventSource == \"ec2.amazonaws.com\")",
  ".Records[] | select(.eventTime >= \"2013-12-07T06:00:00Z\" or .eventVersion > \"1.08\") | .eventID",
  ".Records[] | .requestParameters",
  ".Records[] | .resources[]?",
  ".Records[] | .userIdentity | .sessionContext?.attributes?.mfaAuthenticated",
  ".Records[-1]",
  ".Records[] | select(.responseElements | not) | .eventName, .awsRegion",
  "(.Records | length)?, .Records[0].eventTime",
];

const dir = mkdtempSync(join(tmpdir(), "trailpost-split-jq-"));
const files: string[] = [];
const demo = join(repoRoot, "fixtures", "demo-bucket");
for (const f of (readdirSync(demo, { recursive: true }) as string[]).filter((f) => f.endsWith(".json.gz")).sort()) {
  const path = join(dir, `demo-${files.length}.json`);
  writeFileSync(path, gunzipSync(readFileSync(join(demo, f))));
  files.push(path);
}
for (const o of awkwardDay().objects.filter((o) => o.kind === "log" || o.kind === "empty-records")) {
  const path = join(dir, `awkward-${files.length}.json`);
  writeFileSync(path, gunzipSync(o.body));
  files.push(path);
}
for (const f of generateDayJson({ date: "2024-03-04", records: 3000, seed: 3 })) {
  const path = join(dir, `generated-${files.length}.json`);
  writeFileSync(path, f.json);
  files.push(path);
}

test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const source of PROGRAMS) {
  test(`split --select '${source}' equals jq -c on all ${files.length} fixture files`, (t) => {
    let program;
    try {
      program = parseProgram(source);
    } catch (error) {
      // outside the subset: the parser must say so, and jq is not consulted
      assert.match((error as Error).message, /unsupported|not supported|outside/i);
      t.diagnostic(`rejected: ${(error as Error).message}`);
      return;
    }
    const ours: string[] = [];
    for (const file of files) selectFromText(readFileSync(file, "utf8"), program, (text) => ours.push(text));
    const theirs = execFileSync(jq, ["-c", source, ...files], { encoding: "utf8", maxBuffer: 1 << 28 }).split("\n").filter(Boolean);
    assert.equal(ours.length, theirs.length, "same number of outputs");
    for (let i = 0; i < ours.length; i++) assertSameJsonLine(ours[i]!, theirs[i]!, `output ${i + 1}`);
    assert.ok(ours.length > 0 || source.includes("RunInstances"), `${source} produced outputs`);
  });
}

test("split.ts over the demo bucket prints what gzip -dc | jq -c .Records[] prints", () => {
  const ours = execFileSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "split.ts"), demo], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const gz = (readdirSync(demo, { recursive: true }) as string[]).filter((f) => f.endsWith(".json.gz")).sort().map((f) => join(demo, f));
  const theirs = execFileSync("sh", ["-c", `gzip -dc "$@" | ${jq} -c '.Records[]'`, "sh", ...gz], { encoding: "utf8", maxBuffer: 1 << 28 });
  const a = ours.trim().split("\n");
  const b = theirs.trim().split("\n");
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assertSameJsonLine(a[i]!, b[i]!, `line ${i + 1}`);
});
