/** secrets.ts: every secret a run was given is found, and hidden in any text, whatever form it takes there. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactor, secretsOf } from "../../../scripts/runtime/secrets.ts";

test("secrets from the environment, flags, secret files, ES_URL and the shared AWS files are all hidden", () => {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-secrets-"));
  try {
    writeFileSync(join(dir, "key"), "FILEKEY-line-one\nFILEKEY-line-two\n");
    writeFileSync(join(dir, "credentials"), "[default]\naws_access_key_id = AKIAX\naws_secret_access_key = shared-secret-key\naws_session_token=shared-session-token\n");
    const env = {
      ES_API_KEY: "abc\nSECRETKEY1",
      AWS_SESSION_TOKEN: "TOKEN123\nSECRET2",
      AWS_SECRET_ACCESS_KEY: "env-secret-key",
      ES_API_KEY_FILE: join(dir, "key"),
      ES_URL: "https://elastic:pa%24%24word-99@search.example.com/",
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
      AWS_CONFIG_FILE: join(dir, "none"),
    };
    const hide = redactor(secretsOf(["--es-password", "flag-password-1"], env));
    const text = [
      `Headers.set: ${JSON.stringify(env.ES_API_KEY)} is an invalid header value`,
      `raw ${env.AWS_SESSION_TOKEN} and SECRETKEY1 alone, TOKEN123 alone`,
      "FILEKEY-line-two; env-secret-key; shared-secret-key; shared-session-token",
      "flag-password-1; pa%24%24word-99 and pa$$word-99",
    ].join("\n");
    const hidden = hide(text);
    for (const secret of ["SECRETKEY1", "SECRET2", "TOKEN123", "FILEKEY", "env-secret-key", "shared-secret-key", "shared-session-token", "flag-password-1", "word-99"]) {
      assert.ok(!hidden.includes(secret), `${secret} shown in:\n${hidden}`);
    }
    assert.match(hidden, /Headers\.set: "\*\*\*" is an invalid header value/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("short values (LocalStack's `test`) are not hidden: they cannot be told from words; no secret, no change", () => {
  assert.equal(redactor(secretsOf([], { AWS_SECRET_ACCESS_KEY: "test", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/x", AWS_CONFIG_FILE: "/nonexistent/x" }))("bucket test-bucket"), "bucket test-bucket");
  assert.equal(redactor([])("a.b*c"), "a.b*c");
  assert.equal(redactor(["a.b*c(d"])("x a.b*c(d y"), "x *** y", "regular-expression characters are literal");
});
