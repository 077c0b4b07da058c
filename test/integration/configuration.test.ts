/** Invalid configuration exits 2 with a clear message and runs nothing; secrets never appear in the output. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { localStack, uniqueName } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

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

test("secrets in the configuration never appear in the output", async () => {
  const secret = "s3cr3t-Pa55word-XYZ";
  const apiKey = "QXBpS2V5U2VjcmV0VmFsdWU=";
  const results = [
    await runScript("bulk.ts", [], { ES_URL: `http://elastic:${secret}@127.0.0.1:1/`, ES_API_KEY: apiKey, BULK_RETRIES: "0" }, { stdin: '{"eventTime":"2013-12-07T00:00:00Z","eventID":"a"}\n' }),
    await runScript("bulk.ts", [], { ES_URL: `notaurl://elastic:${secret}@host`, ES_PASSWORD: secret }),
    await runScript("ingest.ts", ["--date", "2013-12-07"], { CLOUDTRAIL_BUCKET: "trailpost-demo", AWS_ENDPOINT_URL: "http://127.0.0.1:1", AWS_ACCESS_KEY_ID: "AKIAEXAMPLEKEY", AWS_SECRET_ACCESS_KEY: secret, ES_URL: "http://127.0.0.1:1", ES_PASSWORD: secret, ES_USERNAME: "elastic" }),
  ];
  for (const r of results) {
    assert.notEqual(r.code, 0);
    assert.ok(!(r.stdout + r.stderr).includes(secret), `secret in output: ${r.stderr}`);
    assert.ok(!(r.stdout + r.stderr).includes(apiKey), `API key in output: ${r.stderr}`);
  }
});
