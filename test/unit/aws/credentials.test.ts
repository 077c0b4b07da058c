import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CredentialsError, parseIni, resolveCredentials, resolveRegion } from "../../../lib/aws/credentials.ts";

const CREDENTIALS_FILE = `
# comment
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = secretdefault

; another comment
[work]
aws_access_key_id=AKIAWORK
aws_secret_access_key=secretwork
aws_session_token = tokenwork

[sso-in-credentials]
sso_session = my-sso
`;

const CONFIG_FILE = `
[default]
region = eu-west-1

[profile cfg]
aws_access_key_id = AKIACFG
aws_secret_access_key = secretcfg
region = ap-southeast-2
s3 =
  max_concurrent_requests = 20
  region = nope-nested-1

[profile sso]
sso_session = my-sso
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = us-west-2

[profile legacy-sso]
sso_start_url = https://example.awsapps.com/start

[profile role]
role_arn = arn:aws:iam::111122223333:role/Reader
source_profile = default

[profile proc]
credential_process = /usr/local/bin/get-creds --json

[profile webid]
web_identity_token_file = /var/run/token
role_arn = arn:aws:iam::111122223333:role/X

[sso-session my-sso]
sso_start_url = https://example.awsapps.com/start
`;

const files = { credentials: CREDENTIALS_FILE, config: CONFIG_FILE };

describe("resolveCredentials: environment", () => {
  test("access key and secret from the environment win over files", () => {
    assert.deepEqual(resolveCredentials({ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: "secretenv", AWS_PROFILE: "work" }, files), { accessKeyId: "AKIAENV", secretAccessKey: "secretenv" });
  });

  test("with a session token", () => {
    assert.deepEqual(resolveCredentials({ AWS_ACCESS_KEY_ID: "ASIAENV", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "t" }), { accessKeyId: "ASIAENV", secretAccessKey: "s", sessionToken: "t" });
  });

  test("an empty session token is no session token", () => {
    assert.deepEqual(resolveCredentials({ AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "" }), { accessKeyId: "A", secretAccessKey: "s" });
  });

  test("only one of id and secret is an error", () => {
    assert.throws(() => resolveCredentials({ AWS_ACCESS_KEY_ID: "A" }, files), (e: unknown) => e instanceof CredentialsError && /must be set together/.test(e.message));
    assert.throws(() => resolveCredentials({ AWS_SECRET_ACCESS_KEY: "s" }, files), (e: unknown) => e instanceof CredentialsError && /must be set together/.test(e.message));
  });

  test("the error never contains the secret", () => {
    assert.throws(() => resolveCredentials({ AWS_SECRET_ACCESS_KEY: "verysecretvalue" }), (e: unknown) => e instanceof Error && !e.message.includes("verysecretvalue"));
  });
});

describe("resolveCredentials: shared files", () => {
  test("the default profile from the credentials file", () => {
    assert.deepEqual(resolveCredentials({}, files), { accessKeyId: "AKIADEFAULT", secretAccessKey: "secretdefault" });
  });

  test("AWS_PROFILE from the credentials file, with its session token", () => {
    assert.deepEqual(resolveCredentials({ AWS_PROFILE: "work" }, files), { accessKeyId: "AKIAWORK", secretAccessKey: "secretwork", sessionToken: "tokenwork" });
  });

  test("AWS_DEFAULT_PROFILE is honoured", () => {
    assert.deepEqual(resolveCredentials({ AWS_DEFAULT_PROFILE: "work" }, files)?.accessKeyId, "AKIAWORK");
  });

  test("[profile x] in the config file", () => {
    assert.deepEqual(resolveCredentials({ AWS_PROFILE: "cfg" }, files), { accessKeyId: "AKIACFG", secretAccessKey: "secretcfg" });
    assert.deepEqual(resolveCredentials({ AWS_PROFILE: "cfg" }, { config: CONFIG_FILE }), { accessKeyId: "AKIACFG", secretAccessKey: "secretcfg" });
  });

  test("the config file's [default] (no 'profile' word) when the credentials file lacks one", () => {
    const config = "[default]\naws_access_key_id = AKIACFGDEFAULT\naws_secret_access_key = s\n";
    assert.deepEqual(resolveCredentials({}, { config }), { accessKeyId: "AKIACFGDEFAULT", secretAccessKey: "s" });
  });

  test("in the config file, a bare [cfg] section is not the profile cfg", () => {
    const config = "[cfg]\naws_access_key_id = AKIA\naws_secret_access_key = s\n";
    assert.throws(() => resolveCredentials({ AWS_PROFILE: "cfg" }, { config }), CredentialsError);
  });

  for (const [profile, needs] of [
    ["sso", "sso_session"],
    ["legacy-sso", "sso_start_url"],
    ["role", "role_arn"],
    ["proc", "credential_process"],
    ["webid", "role_arn"],
    ["sso-in-credentials", "sso_session"],
  ] as const) {
    test(`profile ${profile} (${needs}) is a CredentialsError naming the profile and the export command`, () => {
      assert.throws(() => resolveCredentials({ AWS_PROFILE: profile }, files), (e: unknown) => {
        assert.ok(e instanceof CredentialsError, String(e));
        assert.ok(e.message.includes(`"${profile}"`), e.message);
        assert.ok(e.message.includes(needs), e.message);
        assert.ok(e.message.includes(`aws configure export-credentials --profile ${profile} --format env`), e.message);
        return true;
      });
    });
  }

  test("an unknown explicit profile is an error", () => {
    assert.throws(() => resolveCredentials({ AWS_PROFILE: "nope" }, files), (e: unknown) => e instanceof CredentialsError && /"nope"/.test(e.message));
    assert.throws(() => resolveCredentials({ AWS_PROFILE: "nope" }, {}), CredentialsError);
  });

  test("nothing configured: undefined", () => {
    assert.equal(resolveCredentials({}, {}), undefined);
    assert.equal(resolveCredentials({}), undefined);
    assert.equal(resolveCredentials({}, { credentials: "[other]\naws_access_key_id=x\naws_secret_access_key=y\n" }), undefined);
  });
});

describe("resolveRegion", () => {
  test("AWS_REGION first, then AWS_DEFAULT_REGION, then the profile's region, then us-east-1", () => {
    assert.equal(resolveRegion({ AWS_REGION: "eu-central-1", AWS_DEFAULT_REGION: "eu-west-2", AWS_PROFILE: "cfg" }, files), "eu-central-1");
    assert.equal(resolveRegion({ AWS_DEFAULT_REGION: "eu-west-2", AWS_PROFILE: "cfg" }, files), "eu-west-2");
    assert.equal(resolveRegion({ AWS_PROFILE: "cfg" }, files), "ap-southeast-2");
    assert.equal(resolveRegion({ AWS_PROFILE: "sso" }, files), "us-west-2");
    assert.equal(resolveRegion({}, files), "eu-west-1");
    assert.equal(resolveRegion({ AWS_PROFILE: "work" }, files), "us-east-1");
    assert.equal(resolveRegion({}), "us-east-1");
  });

  test("empty variables do not count", () => {
    assert.equal(resolveRegion({ AWS_REGION: "", AWS_DEFAULT_REGION: "sa-east-1" }), "sa-east-1");
  });

  test("the nested s3 region is not the profile's region", () => {
    const config = "[profile x]\ns3 =\n  region = nested-1\n";
    assert.equal(resolveRegion({ AWS_PROFILE: "x" }, { config }), "us-east-1");
  });
});

describe("parseIni", () => {
  test("sections, keys, comments, whitespace and CRLF", () => {
    const ini = parseIni("# top\r\n[a]\r\nKey = v1 \r\n; c\r\n  # indented comment\r\nother=x=y\r\n[ profile   b ]\r\nk=2\r\n");
    assert.deepEqual({ ...ini.a }, { key: "v1", other: "x=y" });
    assert.deepEqual({ ...ini["profile b"] }, { k: "2" });
  });

  test("nested (indented) keys are skipped, the section goes on", () => {
    const ini = parseIni("[profile p]\ns3 =\n  max_concurrent_requests = 20\n  region = x\nregion = eu-west-1\n");
    assert.deepEqual({ ...ini["profile p"] }, { s3: "", region: "eu-west-1" });
  });

  test("keys before any section are ignored", () => {
    const ini = parseIni("orphan = 1\n[a]\nk = v\n");
    assert.deepEqual(Object.keys(ini), ["a"]);
  });

  test("a repeated section merges", () => {
    const ini = parseIni("[a]\nx=1\n[b]\ny=2\n[a]\nz=3\n");
    assert.deepEqual({ ...ini.a }, { x: "1", z: "3" });
  });
});
