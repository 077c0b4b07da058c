/**
 * split equals `jq -c` on every fixture file: the demo bucket (2013), the awkward day's readable log files, and a
 * generated day in today's shape, for a corpus of supported programs. Each output line must parse to the same
 * JSON value as jq's line, in the same order, with jq's keys in jq's order and none twice (number spelling may
 * differ: records keep the delivered spelling). Hostile files: split-hostile-vs-jq.test.ts. And split.ts itself, run
 * as a user runs it over the demo bucket, prints the same records as `gzip -dc | jq -c .Records[]`.
 * Projections (values the program builds) are compared as text too: split prints them byte for byte as jq 1.6.
 * ingest refuses projections (exit 2, naming the construct and suggesting split.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
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
  ".Records[] | {eventTime, eventName, user: .userIdentity.arn}",
  ".Records[] | {eventName, \"source ip\": .sourceIPAddress, rp: .requestParameters}",
  ".Records[] | [.eventTime, .eventName, .awsRegion, (.resources | length)]",
  ".Records[] | select(.eventName | test(\"^(Run|Terminate|Describe)Instances\")) | .eventID // .eventTime",
  ".Records[] | select(.eventSource | IN(\"ec2.amazonaws.com\", \"iam.amazonaws.com\")) | {eventSource, eventName}",
  ".Records[] | select(has(\"errorCode\")) | {eventName, errorCode}",
  ".Records[] | select(.userIdentity.arn // \"\" | endswith(\"root\")) | .eventName",
  ".Records[] | .userIdentity.type // \"none\" | ascii_downcase",
  ".Records[] | select(.resources // [] | any(.type == \"AWS::S3::Object\")) | .eventID",
  ".Records[] | . as $r | {t: $r.eventTime, keys: (keys | length)}",
  "[.Records[] | .eventName] | length",
  ".Records | map(.eventName) | length",
  ".Records[] | .requestParameters | tostring",
];

/** Programs whose outputs are built by the program: split prints them exactly as jq 1.6's jq -c does. */
const PROJECTIONS = PROGRAMS.filter((p) => /[{[]|tostring|ascii_downcase|length/.test(p.replace(/^\.Records\[\]/, "")) && !p.startsWith("(.Records"));

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

for (const source of PROJECTIONS) {
  test(`split --select '${source}' prints jq -c's text, byte for byte`, () => {
    const lines: string[] = [];
    for (const file of files) selectFromText(readFileSync(file, "utf8"), parseProgram(source), (text) => lines.push(text));
    const theirs = execFileSync(jq, ["-c", source, ...files], { encoding: "utf8", maxBuffer: 1 << 28 }).split("\n").filter(Boolean);
    assert.equal(lines.length, theirs.length, "same number of outputs");
    for (let i = 0; i < lines.length; i++) assert.equal(lines[i], theirs[i], `output ${i + 1}`);
  });
}

test("split.ts prints a projection over the demo bucket as jq -c does; ingest refuses it (exit 2, naming it)", () => {
  const program = ".Records[] | {eventTime, eventName, user: .userIdentity.arn}";
  const ours = execFileSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "split.ts"), "--select", program, demo], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const gz = (readdirSync(demo, { recursive: true }) as string[]).filter((f) => f.endsWith(".json.gz")).sort().map((f) => join(demo, f));
  const theirs = execFileSync("sh", ["-c", `gzip -dc "$@" | ${jq} -c '${program}'`, "sh", ...gz], { encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(ours, theirs);
  assert.equal(ours.trim().split("\n").length, 513);

  const ingest = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "ingest.ts"), "--bucket", "trailpost-demo", "--date", "2013-12-07", "--select", program], {
    encoding: "utf8", env: { ...process.env, ES_URL: "http://127.0.0.1:9", AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
  });
  assert.equal(ingest.status, 2, ingest.stderr);
  assert.match(ingest.stderr, /^ingest: --select: this program's outputs are not whole CloudTrail records/);
  assert.match(ingest.stderr, /object construction "\{\.\.\.\}" at column 14/);
  assert.ok(ingest.stderr.includes(`use split.ts --select '${program}'`), ingest.stderr);
  assert.equal(ingest.stdout, "");
});

test("split.ts over the demo bucket prints what gzip -dc | jq -c .Records[] prints", () => {
  const ours = execFileSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "split.ts"), demo], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const gz = (readdirSync(demo, { recursive: true }) as string[]).filter((f) => f.endsWith(".json.gz")).sort().map((f) => join(demo, f));
  const theirs = execFileSync("sh", ["-c", `gzip -dc "$@" | ${jq} -c '.Records[]'`, "sh", ...gz], { encoding: "utf8", maxBuffer: 1 << 28 });
  const a = ours.trim().split("\n");
  const b = theirs.trim().split("\n");
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assertSameJsonLine(a[i]!, b[i]!, `line ${i + 1}`);
});
