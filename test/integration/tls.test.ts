/**
 * ES_CA_CERT: an engine behind TLS with a certificate from a private CA is trusted when the CA is given, and refused
 * with a clear error when not, under Node and under Deno. The engine is the real local one, behind a TLS-terminating
 * proxy with a throwaway CA made by openssl. Under Node, trusting it makes the script run itself again with
 * NODE_EXTRA_CA_CERTS: that happens once, before any work, so every step runs and prints once; a
 * NODE_EXTRA_CA_CERTS the user had stays trusted too (S3 behind a second proxy, signed by a second CA).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localStack, repoRoot, uniqueName, type TestStack } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

const dir = mkdtempSync(join(tmpdir(), "trailpost-tls-"));
let stack: TestStack;
let server: Server;
let s3Server: Server;
let url: string;
let s3Url: string;
const ca = join(dir, "ca.pem");
const otherCa = join(dir, "other-ca.pem");
const record = '{"eventTime":"2024-03-04T12:00:00Z","eventID":"tls-1","eventName":"GetObject"}\n';

before(async () => {
  stack = await localStack();
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  execFileSync("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf"], { cwd: dir });
  for (const name of ["ca", "other-ca"]) {
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "1", "-subj", `/CN=trailpost test ${name}`);
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}-server.key`, "-out", `${name}-server.csr`, "-subj", "/CN=127.0.0.1");
    run("x509", "-req", "-in", `${name}-server.csr`, "-CA", `${name}.pem`, "-CAkey", `${name}.key`, "-CAcreateserial", "-out", `${name}-server.pem`, "-days", "1", "-extfile", "ext.cnf");
  }
  [server, url] = await tlsProxy(stack.search, "ca");
  [s3Server, s3Url] = await tlsProxy(stack.aws, "other-ca");
});

/** A TLS-terminating proxy on 127.0.0.1 to `upstream`, with the server certificate of the named CA. */
async function tlsProxy(upstreamUrl: string, caName: string): Promise<[Server, string]> {
  const upstream = new URL(upstreamUrl);
  const proxy = createServer({ key: readFileSync(join(dir, `${caName}-server.key`)), cert: readFileSync(join(dir, `${caName}-server.pem`)) }, (req, res) => {
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  assert.ok(address && typeof address === "object", "the proxy listens");
  return [proxy, `https://127.0.0.1:${address.port}`];
}

after(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await new Promise((resolve) => s3Server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, "gm"))?.length ?? 0;

for (const [runtime, how] of [["node", "env"], ["node", "flag"], ["deno", "env"]] as const) {
  test(`${runtime}: make ingest's blog.ts with ES_CA_CERT (${how === "env" ? "environment" : "--es-ca-cert"}) runs every step once, and the day lands`, async () => {
    const prefix = uniqueName(`tls-blog-${runtime}`);
    const cwd = mkdtempSync(join(tmpdir(), "trailpost-tls-blog-"));
    try {
      const env = { ES_URL: url, INDEX_PREFIX: prefix, NODE_EXTRA_CA_CERTS: undefined, CLOUDTRAIL_BUCKET: undefined, DATE: undefined, ES_CA_CERT: how === "env" ? ca : undefined };
      const result = await runScript("blog.ts", ["--date", "2013-12-07", ...(how === "flag" ? ["--es-ca-cert", ca] : [])], env, { runtime, cwd });
      assert.equal(result.code, 0, result.stderr);
      for (const step of [/^\[1\/5\] copy/, /^\[2\/5\] gunzip/, /^\[3\/5\] split/, /^\[4\/5\] bulk/, /^\[5\/5\] report/, /^copy: 84 log objects/, /^bulk: 513 records read: 513 indexed/, /^documents per index/, /^top 10 eventName/]) {
        assert.equal(count(result.stderr, step), 1, `${step} printed ${count(result.stderr, step)} times:\n${result.stderr}`);
      }
      assert.equal(await countDocuments(stack.search, `${prefix}-*`), 513);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
}

test("node: ingest.ts with ES_CA_CERT runs once, and a NODE_EXTRA_CA_CERTS the user had (for S3 here) stays trusted", async () => {
  const prefix = uniqueName("tls-ingest");
  const env = {
    ES_URL: url, ES_CA_CERT: ca, NODE_EXTRA_CA_CERTS: otherCa, INDEX_PREFIX: prefix,
    CLOUDTRAIL_BUCKET: "trailpost-demo", AWS_ENDPOINT_URL: s3Url, AWS_ACCESS_KEY_ID: stack.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.secretAccessKey, AWS_REGION: stack.region,
  };
  const result = await runScript("ingest.ts", ["--date", "2013-12-07"], env);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(count(result.stderr, /^ingest: 84 log objects read/), 1, result.stderr);
  assert.equal(count(result.stderr, /^ingest: 513 records read: 513 indexed, 0 duplicates/), 1, result.stderr);
  assert.equal(await countDocuments(stack.search, `${prefix}-*`), 513);
});

for (const runtime of ["node", "deno"] as const) {
  test(`${runtime}: with ES_CA_CERT the private CA is trusted and the record lands`, async () => {
    const prefix = uniqueName(`tls-${runtime}`);
    const result = await runScript("bulk.ts", [], { ES_URL: url, ES_CA_CERT: ca, INDEX_PREFIX: prefix, NODE_EXTRA_CA_CERTS: undefined }, { runtime, stdin: record });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 1);
  });

  test(`${runtime}: without ES_CA_CERT the certificate is refused, with a message that says so`, async () => {
    const result = await runScript("bulk.ts", [], { ES_URL: url, INDEX_PREFIX: uniqueName("tls-refused"), NODE_EXTRA_CA_CERTS: undefined }, { runtime, stdin: record });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /certificate|UnknownIssuer|self.signed/i);
  });
}

test("node: SIGTERM to a run with ES_CA_CERT (which runs itself again) stops that run too: no orphan, exit 143 (hostile review)", async () => {
  // bulk.ts reading a stdin that stays open: it runs until stopped
  const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), `${repoRoot}scripts/bulk.ts`], {
    env: { ...process.env, ES_URL: url, ES_CA_CERT: ca, INDEX_PREFIX: uniqueName("tls-term"), NODE_EXTRA_CA_CERTS: "" },
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<[number | null, string | null]>((resolve) => child.on("close", (code, signal) => resolve([code, signal])));
  const childrenOf = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z "); // a zombie is gone
    } catch {
      return false;
    }
  };
  let run: number | undefined;
  try {
    for (let waited = 0; run === undefined && waited < 60_000; waited += 100) {
      run = childrenOf(child.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("bulk.ts"));
      if (run === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(run !== undefined, `the run under NODE_EXTRA_CA_CERTS started: ${stderr}`);
    await new Promise((r) => setTimeout(r, 1500)); // let it get going
    child.kill("SIGTERM");
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [143, null], `the wrapper exits with the run's code: ${stderr}`);
    for (let waited = 0; alive(run) && waited < 10_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(run), false, "the run it started is gone too");
  } finally {
    if (run !== undefined && alive(run)) process.kill(run, "SIGKILL");
    child.kill("SIGKILL");
  }
});
