/**
 * ES_CA_CERT: an engine behind TLS with a certificate from a private CA is trusted when the CA is given, and refused
 * with a clear error when not, under Node and under Deno. The engine is the real local one, behind a TLS-terminating
 * proxy with a throwaway CA made by openssl.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localStack, uniqueName, type TestStack } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

const dir = mkdtempSync(join(tmpdir(), "trailpost-tls-"));
let stack: TestStack;
let server: Server;
let url: string;
const ca = join(dir, "ca.pem");
const record = '{"eventTime":"2024-03-04T12:00:00Z","eventID":"tls-1","eventName":"GetObject"}\n';

before(async () => {
  stack = await localStack();
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=trailpost test CA");
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  execFileSync("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf"], { cwd: dir });
  run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf");
  const upstream = new URL(stack.search);
  server = createServer({ key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.pem")) }, (req, res) => {
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address && typeof address === "object", "the proxy listens");
  url = `https://127.0.0.1:${address.port}`;
});

after(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
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
