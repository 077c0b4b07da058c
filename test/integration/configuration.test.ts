/** Invalid configuration exits 2 with a clear message and runs nothing; secrets never appear in the output. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { localStack, uniqueName } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";
import { TEST_SECRETS } from "../support/secrets.ts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cases: { name: string; env: Record<string, string>; message: RegExp; scripts?: string[] }[] = [
  { name: "DATE=2013-13-45", env: { DATE: "2013-13-45" }, message: /DATE must be a calendar day as YYYY-MM-DD, not "2013-13-45"/ },
  { name: "DATE='x; rm -rf ~'", env: { DATE: "x; rm -rf ~" }, message: /DATE must be a calendar day as YYYY-MM-DD, not "x; rm -rf ~"/ },
  { name: "ES_URL=notaurl", env: { DATE: "2013-12-07", ES_URL: "notaurl" }, message: /ES_URL must be an http\(s\) URL, not "notaurl"/, scripts: ["ingest.ts", "bulk.ts", "blog.ts"] },
  { name: "CLOUDTRAIL_BUCKET='x; rm -rf ~'", env: { DATE: "2013-12-07", CLOUDTRAIL_BUCKET: "x; rm -rf ~" }, message: /CLOUDTRAIL_BUCKET must be an S3 bucket name/ },
  { name: "FROM after TO", env: { FROM: "2013-12-08", TO: "2013-12-07" }, message: /FROM \(2013-12-08\) is after TO \(2013-12-07\)/ },
];

for (const c of cases) {
  test(`${c.name}: every script exits 2 and runs nothing`, async () => {
    const stack = await localStack();
    const prefix = uniqueName("badconfig");
    const env = { CLOUDTRAIL_BUCKET: "trailpost-demo", AWS_ENDPOINT_URL: stack.aws, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", ES_URL: stack.search, INDEX_PREFIX: prefix, ...c.env };
    for (const script of c.scripts ?? ["ingest.ts", "copy.ts", "blog.ts"]) {
      const result = await runScript(script, [], env);
      assert.equal(result.code, 2, `${script}: ${result.stderr}`);
      assert.match(result.stderr, c.message, script);
    }
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 0);
  });
}

test("bulk: ES_URL that is not a URL exits 2 before reading input", async () => {
  const result = await runScript("bulk.ts", [], { ES_URL: "notaurl" }, { stdin: '{"eventTime":"2013-12-07T00:00:00Z"}\n' });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /ES_URL must be an http\(s\) URL/);
});

test("secrets in the configuration never appear in the output or in dead-letter files", async () => {
  const stack = await localStack();
  const dir = mkdtempSync(join(tmpdir(), "trailpost-secrets-"));
  const deadLetters = join(dir, "dead.ndjson");
  const { password, apiKey, awsSecretAccessKey, awsSessionToken } = TEST_SECRETS;
  const aws = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEKEY", AWS_SECRET_ACCESS_KEY: awsSecretAccessKey, AWS_SESSION_TOKEN: awsSessionToken };
  // one record lands, one cannot be placed (no eventTime) and is dead-lettered
  const records = '{"eventTime":"2013-12-07T00:00:00Z","eventID":"lands"}\n{"eventID":"no-time"}\n';
  const engine = new URL(stack.search);
  const prefix = uniqueName("secrets");
  try {
    const runs = [
      await runScript("bulk.ts", [], { ES_URL: `http://elastic:${password}@${engine.host}/`, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: deadLetters }, { stdin: records }),
      await runScript("bulk.ts", [], { ES_URL: stack.search, ES_API_KEY: apiKey, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: deadLetters }, { stdin: records }),
      await runScript("bulk.ts", [], { ES_URL: stack.search, ES_AWS_SIGV4: "es", ...aws, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: deadLetters }, { stdin: records }),
      await runScript("bulk.ts", [], { ES_URL: `http://elastic:${password}@127.0.0.1:9/`, ES_API_KEY: apiKey }, { stdin: records }),
      await runScript("bulk.ts", [], { ES_URL: `notaurl://elastic:${password}@host`, ES_PASSWORD: password }),
      await runScript("ingest.ts", ["--date", "2013-12-07"], { CLOUDTRAIL_BUCKET: "trailpost-demo", AWS_ENDPOINT_URL: "http://127.0.0.1:9", ...aws, ES_URL: stack.search, ES_PASSWORD: password, ES_USERNAME: "elastic", INDEX_PREFIX: prefix }),
    ];
    for (const r of runs) {
      assert.notEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /127\.0\.0\.1:\d+|notaurl/, `the target is named, so a leak would show: ${r.stderr}`);
      for (const [name, value] of Object.entries(TEST_SECRETS)) assert.ok(!(r.stdout + r.stderr).includes(value), `${name} in output: ${r.stderr}`);
    }
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 1, "the authenticated and signed runs reached the engine");
    const letters = readFileSync(deadLetters, "utf8").trim().split("\n");
    assert.equal(letters.length, 3, "each of the three runs dead-lettered its record without eventTime");
    for (const [name, value] of Object.entries(TEST_SECRETS)) assert.ok(!letters.join("\n").includes(value), `${name} in the dead-letter file`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
