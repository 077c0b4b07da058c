import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, credentialWarnings, daysOf, isLoopback, peekSetting, readConfig, SETTINGS, usage, type SettingName } from "../../../lib/config.ts";

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.message, e.problems.join("\n"));
    return e.problems;
  }
  assert.fail("expected a ConfigError");
};

describe("readConfig: flags and environment", () => {
  test("environment values are read", () => {
    const c = readConfig(["bucket", "esUrl"], [], { CLOUDTRAIL_BUCKET: "my-trail-bucket", ES_URL: "http://127.0.0.1:9200" });
    assert.deepEqual(c.values, { bucket: "my-trail-bucket", esUrl: "http://127.0.0.1:9200" });
    assert.deepEqual(c.positionals, []);
    assert.equal(c.help, false);
  });

  test("a flag wins over the environment, in both spellings", () => {
    const env = { CLOUDTRAIL_BUCKET: "env-bucket", INDEX_PREFIX: "envprefix" };
    const c = readConfig(["bucket", "indexPrefix"], ["--bucket=flag-bucket", "--index-prefix", "flagprefix"], env);
    assert.equal(c.values.bucket, "flag-bucket");
    assert.equal(c.values.indexPrefix, "flagprefix");
  });

  test("--flag=value keeps everything after the first =", () => {
    const c = readConfig(["esApiKey"], ["--es-api-key=abc==", "pos"], {});
    assert.equal(c.values.esApiKey, "abc==");
    assert.deepEqual(c.positionals, ["pos"]);
  });

  test("the last of a repeated flag wins", () => {
    assert.equal(readConfig(["bucket"], ["--bucket", "aaa", "--bucket=bbb"], {}).values.bucket, "bbb");
  });

  test("empty environment values are unset", () => {
    assert.deepEqual(readConfig(["bucket"], [], { CLOUDTRAIL_BUCKET: "" }).values, {});
  });

  test("positionals, -, --, and --help", () => {
    const c = readConfig(["bucket"], ["a.json.gz", "-", "--help", "--", "--bucket", "x"], {});
    assert.deepEqual(c.positionals, ["a.json.gz", "-", "--bucket", "x"]);
    assert.equal(c.help, true);
    assert.equal(c.values.bucket, undefined);
    assert.equal(readConfig([], ["-h"], {}).help, true);
  });

  test("extra flags: boolean ones take no value, others read their env", () => {
    const extra = {
      dryRun: { env: "", flag: "--dry-run", help: "only list", boolean: true },
      out: { env: "OUT_DIR", flag: "--out", help: "output dir", check: (v: string) => (v.includes("..") ? "OUT_DIR must not contain .." : undefined) },
    };
    const c = readConfig(["bucket"], ["--dry-run", "file"], { OUT_DIR: "work" }, extra);
    assert.deepEqual(c.extra, { dryRun: "true", out: "work" });
    assert.deepEqual(c.positionals, ["file"]);
    assert.deepEqual(problemsOf(() => readConfig([], ["--out", "../x"], {}, extra)), ["OUT_DIR must not contain .."]);
  });

  test("a flag of a setting not asked for is unknown", () => {
    assert.deepEqual(problemsOf(() => readConfig(["bucket"], ["--es-url", "http://x"], {})), ["unknown option --es-url"]);
  });
});

describe("readConfig: problems", () => {
  test("an unknown flag", () => {
    assert.deepEqual(problemsOf(() => readConfig(["bucket"], ["--buckt", "x"], {})), ["unknown option --buckt"]);
    assert.deepEqual(problemsOf(() => readConfig(["bucket"], ["--nope=1"], {})), ["unknown option --nope"]);
  });

  test("a missing value", () => {
    assert.deepEqual(problemsOf(() => readConfig(["bucket"], ["--bucket"], {})), ["--bucket needs a value"]);
  });

  test("all problems are reported together in one ConfigError", () => {
    const problems = problemsOf(() =>
      readConfig(["bucket", "esUrl", "indexPrefix", "accounts", "regions", "bulkBytes"], ["--what", "--index-prefix=Bad", "--bulk-max-bytes", "0"], {
        CLOUDTRAIL_BUCKET: "Not_A_Bucket",
        ES_URL: "notaurl",
        CLOUDTRAIL_ACCOUNTS: "111122223333,123",
        CLOUDTRAIL_REGIONS: "us-east-1,mars-1",
      }),
    );
    assert.equal(problems.length, 7, problems.join("\n"));
    assert.ok(problems.includes("unknown option --what"), problems.join("\n"));
    for (const name of ["CLOUDTRAIL_BUCKET", "ES_URL", "INDEX_PREFIX", "CLOUDTRAIL_ACCOUNTS", "CLOUDTRAIL_REGIONS", "BULK_MAX_BYTES"]) {
      assert.ok(problems.some((p) => p.startsWith(`${name} must be`)), `${name} missing from ${problems.join(" | ")}`);
    }
  });

  test("ES_URL=notaurl and non-http URLs", () => {
    assert.deepEqual(problemsOf(() => readConfig(["esUrl"], [], { ES_URL: "notaurl" })), ['ES_URL must be an http(s) URL, not "notaurl"']);
    assert.match(problemsOf(() => readConfig(["esUrl"], [], { ES_URL: "ftp://host/" }))[0]!, /^ES_URL must be an http\(s\) URL/);
    assert.match(problemsOf(() => readConfig(["endpoint"], ["--endpoint-url", "localhost:4566"], {}))[0]!, /^AWS_ENDPOINT_URL must be an http\(s\) URL/);
    assert.deepEqual(readConfig(["esUrl"], [], { ES_URL: "https://u:p@search.example.com:9200/" }).values.esUrl, "https://u:p@search.example.com:9200/");
  });

  test("a URL with a password is never echoed", () => {
    for (const url of ["https://u:secretpw@:9200/", "https://u:secretpw@host:99999/", "ftp://u:secretpw@host/", "https://u:secretpw@ho st/"]) {
      const problems = problemsOf(() => readConfig(["esUrl", "s3Endpoint"], ["--s3-endpoint-url", url], { ES_URL: url }));
      assert.equal(problems.length, 2, `${url}: ${problems.join(" | ")}`);
      for (const p of problems) assert.ok(!p.includes("secret"), `${url} echoed: ${p}`);
    }
  });

  test("a URL whose password holds an unencoded '/' is not echoed either", () => {
    const url = "https://elastic:secret/pw@search.local:9200/";
    const problems = problemsOf(() => readConfig(["esUrl"], [], { ES_URL: url }));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^ES_URL must be an http\(s\) URL/);
    assert.ok(!problems[0]!.includes("secret"), `echoed: ${problems[0]}`);
  });

  test("bucket names", () => {
    for (const ok of ["my-trail-bucket", "abc", "a.b-c.123", "a".repeat(63)]) {
      assert.equal(readConfig(["bucket"], ["--bucket", ok], {}).values.bucket, ok);
    }
    for (const bad of ["ab", "a".repeat(64), "My-Bucket", "my_bucket", "-bucket", "bucket-", "xn--bucket", "s3://bucket", "bucket/prefix"]) {
      assert.deepEqual(problemsOf(() => readConfig(["bucket"], ["--bucket", bad], {})), [`CLOUDTRAIL_BUCKET must be an S3 bucket name (3-63 of a-z 0-9 . -), not ${JSON.stringify(bad)}`], bad);
    }
  });

  test("account and region lists", () => {
    const c = readConfig(["accounts", "regions"], [], { CLOUDTRAIL_ACCOUNTS: "111122223333, 444455556666", CLOUDTRAIL_REGIONS: "us-east-1,eu-west-3,us-gov-west-1,ap-southeast-2" });
    assert.equal(c.values.accounts, "111122223333, 444455556666");
    for (const bad of ["11112222333", "111122223333,", "abc", "111122223333;444455556666"]) {
      assert.match(problemsOf(() => readConfig(["accounts"], [], { CLOUDTRAIL_ACCOUNTS: bad }))[0]!, /^CLOUDTRAIL_ACCOUNTS must be a comma-separated list of 12-digit account ids/, bad);
    }
    for (const bad of ["US-EAST-1", "us-east", "useast1", "us-east-1,"]) {
      assert.match(problemsOf(() => readConfig(["regions"], [], { CLOUDTRAIL_REGIONS: bad }))[0]!, /^CLOUDTRAIL_REGIONS must be a comma-separated list of AWS regions/, bad);
    }
    assert.match(problemsOf(() => readConfig(["region"], ["--region", "us-east-1; rm -rf ~"], {}))[0]!, /^AWS_REGION must be/);
  });

  test("INDEX_PREFIX rules", () => {
    for (const ok of ["cloudtrail", "ct-prod", "ct.2024", "a", "ct_x+y"]) assert.equal(readConfig(["indexPrefix"], [`--index-prefix=${ok}`], {}).values.indexPrefix, ok);
    for (const bad of ["CloudTrail", "-cloudtrail", "_ct", "+ct", ".ct", "cloud*", "cloud trail", "a/b", "a,b", "", "x".repeat(101)]) {
      if (bad === "") continue; // an empty value is unset
      assert.match(problemsOf(() => readConfig(["indexPrefix"], [`--index-prefix=${bad}`], {}))[0]!, /^INDEX_PREFIX must be a lower-case index name prefix/, bad);
    }
  });

  test("other checks: sigv4 service, gzip, numbers, refresh interval, org id", () => {
    assert.match(problemsOf(() => readConfig(["esAws"], [], { ES_AWS_SIGV4: "s3" }))[0]!, /^ES_AWS_SIGV4 must be es or aoss/);
    assert.match(problemsOf(() => readConfig(["esGzip"], [], { ES_GZIP: "yes" }))[0]!, /^ES_GZIP must be true or false/);
    assert.match(problemsOf(() => readConfig(["bulkConcurrency"], [], { BULK_CONCURRENCY: "0" }))[0]!, /positive whole number/);
    assert.match(problemsOf(() => readConfig(["bulkRetries"], [], { BULK_RETRIES: "-1" }))[0]!, /whole number/);
    assert.equal(readConfig(["bulkRetries", "replicas"], [], { BULK_RETRIES: "0", INDEX_REPLICAS: "0" }).values.bulkRetries, "0");
    assert.match(problemsOf(() => readConfig(["refreshInterval"], [], { INDEX_REFRESH_INTERVAL: "soon" }))[0]!, /^INDEX_REFRESH_INTERVAL must be a time/);
    assert.equal(readConfig(["refreshInterval"], [], { INDEX_REFRESH_INTERVAL: "-1" }).values.refreshInterval, "-1");
    assert.match(problemsOf(() => readConfig(["orgId"], [], { CLOUDTRAIL_ORG_ID: "o-short" }))[0]!, /^CLOUDTRAIL_ORG_ID must be an organization id/);
    assert.equal(readConfig(["orgId"], [], { CLOUDTRAIL_ORG_ID: "o-exampleorgid" }).values.orgId, "o-exampleorgid");
  });
});

describe("readConfig: DATE, FROM and TO are checked where they are read", () => {
  const injections = ["2013-12-07; touch /tmp/x", "$(touch /tmp/x)", "`id`", "2013-12-07 && id", "2013-12-07\nid", "$(shell id)", "2013-12-07 --es-url http://x/", "'\"", " 2013-12-07", "2013-12-07 "];
  for (const [name, variable] of [["date", "DATE"], ["from", "FROM"], ["to", "TO"]] as const) {
    test(`${variable}: a calendar day or a problem that quotes the value, from the environment and as a flag`, () => {
      assert.equal(readConfig([name], [], { [variable]: "2013-12-07" }).values[name], "2013-12-07");
      for (const bad of [...injections, "2013-13-45", "2013-02-29", "13-12-07", "2013-12-7", "２０１３-12-07"]) {
        const message = `${variable} must be a calendar day as YYYY-MM-DD, not ${JSON.stringify(bad)}`;
        assert.deepEqual(problemsOf(() => readConfig([name], [], { [variable]: bad })), [message], bad);
        assert.deepEqual(problemsOf(() => readConfig([name], [SETTINGS[name].flag, bad], {})), [message], bad);
      }
    });
  }

  test("a bad DATE and a bad ES_URL are reported together", () => {
    assert.equal(problemsOf(() => readConfig(["date", "esUrl"], [], { DATE: "x; id", ES_URL: "notaurl" })).length, 2);
  });
});

describe("secrets from files, CA file, and credential warnings", () => {
  test("ES_API_KEY_FILE, ES_PASSWORD_FILE and ES_CA_CERT are paths; a newline in one is refused", () => {
    const c = readConfig(["esApiKeyFile", "esPasswordFile"], ["--es-password-file", "/run/secrets/pw"], { ES_API_KEY_FILE: "key.txt" });
    assert.deepEqual(c.values, { esApiKeyFile: "key.txt", esPasswordFile: "/run/secrets/pw" });
    assert.match(problemsOf(() => readConfig(["esCaCert"], [], { ES_CA_CERT: "a\nb" }))[0]!, /^ES_CA_CERT must be a file path/);
  });

  test("peekSetting: the flag (either spelling, the last one) wins over the environment; nothing after --", () => {
    assert.equal(peekSetting("esCaCert", [], { ES_CA_CERT: "env.pem" }), "env.pem");
    assert.equal(peekSetting("esCaCert", ["--es-ca-cert", "a.pem", "--es-ca-cert=b.pem"], { ES_CA_CERT: "env.pem" }), "b.pem");
    assert.equal(peekSetting("esCaCert", ["--", "--es-ca-cert", "x.pem"], {}), undefined);
    assert.equal(peekSetting("esCaCert", ["--es-ca-cert="], { ES_CA_CERT: "" }), undefined);
  });

  test("a secret as a flag: one warning per flag, naming the flag and the safer ways, never the value", () => {
    const warnings = credentialWarnings({ esApiKey: "SECRETKEY", esPassword: "SECRETPW" }, ["--es-api-key=SECRETKEY", "--es-password", "SECRETPW"]);
    assert.deepEqual(warnings, [
      "--es-api-key on the command line is visible to other users of this machine (ps); set ES_API_KEY or ES_API_KEY_FILE instead",
      "--es-password on the command line is visible to other users of this machine (ps); set ES_PASSWORD or ES_PASSWORD_FILE instead",
    ]);
    assert.deepEqual(credentialWarnings({ esApiKey: "k" }, []), [], "from the environment: no warning");
    assert.deepEqual(credentialWarnings({}, ["--", "--es-password"]), [], "after --");
  });

  test("credentials over plain http to another host: one warning naming the host and what would leak; none for loopback or https", () => {
    const remote = "http://search.example.com:9200";
    assert.deepEqual(credentialWarnings({ esUrl: remote, esApiKeyFile: "k" }, []), ["ES_URL is plain http:// to search.example.com:9200: the API key would cross the network unencrypted; use https://"]);
    assert.match(credentialWarnings({ esUrl: "http://elastic:pw@10.0.0.5:9200/" }, [])[0]!, /^ES_URL is plain http:\/\/ to 10\.0\.0\.5:9200: the password would/);
    assert.ok(!credentialWarnings({ esUrl: "http://elastic:pw@10.0.0.5:9200/" }, [])[0]!.includes("pw@"));
    assert.match(credentialWarnings({ esUrl: remote, esAws: "es" }, [])[0]!, /SigV4-signed requests with the AWS session token/);
    assert.match(credentialWarnings({ esUrl: remote, esPassword: "p", esApiKey: "k" }, [])[0]!, /the API key and the password/);
    assert.deepEqual(credentialWarnings({ esUrl: remote }, []), [], "no credentials");
    assert.deepEqual(credentialWarnings({ esUrl: "https://search.example.com", esPassword: "p" }, []), []);
    for (const local of ["http://127.0.0.1:9200", "http://localhost:9200", "http://[::1]:9200", "http://127.1.2.3/", "http://0x7f.1/", "http://search.localhost/", "http://[::ffff:127.0.0.1]/"]) {
      assert.deepEqual(credentialWarnings({ esUrl: local, esPassword: "p" }, []), [], local);
    }
  });

  test("isLoopback", () => {
    for (const h of ["localhost", "LOCALHOST", "localhost.", "a.localhost", "127.0.0.1", "127.255.0.9", "[::1]", "[::ffff:7f00:1]"]) assert.equal(isLoopback(h), true, h);
    for (const h of ["0.0.0.0", "10.0.0.1", "128.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "[::2]", "[::ffff:a00:1]", "example.com"]) assert.equal(isLoopback(h), false, h);
  });
});

describe("daysOf", () => {
  test("DATE and FROM/TO", () => {
    assert.deepEqual(daysOf({ date: "2013-12-07" }), ["2013-12-07"]);
    assert.deepEqual(daysOf(readConfig(["from", "to"], ["--from", "2013-12-31", "--to=2014-01-01"], {}).values), ["2013-12-31", "2014-01-01"]);
  });

  for (const bad of ["2013-13-45", "x; rm -rf ~", "2013-02-29"]) {
    test(`DATE=${bad} is a ConfigError quoting it`, () => {
      const problems = problemsOf(() => daysOf({ date: bad }));
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^DATE must be a calendar day as YYYY-MM-DD/);
      assert.ok(problems[0]!.includes(JSON.stringify(bad)), problems[0]);
    });
  }

  test("no day, or both forms, is a ConfigError", () => {
    assert.match(problemsOf(() => daysOf({}))[0]!, /no day given/);
    assert.match(problemsOf(() => daysOf({ date: "2013-12-07", from: "2013-12-01", to: "2013-12-02" }))[0]!, /not both/);
  });
});

describe("usage", () => {
  test("lists the script's head, every flag with its environment variable and help, and --help", () => {
    const names: SettingName[] = ["bucket", "date", "esUrl", "esPassword"];
    const text = usage("  usage: ingest [options]\n", names, { dryRun: { env: "", flag: "--dry-run", help: "list only", boolean: true } });
    assert.ok(text.startsWith("usage: ingest [options]\n"), text);
    for (const n of names) {
      const s = SETTINGS[n];
      const line = text.split("\n").find((l) => l.includes(`${s.flag} VALUE`));
      assert.ok(line, `${s.flag} missing from usage`);
      assert.ok(line.includes(`(${s.env})`), line);
      assert.ok(line.includes(s.help), line);
    }
    const dry = text.split("\n").find((l) => l.includes("--dry-run"))!;
    assert.ok(!dry.includes("VALUE"), dry);
    assert.ok(dry.includes("list only"), dry);
    assert.match(text, /--help\s+this help$/);
  });
});

describe("secrets that cannot go in a header, and ES_URL's percent-encoding (hostile review)", () => {
  test("ES_API_KEY with a newline, a control character or a character above U+00FF: a problem naming the variable, never the value", () => {
    for (const key of ["abc\nSECRETKEY", "abc\r\nSECRETKEY", "SECRETKEY\u0000x", "SECRETKEY\u007f", "SECRETKEY\u0100", "SECRETKEY\u20ac", "SECRETKEY\ud83d\ude00"]) {
      for (const [argv, env] of [[[], { ES_API_KEY: key }], [["--es-api-key", key], {}]] as const) {
        const problems = problemsOf(() => readConfig(["esApiKey"], argv, env));
        assert.equal(problems.length, 1);
        assert.match(problems[0]!, /^ES_API_KEY holds (a line break|a control character|a character above U\+00FF) \(character \d+ of \d+\), which cannot be sent in an HTTP header/);
        assert.ok(!/SECRET|abc/.test(problems[0]!), `echoed: ${problems[0]}`);
      }
    }
    assert.equal(readConfig(["esApiKey"], [], { ES_API_KEY: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==" }).values.esApiKey?.length, 60);
  });

  test("ES_URL with a malformed % escape in the user name or password: a problem naming ES_URL, the URL redacted", () => {
    for (const url of ["http://u:%zz@127.0.0.1:9200", "http://u:SECRET%@127.0.0.1:9200", "https://%E0%A4%A@host/", "http://u:SECRET%ff@host/"]) {
      const problems = problemsOf(() => readConfig(["esUrl"], [], { ES_URL: url }));
      assert.equal(problems.length, 1, url);
      assert.match(problems[0]!, /^ES_URL: the user name or password in "http(s)?:\/\/\*\*\*@[^"]*" is not valid percent-encoding/);
      assert.ok(!/SECRET|%zz|%E0/.test(problems[0]!), `echoed: ${problems[0]}`);
    }
    assert.equal(readConfig(["esUrl"], [], { ES_URL: "http://u:p%40ss%2F@host:9200" }).values.esUrl, "http://u:p%40ss%2F@host:9200");
  });
});
