/**
 * Invalid configuration exits 2 with a clear message and runs nothing; secrets never appear in the output. Secrets
 * can come from files; a secret given as a flag, or sent over plain http to another host, is warned about once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { localStack, uniqueName } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";
import { TEST_SECRETS } from "../support/secrets.ts";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { networkInterfaces, tmpdir } from "node:os";
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

test("a folder with nothing to read (a wrong day's folder) exits 2 naming it, in each step script that reads files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-nothing-"));
  try {
    writeFileSync(join(dir, "notes.txt"), "not a log file\n");
    for (const [script, what] of [["gunzip.ts", /no \.gz files under/], ["split.ts", /no \.json or \.json\.gz files under/], ["bulk.ts", /no NDJSON files under/]] as const) {
      const result = await runScript(script, [dir], { ES_URL: "http://127.0.0.1:1" });
      assert.equal(result.code, 2, `${script}: ${result.stderr}`);
      assert.match(result.stderr, what, script);
      assert.ok(result.stderr.includes(dir), `${script} names ${dir}: ${result.stderr}`);
      assert.equal(result.stdout, "", script);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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

/**
 * A proxy in front of the real engine that requires the given Authorization header (401 otherwise), listening on
 * `host`: the credentials really have to arrive for a record to land.
 */
async function authProxy(upstreamUrl: string, authorization: string, host = "127.0.0.1"): Promise<{ url: string; refused: () => number; close: () => Promise<void> }> {
  const upstream = new URL(upstreamUrl);
  let refused = 0;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== authorization) {
      refused++;
      res.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}');
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://${host}:${port}`, refused: () => refused, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const record = '{"eventTime":"2024-03-04T12:00:00Z","eventID":"from-a-file","eventName":"GetObject"}\n';
const warningLines = (stderr: string) => stderr.split("\n").filter((l) => l.includes("warning:"));

test("ES_API_KEY_FILE and ES_PASSWORD_FILE (and their flags): the secret is read from the file, a trailing newline dropped, and never printed", async () => {
  const stack = await localStack();
  const dir = mkdtempSync(join(tmpdir(), "trailpost-secret-files-"));
  const { password, apiKey } = TEST_SECRETS;
  const keyFile = join(dir, "api-key");
  const passwordFile = join(dir, "password");
  writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
  writeFileSync(passwordFile, `${password}\r\n`, { mode: 0o600 });
  const keyProxy = await authProxy(stack.search, `ApiKey ${apiKey}`);
  const passwordProxy = await authProxy(stack.search, basic("elastic", password));
  try {
    const runs = [
      [keyProxy, await runScript("bulk.ts", [], { ES_URL: keyProxy.url, ES_API_KEY_FILE: keyFile, INDEX_PREFIX: uniqueName("keyfile") }, { stdin: record })],
      [keyProxy, await runScript("bulk.ts", ["--es-api-key-file", keyFile], { ES_URL: keyProxy.url, INDEX_PREFIX: uniqueName("keyflag") }, { stdin: record })],
      [passwordProxy, await runScript("bulk.ts", [], { ES_URL: passwordProxy.url, ES_USERNAME: "elastic", ES_PASSWORD_FILE: passwordFile, INDEX_PREFIX: uniqueName("pwfile") }, { stdin: record })],
      [passwordProxy, await runScript("bulk.ts", [`--es-password-file=${passwordFile}`, "--es-username", "elastic"], { ES_URL: passwordProxy.url, INDEX_PREFIX: uniqueName("pwflag") }, { stdin: record, runtime: "deno" })],
    ] as const;
    for (const [, r] of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /1 record read: 1 indexed/);
      assert.deepEqual(warningLines(r.stderr), [], "a file is the safe way: no warning");
      for (const [name, value] of Object.entries(TEST_SECRETS)) assert.ok(!(r.stdout + r.stderr).includes(value), `${name} in output`);
    }
    assert.equal(keyProxy.refused() + passwordProxy.refused(), 0, "every request carried the secret of the file");
    // and the proxy does refuse a wrong secret: the file's content is what made the difference
    writeFileSync(keyFile, "wrong\n");
    const wrong = await runScript("bulk.ts", [], { ES_URL: keyProxy.url, ES_API_KEY_FILE: keyFile, INDEX_PREFIX: uniqueName("wrong") }, { stdin: record });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /401/);
  } finally {
    await keyProxy.close();
    await passwordProxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("secret files that cannot be used exit 2 naming the variable and the path, before anything runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-secret-files-"));
  const empty = join(dir, "empty");
  writeFileSync(empty, "\n");
  try {
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{ ES_API_KEY_FILE: join(dir, "missing") }, [], new RegExp(`ES_API_KEY_FILE: cannot read ${join(dir, "missing")} \\(no such file\\)`)],
      [{ ES_PASSWORD_FILE: empty, ES_USERNAME: "elastic" }, [], new RegExp(`ES_PASSWORD_FILE: ${empty} is empty`)],
      [{ ES_PASSWORD_FILE: dir }, [], /ES_PASSWORD_FILE: cannot read .* \(a directory\)/],
      [{ ES_API_KEY: TEST_SECRETS.apiKey }, ["--es-api-key-file", empty], /give ES_API_KEY or ES_API_KEY_FILE, not both/],
    ];
    for (const [env, args, message] of cases) {
      const r = await runScript("bulk.ts", args, { ES_URL: "http://127.0.0.1:9", ...env }, { stdin: record });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /127\.0\.0\.1:9/, "nothing was sent");
      assert.ok(!r.stderr.includes(TEST_SECRETS.apiKey));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An address of this machine that is not loopback, for a plain-http target the warning is about. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
}

test("a secret as a flag, and credentials over plain http to another host: each warned about exactly once per run, blog.ts and its steps included", async (t) => {
  const host = externalAddress();
  if (!host) return t.skip("no non-loopback IPv4 address here");
  const stack = await localStack();
  const { password } = TEST_SECRETS;
  const proxy = await authProxy(stack.search, basic("elastic", password), host);
  const cwd = mkdtempSync(join(tmpdir(), "trailpost-warn-"));
  try {
    const bulk = await runScript("bulk.ts", ["--es-password", password], { ES_URL: proxy.url, ES_USERNAME: "elastic", INDEX_PREFIX: uniqueName("warn") }, { stdin: record });
    const prefix = uniqueName("warn-blog");
    const blog = await runScript("blog.ts", ["--date", "2013-12-07", "--es-password", password], { ES_URL: proxy.url, ES_USERNAME: "elastic", INDEX_PREFIX: prefix, CLOUDTRAIL_BUCKET: undefined, DATE: undefined }, { cwd });
    for (const [name, r] of [["bulk", bulk], ["blog", blog]] as const) {
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(warningLines(r.stderr), [
        "warning: --es-password on the command line is visible to other users of this machine (ps); set ES_PASSWORD or ES_PASSWORD_FILE instead",
        `warning: ES_URL is plain http:// to ${host}:${new URL(proxy.url).port}: the password would cross the network unencrypted; use https://`,
      ], name);
      assert.ok(!(r.stdout + r.stderr).includes(password), `${name}: the password in the output`);
    }
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 513);
    assert.equal(proxy.refused(), 0);
    // the same over loopback, with the password from the environment: no warning at all
    const quiet = await runScript("bulk.ts", [], { ES_URL: stack.search, ES_USERNAME: "elastic", ES_PASSWORD: password, INDEX_PREFIX: uniqueName("quiet") }, { stdin: record });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.deepEqual(warningLines(quiet.stderr), []);
  } finally {
    await proxy.close();
    rmSync(cwd, { recursive: true, force: true });
  }
});
