/**
 * Configuration a hostile review sent to the scripts, as a user's shell would (child processes, Node and Deno):
 * credentials that cannot go in an HTTP header, and an ES_URL with a malformed % escape. Each is a configuration
 * error naming the variable (exit 2, before anything runs) and never prints the secret.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScript } from "../support/run.ts";

const NONE = join(tmpdir(), `trailpost-no-such-file-${process.pid}`);
const BASE = {
  CLOUDTRAIL_BUCKET: "trailpost-hostile", DATE: "2013-12-07", AWS_ENDPOINT_URL: "http://127.0.0.1:9", ES_URL: "http://127.0.0.1:9",
  CLOUDTRAIL_QUEUE_URL: "http://127.0.0.1:9/000000000000/q", AWS_ACCESS_KEY_ID: "AKIAHOSTILE", AWS_SECRET_ACCESS_KEY: "hostile-secret-key",
  AWS_PROFILE: "", AWS_DEFAULT_PROFILE: "", AWS_SHARED_CREDENTIALS_FILE: NONE, AWS_CONFIG_FILE: NONE,
  ES_API_KEY: undefined, ES_API_KEY_FILE: undefined, ES_PASSWORD: undefined, ES_PASSWORD_FILE: undefined, AWS_SESSION_TOKEN: undefined, AWS_SECURITY_TOKEN: undefined,
};

const refused = (name: string, r: { code: number | null; stdout: string; stderr: string }, variable: RegExp) => {
  assert.equal(r.code, 2, `${name}: ${r.stderr}`);
  assert.match(r.stderr, variable, name);
  assert.doesNotMatch(r.stdout + r.stderr, /SECRET/, `${name} printed the secret`);
  assert.doesNotMatch(r.stderr, /Headers|ByteString|URI malformed/, name);
};

test("AWS_SESSION_TOKEN with a newline: copy, ingest, validate, worker, enqueue exit 2 naming it, never printing it (Node; validate under Deno)", async () => {
  const env = { ...BASE, AWS_SESSION_TOKEN: "TOKEN\nSECRET" };
  for (const script of ["copy.ts", "ingest.ts", "validate.ts", "worker.ts", "enqueue.ts"]) {
    refused(script, await runScript(script, [], env), /AWS_SESSION_TOKEN holds a line break/);
  }
  refused("validate.ts (deno)", await runScript("validate.ts", [], env, { runtime: "deno" }), /AWS_SESSION_TOKEN holds a line break/);
});

test("ES_API_KEY with a newline or a character above U+00FF, and a 2-line ES_API_KEY_FILE: exit 2 naming it (Node and Deno)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-hostile-"));
  try {
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, "abc\nSECRETKEY\n");
    for (const runtime of ["node", "deno"] as const) {
      refused(`bulk ES_API_KEY newline (${runtime})`, await runScript("bulk.ts", [], { ...BASE, ES_API_KEY: "abc\nSECRETKEY" }, { runtime }), /ES_API_KEY holds a line break/);
      refused(`bulk ES_API_KEY_FILE (${runtime})`, await runScript("bulk.ts", [], { ...BASE, ES_API_KEY_FILE: keyFile }, { runtime }), new RegExp(`ES_API_KEY_FILE \\(${keyFile}\\) holds a line break`));
    }
    refused("ingest ES_API_KEY U+20AC", await runScript("ingest.ts", [], { ...BASE, ES_API_KEY: "SECRET\u20acKEY" }), /ES_API_KEY holds a character above U\+00FF/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ES_URL with a malformed % escape in its password: exit 2 naming ES_URL, the password not shown (Node and Deno)", async () => {
  for (const runtime of ["node", "deno"] as const) {
    const r = await runScript("bulk.ts", [], { ...BASE, ES_URL: "http://u:SECRET%zz@127.0.0.1:9/" }, { runtime });
    refused(`bulk (${runtime})`, r, /ES_URL: the user name or password in "http:\/\/\*\*\*@127\.0\.0\.1:9\/" is not valid percent-encoding/);
  }
});
