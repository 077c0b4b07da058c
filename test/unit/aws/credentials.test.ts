import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CredentialsError, resolveCredentials, resolveRegion } from "../../../lib/aws/credentials.ts";

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
    assert.throws(() => resolveCredentials({ AWS_ACCESS_KEY_ID: "A" }, files), (e: unknown) => e instanceof CredentialsError && /AWS_SECRET_ACCESS_KEY is not: set both/.test(e.message));
    assert.throws(() => resolveCredentials({ AWS_SECRET_ACCESS_KEY: "s" }, files), (e: unknown) => e instanceof CredentialsError && /AWS_ACCESS_KEY_ID is not: set both/.test(e.message));
  });

  test("the error never contains the secret", () => {
    assert.throws(() => resolveCredentials({ AWS_SECRET_ACCESS_KEY: "verysecretvalue" }), (e: unknown) => e instanceof Error && !e.message.includes("verysecretvalue"));
  });
});

describe("resolveCredentials: an explicit profile (--profile) against the environment, as the AWS CLI", () => {
  const env = { AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: "secretenv", AWS_SESSION_TOKEN: "tokenenv" };

  test("--profile wins over keys in the environment", () => {
    assert.deepEqual(resolveCredentials(env, files, { profile: "work" }), { accessKeyId: "AKIAWORK", secretAccessKey: "secretwork", sessionToken: "tokenwork" });
    assert.deepEqual(resolveCredentials(env, files, { profile: "default" }), { accessKeyId: "AKIADEFAULT", secretAccessKey: "secretdefault" });
  });

  test("AWS_PROFILE does not: the environment keys win", () => {
    assert.deepEqual(resolveCredentials({ ...env, AWS_PROFILE: "work" }, files), { accessKeyId: "AKIAENV", secretAccessKey: "secretenv", sessionToken: "tokenenv" });
  });

  test("--profile wins over AWS_PROFILE and AWS_DEFAULT_PROFILE; AWS_DEFAULT_PROFILE over AWS_PROFILE (botocore's order)", () => {
    assert.equal(resolveCredentials({ AWS_PROFILE: "work", AWS_DEFAULT_PROFILE: "work" }, files, { profile: "default" })?.accessKeyId, "AKIADEFAULT");
    assert.equal(resolveCredentials({ AWS_PROFILE: "default", AWS_DEFAULT_PROFILE: "work" }, files)?.accessKeyId, "AKIAWORK");
  });

  test("a named profile that does not exist is an error even with keys in the environment (the CLI fails too)", () => {
    assert.throws(() => resolveCredentials({ ...env, AWS_PROFILE: "nope" }, files), (e: unknown) => e instanceof CredentialsError && /"nope" not found/.test(e.message));
    assert.throws(() => resolveCredentials(env, files, { profile: "nope" }), CredentialsError);
  });

  test("the session token of --profile's section, never the environment's", () => {
    const credentials = "[p]\naws_access_key_id = AKIAP\naws_secret_access_key = sp\n";
    assert.deepEqual(resolveCredentials(env, { credentials }, { profile: "p" }), { accessKeyId: "AKIAP", secretAccessKey: "sp" });
  });

  test("AWS_SECURITY_TOKEN (botocore's older name) before AWS_SESSION_TOKEN; aws_security_token before aws_session_token", () => {
    assert.equal(resolveCredentials({ ...env, AWS_SECURITY_TOKEN: "older" })?.sessionToken, "older");
    const credentials = "[default]\naws_access_key_id = A\naws_secret_access_key = s\naws_session_token = newer\naws_security_token = older\n";
    assert.equal(resolveCredentials({}, { credentials })?.sessionToken, "older");
  });

  test("environment keys are used without reading the files when no profile is named", () => {
    assert.deepEqual(resolveCredentials(env, { credentials: "[default]\n[default]\n" }), { accessKeyId: "AKIAENV", secretAccessKey: "secretenv", sessionToken: "tokenenv" });
  });
});

describe("resolveCredentials: awkward files", () => {
  test("keys indented under a section header are keys (the CLI reads them)", () => {
    const credentials = "[p]\n  aws_access_key_id = AKIAINDENTED\n  aws_secret_access_key = secretindented\n\taws_session_token = t\n";
    assert.deepEqual(resolveCredentials({}, { credentials }, { profile: "p" }), { accessKeyId: "AKIAINDENTED", secretAccessKey: "secretindented", sessionToken: "t" });
  });

  test("a key indented under another key continues its value: an error that says so, without the value", () => {
    const credentials = "[p]\naws_access_key_id = AKIAFIRST\n  aws_secret_access_key = verysecretvalue\n";
    assert.throws(() => resolveCredentials({}, { credentials }, { profile: "p" }), (e: unknown) => {
      assert.ok(e instanceof CredentialsError);
      assert.match(e.message, /aws_access_key_id spans several lines .*remove the indentation/);
      assert.ok(!e.message.includes("verysecretvalue") && !e.message.includes("AKIAFIRST"), e.message);
      return true;
    });
  });

  test("a file the CLI refuses is an error naming the file and line, not the line's text", () => {
    const cases: [string, RegExp][] = [
      ["[default]\naws_access_key_id = A\naws_secret_access_key = verysecretvalue\n[default]\n", /line 4: section \[default\] appears twice/],
      ["[default]\naws_secret_access_key = verysecretvalue\naws_secret_access_key = verysecretvalue\n", /line 3: key aws_secret_access_key appears twice/],
      ["aws_secret_access_key = verysecretvalue\n[default]\n", /line 1: a key before the first \[section\]/],
      ["[default]\nverysecretvalue\n", /line 2: not a \[section\]/],
    ];
    for (const [credentials, expected] of cases) {
      assert.throws(() => resolveCredentials({}, { credentials, credentialsPath: "/tmp/creds" }), (e: unknown) => {
        assert.ok(e instanceof CredentialsError, String(e));
        assert.match(e.message, /^\/tmp\/creds, /);
        assert.match(e.message, expected);
        assert.ok(!e.message.includes("verysecretvalue"), e.message);
        return true;
      });
    }
  });

  test("an empty or missing secret is an error naming the profile and the file", () => {
    assert.throws(() => resolveCredentials({}, { credentials: "[default]\naws_access_key_id = A\n" }), /"default" in the shared credentials file has aws_access_key_id but no aws_secret_access_key/);
    assert.throws(() => resolveCredentials({}, { credentials: "[default]\naws_access_key_id = A\naws_secret_access_key =\n" }), /aws_secret_access_key is empty/);
  });

  test("the credentials file's keys before credential_process, credential_process before the config file's keys", () => {
    const config = "[profile p]\ncredential_process = /bin/creds\naws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n";
    assert.equal(resolveCredentials({}, { config, credentials: "[p]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n" }, { profile: "p" })?.accessKeyId, "AKIACREDS");
    assert.throws(() => resolveCredentials({}, { config }, { profile: "p" }), /credential_process/);
  });

  test("role_arn in the config file wins over static keys in the credentials file (botocore assumes the role)", () => {
    const config = "[profile p]\nrole_arn = arn:aws:iam::111122223333:role/R\nsource_profile = default\n";
    assert.throws(() => resolveCredentials({}, { config, credentials: "[p]\naws_access_key_id = A\naws_secret_access_key = s\n" }, { profile: "p" }), /role_arn/);
  });

  test("web identity from the environment (EKS) is reported, not skipped", () => {
    assert.throws(() => resolveCredentials({ AWS_WEB_IDENTITY_TOKEN_FILE: "/var/run/token", AWS_ROLE_ARN: "arn:aws:iam::1:role/R" }, files), /AWS_WEB_IDENTITY_TOKEN_FILE/);
  });

  test("a UTF-8 byte order mark is ignored", () => {
    assert.equal(resolveCredentials({}, { credentials: "\uFEFF[default]\naws_access_key_id = AKIABOM\naws_secret_access_key = s\n" })?.accessKeyId, "AKIABOM");
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
    ["webid", "web_identity_token_file"],
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

  test("an unknown named profile is an error", () => {
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

  test("--profile's region; the credentials file's region over the config file's; [DEFAULT] is inherited", () => {
    const config = "[default]\nregion = eu-west-1\n[profile x]\nregion = eu-west-3\n[profile y]\nregion = ca-central-1\n";
    const credentials = "[DEFAULT]\nregion = ap-south-1\n[x]\nregion = sa-east-1\n[y]\n";
    assert.equal(resolveRegion({ AWS_PROFILE: "y" }, { config }, { profile: "x" }), "eu-west-3");
    assert.equal(resolveRegion({}, { config, credentials }, { profile: "x" }), "sa-east-1");
    assert.equal(resolveRegion({}, { config, credentials }, { profile: "y" }), "ap-south-1");
  });
});

describe("keys and tokens that cannot go in a header (hostile review)", () => {
  const failure = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof CredentialsError, String(error));
      return error.message;
    }
    assert.fail("expected a CredentialsError");
  };

  test("from the environment: a CredentialsError naming the variable, never the value", () => {
    const ok = { AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
    for (const [variable, value] of [
      ["AWS_SESSION_TOKEN", "TOKEN\nSECRET"],
      ["AWS_SECURITY_TOKEN", "TOKEN\rSECRET"],
      ["AWS_SESSION_TOKEN", "TOKEN\u2028SECRET"],
      ["AWS_ACCESS_KEY_ID", "AKIA\u001bSECRET"],
    ] as const) {
      const message = failure(() => resolveCredentials({ ...ok, [variable]: value }));
      assert.match(message, new RegExp(`^${variable} holds (a line break|a control character|a character above U\\+00FF)`));
      assert.ok(!/SECRET|TOKEN|AKIA|wJalr/.test(message.replace(variable, "")), `echoed: ${message}`);
    }
    const token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH+/=";
    assert.equal(resolveCredentials({ ...ok, AWS_SESSION_TOKEN: token })?.sessionToken, token);
  });

  test("from a profile: a token with a control character is named by profile, file and key", () => {
    const credentials = "[default]\naws_access_key_id = AKIAX\naws_secret_access_key = secretx\naws_session_token = TOKEN\u0007SECRET\n";
    const message = failure(() => resolveCredentials({}, { credentials, credentialsPath: "/home/u/.aws/credentials" }));
    assert.match(message, /^AWS profile "default" in \/home\/u\/.aws\/credentials: aws_session_token holds a control character/);
    assert.ok(!message.includes("SECRET"), message);
  });
});
