/**
 * resolveCredentials/resolveRegion against the AWS CLI itself, on awkward shared files: botocore's own resolver
 * (test/reference/botocore/credentials.py, full values) and the real `aws configure list` (its masked key, the
 * source it names, the region). Every case runs with temporary AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE and
 * exactly the environment of the case. Secrets are compared in memory; failures name the case, never a value.
 *
 * Left out on purpose (unit-tested in credentials.test.ts): profiles that would make the CLI call STS, SSO or a
 * process, AWS_REGION (the SDKs' variable, which CLI v1 ignores), and a byte order mark (which the CLI rejects).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CredentialsError, resolveCredentials, resolveRegion, type Credentials } from "../../../lib/aws/credentials.ts";
import { awsCli, botocore } from "../../support/botocore.ts";

interface Files {
  credentials?: string;
  config?: string;
}

const FILES: Record<string, Files> = {
  indented: {
    credentials: [
      "[default]",
      "aws_access_key_id = AKIADEFAULT00001",
      "aws_secret_access_key = secret/default+0001",
      "",
      "[indented]",
      "  aws_access_key_id = AKIAINDENTED0002",
      "  aws_secret_access_key = secret-indented-0002",
      "\taws_session_token = token-indented-0002",
      "",
      "[continued]",
      "aws_access_key_id = AKIACONTINUED003",
      "  aws_secret_access_key = secret-continued-0003",
      "",
      "[deeper]",
      "    aws_access_key_id = AKIADEEPER000004",
      "  aws_secret_access_key = secret-deeper-0004",
      "",
    ].join("\n"),
    config: "[default]\nregion = eu-west-1\n\n[profile indented]\n  region = eu-central-1\n",
  },
  crlfAndComments: {
    credentials: [
      "# a comment",
      "; another",
      "[crlf]",
      "AWS_ACCESS_KEY_ID: AKIACRLF00000005",
      "aws_secret_access_key=secret-crlf-0005 ; not a comment",
      "   # an indented comment",
      "aws_session_token =    token-crlf-0005   ",
      "",
      "[tokens]",
      "aws_access_key_id = AKIATOKENS000006",
      "aws_secret_access_key = secret-tokens-0006",
      "aws_session_token = session-0006",
      "aws_security_token = security-0006",
      "",
    ].join("\r\n"),
    config: "[profile crlf]\r\nregion = sa-east-1\r\n",
  },
  profilesAndNesting: {
    credentials: [
      "[both]",
      "aws_access_key_id = AKIACREDSBOTH007",
      "aws_secret_access_key = secret-creds-both-0007",
      "region = eu-south-1",
      "[profile cfg]",
      "aws_access_key_id = AKIAWRONGPROFILE",
      "aws_secret_access_key = not-the-cfg-profile",
      "",
    ].join("\n"),
    config: [
      "[default]",
      "region = eu-west-1",
      "[profile cfg]",
      "aws_access_key_id = AKIACONFIGCFG008",
      "aws_secret_access_key = secret-config-cfg-0008",
      "region = ap-southeast-2",
      "s3 =",
      "",
      "  max_concurrent_requests = 20",
      "  # a comment inside",
      "  region = us-west-1",
      "[bare]",
      "aws_access_key_id = AKIABARE00000009",
      "aws_secret_access_key = secret-bare-0009",
      "[profile both]",
      "region = eu-north-1",
      "aws_access_key_id = AKIACONFIGBOTH10",
      "aws_secret_access_key = secret-config-both-0010",
      "[ profile spaced ]",
      "aws_access_key_id = AKIASPACED000011",
      "aws_secret_access_key = secret-spaced-0011",
      "[profilefoo odd]",
      "aws_access_key_id = AKIAODDPROFILE12",
      "aws_secret_access_key = secret-odd-0012",
      "region = ca-central-1",
      "[profile  \"quoted one\"  ]",
      "aws_access_key_id = AKIAQUOTED000013",
      "aws_secret_access_key = secret-quoted-0013",
      "[profile default]",
      "region = me-south-1",
      "[profile three words]",
      "region = af-south-1",
      "",
    ].join("\n"),
  },
  defaultSection: {
    credentials: "[DEFAULT]\naws_secret_access_key = secret-from-DEFAULT-14\nregion = ap-south-1\n[x]\naws_access_key_id = AKIAXFROMDEFAULT\n[y]\naws_access_key_id = AKIAYOWNSECRET15\naws_secret_access_key = secret-y-0015\n",
    config: "[profile x]\nregion = eu-west-3\n",
  },
  duplicateSection: {
    credentials: "[default]\naws_access_key_id = AKIADUP000000016\naws_secret_access_key = s16\n[other]\nx = 1\n[other]\ny = 2\n",
  },
  duplicateKey: {
    credentials: "[default]\naws_access_key_id = AKIADUPKEY000017\naws_access_key_id = AKIADUPKEY000018\naws_secret_access_key = s17\n",
  },
  keyBeforeSection: {
    config: "region = us-east-2\n[default]\nregion = eu-west-1\n",
    credentials: "[default]\naws_access_key_id = AKIAORPHAN000019\naws_secret_access_key = s19\n",
  },
  garbageLine: {
    credentials: "[default]\naws_access_key_id = AKIAGARBAGE00020\nthis line has no delimiter\naws_secret_access_key = s20\n",
  },
  badNesting: {
    config: "[default]\ns3 =\n  no delimiter here\n",
    credentials: "[default]\naws_access_key_id = AKIABADNEST00021\naws_secret_access_key = s21\n",
  },
  configOnly: {
    config: "[default]\naws_access_key_id = AKIACONFIGONLY22\naws_secret_access_key = secret-config-only-22\naws_session_token = token-config-only-22\nregion = us-east-2\n",
  },
  partial: {
    credentials: "[nosecret]\naws_access_key_id = AKIANOSECRET0023\n[nokey]\naws_secret_access_key = secret-without-key-0023\nregion = eu-west-2\n",
  },
  none: {},
};

const ENV_KEYS = { AWS_ACCESS_KEY_ID: "AKIAFROMENV00024", AWS_SECRET_ACCESS_KEY: "secret-from-env-0024", AWS_SESSION_TOKEN: "token-from-env-0024" };

interface Case {
  name: string;
  files: Files;
  env: Record<string, string>;
  profile?: string;
  /** Also asked of the real CLI (about 0.5 s a case, so a sample). */
  cli: boolean;
}

/** The profiles also asked of the real CLI with --profile (it takes about a second a call on a busy machine). */
const CLI_PROFILES = ["indented", "continued", "deeper", "crlf", "cfg", "both", "spaced", "odd", "x"];
const PROFILES = ["default", "indented", "continued", "deeper", "crlf", "tokens", "both", "cfg", "bare", "profile cfg", "spaced", "odd", "quoted one", "three words", "x", "y", "nosecret", "nokey", "nope"];

function cases(): Case[] {
  const out: Case[] = [];
  for (const [fileName, files] of Object.entries(FILES)) {
    const add = (label: string, env: Record<string, string>, profile?: string, cli = false) => out.push({ name: `${fileName}: ${label}`, files, env, profile, cli });
    add("nothing set", {}, undefined, true);
    add("environment keys", { ...ENV_KEYS });
    add("AWS_DEFAULT_REGION", { AWS_DEFAULT_REGION: "us-west-2" });
    for (const p of PROFILES) {
      if (!mentions(files, p)) continue;
      const section = new RegExp(`\\[(\\s*profile\\s+"?)?${p}\\b`).test(`${files.credentials}${files.config}`);
      add(`AWS_PROFILE=${p}`, { AWS_PROFILE: p });
      add(`--profile ${p}`, {}, p, section && CLI_PROFILES.includes(p));
      add(`environment keys, AWS_PROFILE=${p}`, { ...ENV_KEYS, AWS_PROFILE: p }, undefined, section && p === "indented");
      add(`environment keys, --profile ${p}`, { ...ENV_KEYS }, p);
      add(`AWS_DEFAULT_PROFILE=${p} over AWS_PROFILE=default`, { AWS_DEFAULT_PROFILE: p, AWS_PROFILE: "default" });
    }
  }
  return out;
}

function mentions(files: Files, profile: string): boolean {
  if (profile === "nope") return files === FILES.profilesAndNesting || files === FILES.none;
  return `${files.credentials ?? ""}\n${files.config ?? ""}`.includes(profile.split(" ")[0]!);
}

type Answer = { accessKeyId: string; secretAccessKey: string; sessionToken: string | null; region: string | null } | { credentials: null; region: string | null } | { error: string };

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function materialize(c: Case): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-creds-"));
  dirs.push(dir);
  const env: Record<string, string> = { ...c.env, HOME: dir, AWS_CONFIG_FILE: join(dir, "config"), AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials") };
  if (c.files.credentials !== undefined) writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, c.files.credentials);
  if (c.files.config !== undefined) writeFileSync(env.AWS_CONFIG_FILE!, c.files.config);
  return env;
}

type Ours = { credentials: Credentials | undefined; region: string } | { error: string };

function ours(c: Case): Ours {
  try {
    const credentials = resolveCredentials(c.env, c.files, { profile: c.profile });
    return { credentials, region: resolveRegion(c.env, c.files, { profile: c.profile }) };
  } catch (error) {
    if (error instanceof CredentialsError) return { error: error.message };
    throw error;
  }
}

const ALL = cases();
const envs = ALL.map(materialize);

test(`${ALL.length} cases: the same credentials and region as botocore, or an error where botocore fails`, async () => {
  const answers = await botocore<Answer[]>("credentials.py", ALL.map((c, i) => ({ env: envs[i], profile: c.profile ?? null })));
  const problems: string[] = [];
  ALL.forEach((c, i) => {
    const reference = answers[i]!;
    const mine = ours(c);
    if ("error" in reference) {
      if (!("error" in mine)) problems.push(`${c.name}: botocore fails (${reference.error}), trailpost resolves`);
      return;
    }
    if ("error" in mine) {
      // botocore finds no credentials for a named profile: the CLI then fails too ("Unable to locate credentials")
      if ("credentials" in reference && reference.credentials === null && (c.profile || c.env.AWS_PROFILE || c.env.AWS_DEFAULT_PROFILE)) return;
      problems.push(`${c.name}: trailpost fails (${mine.error}), botocore resolves`);
      return;
    }
    if ("credentials" in reference) {
      if (mine.credentials) problems.push(`${c.name}: botocore finds no credentials, trailpost does`);
    } else {
      const m = mine.credentials;
      if (!m) problems.push(`${c.name}: botocore finds credentials, trailpost none`);
      else {
        if (m.accessKeyId !== reference.accessKeyId) problems.push(`${c.name}: a different access key id`);
        if (m.secretAccessKey !== reference.secretAccessKey) problems.push(`${c.name}: a different secret`);
        if ((m.sessionToken ?? null) !== reference.sessionToken) problems.push(`${c.name}: a different session token`);
      }
    }
    if (mine.region !== (reference.region ?? "us-east-1")) problems.push(`${c.name}: region ${mine.region}, botocore ${reference.region}`);
  });
  assert.deepEqual(problems, []);
});

test(`${ALL.filter((c) => c.cli).length} of them: the same as the real \`aws configure list\`: which key (its last four characters), and the region`, async () => {
  const problems: string[] = [];
  const queue = ALL.map((c, i) => ({ c, env: envs[i]! })).filter(({ c }) => c.cli);
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const { c, env } = item;
      const listed = await awsCli(["configure", "list", ...(c.profile ? ["--profile", c.profile] : [])], env);
      const mine = ours(c);
      const row = (name: string) => new RegExp(`^\\s*${name}\\s+(\\S+)\\s+(\\S+)`, "m").exec(listed.stdout);
      if (listed.code !== 0) {
        if (!("error" in mine)) problems.push(`${c.name}: aws configure list fails (exit ${listed.code}), trailpost resolves`);
        continue;
      }
      const key = row("access_key")?.[1];
      const region = row("region")?.[1];
      if ("error" in mine) {
        if (key === "<not" && (c.profile || c.env.AWS_PROFILE || c.env.AWS_DEFAULT_PROFILE)) continue; // no credentials: the CLI fails on use
        problems.push(`${c.name}: trailpost fails (${mine.error}), aws configure list shows ${key === "<not" ? "no key" : "a key"}`);
        continue;
      }
      if (key === "<not") {
        if (mine.credentials) problems.push(`${c.name}: aws configure list shows no key, trailpost has one`);
      } else if (!mine.credentials || key !== `****************${mine.credentials.accessKeyId.slice(-4)}`) {
        problems.push(`${c.name}: aws configure list shows another access key`);
      }
      const cliRegion = region === "<not" ? "us-east-1" : region;
      if (mine.region !== cliRegion) problems.push(`${c.name}: region ${mine.region}, aws configure list ${cliRegion}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  assert.deepEqual(problems, []);
});
