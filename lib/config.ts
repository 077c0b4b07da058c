/**
 * Configuration from flags and environment variables: every setting has both, the flag wins. Values are
 * checked before anything runs; problems are collected and reported together (scripts exit 2 on them).
 *
 * ```ts
 * const config = readConfig(["bucket", "date", "esUrl"], args, env); // throws ConfigError listing every problem
 * ```
 */
import { DayError, parseDay, selectDays } from "./cloudtrail/days.ts";
import { redactUrl } from "./errors.ts";

export interface Setting {
  env: string;
  flag: string;
  help: string;
  /** Returns an error message, or undefined when the value is fine. */
  check?: (value: string) => string | undefined;
  /** Never printed, never part of an error message. */
  secret?: boolean;
  /** A flag without a value (`--gzip`): "true" when present. */
  boolean?: boolean;
}

const url = (name: string) => (v: string) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `${name} must be an http(s) URL, not ${quote(redactUrl(v))}`;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return `${name} must be an http(s) URL, not ${quote(redactUrl(v))}`;
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
  } catch {
    return `${name}: the user name or password in ${quote(redactUrl(v))} is not valid percent-encoding (a % must start %XX, and %XX sequences must be UTF-8); its value is not shown`;
  }
  return undefined;
};
/** A secret that goes into a header as it is (ES_API_KEY); the message never shows it. */
const headerSecret = (name: string) => (v: string) => secretProblem(name, v);
const pattern = (name: string, re: RegExp, what: string) => (v: string) => (re.test(v) ? undefined : `${name} must be ${what}, not ${quote(v)}`);
const list = (name: string, re: RegExp, what: string) => (v: string) => {
  const bad = v.split(",").map((s) => s.trim()).filter((s) => !re.test(s));
  return bad.length ? `${name} must be a comma-separated list of ${what}, not ${quote(v)}` : undefined;
};
/** A check for a positive whole number (`name` is what the message calls it), for extra flags of a script. */
export const positive = (name: string) => (v: string) => (/^[1-9]\d*$/.test(v) ? undefined : `${name} must be a positive whole number, not ${quote(v)}`);
const count = (name: string) => (v: string) => (/^\d+$/.test(v) ? undefined : `${name} must be a whole number, not ${quote(v)}`);
const day = (name: string) => (v: string) => {
  try {
    parseDay(v, name);
    return undefined;
  } catch (error) {
    if (error instanceof DayError) return error.message;
    throw error;
  }
};
const path = (name: string) => (v: string) => (/[\0\n\r]/.test(v) ? `${name} must be a file path, not ${quote(v)}` : undefined);

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export const SETTINGS = {
  region: { env: "AWS_REGION", flag: "--region", help: "AWS region (also AWS_DEFAULT_REGION, the profile's region; default us-east-1)", check: pattern("AWS_REGION", REGION, "an AWS region like us-east-1") },
  profile: { env: "AWS_PROFILE", flag: "--profile", help: "profile in ~/.aws/credentials and ~/.aws/config", check: pattern("AWS_PROFILE", /^[\w.+@-]+$/, "a profile name") },
  endpoint: { env: "AWS_ENDPOINT_URL", flag: "--endpoint-url", help: "custom AWS endpoint for every service (LocalStack: http://127.0.0.1:4566)", check: url("AWS_ENDPOINT_URL") },
  s3Endpoint: { env: "AWS_ENDPOINT_URL_S3", flag: "--s3-endpoint-url", help: "custom S3 endpoint (wins over AWS_ENDPOINT_URL)", check: url("AWS_ENDPOINT_URL_S3") },
  sqsEndpoint: { env: "AWS_ENDPOINT_URL_SQS", flag: "--sqs-endpoint-url", help: "custom SQS endpoint (wins over AWS_ENDPOINT_URL)", check: url("AWS_ENDPOINT_URL_SQS") },
  queueUrl: { env: "CLOUDTRAIL_QUEUE_URL", flag: "--queue-url", help: "the SQS queue of the trail's S3 events (setup.ts prints it)", check: url("CLOUDTRAIL_QUEUE_URL") },
  bucket: { env: "CLOUDTRAIL_BUCKET", flag: "--bucket", help: "the trail's S3 bucket", check: pattern("CLOUDTRAIL_BUCKET", /^(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name (3-63 of a-z 0-9 . -)") },
  prefix: { env: "CLOUDTRAIL_PREFIX", flag: "--prefix", help: "key prefix before AWSLogs/ (the trail's S3 key prefix)", check: pattern("CLOUDTRAIL_PREFIX", /^[\w!\-.*'()/=+@,&$:;? ]{0,900}$/, "an S3 key prefix") },
  accounts: { env: "CLOUDTRAIL_ACCOUNTS", flag: "--accounts", help: "comma-separated account ids (default: all found)", check: list("CLOUDTRAIL_ACCOUNTS", /^\d{12}$/, "12-digit account ids") },
  regions: { env: "CLOUDTRAIL_REGIONS", flag: "--regions", help: "comma-separated regions (default: all found)", check: list("CLOUDTRAIL_REGIONS", REGION, "AWS regions") },
  orgId: { env: "CLOUDTRAIL_ORG_ID", flag: "--org-id", help: "organization id of an organization trail (default: found)", check: pattern("CLOUDTRAIL_ORG_ID", /^o-[a-z0-9]{10,32}$/, "an organization id like o-a1b2c3d4e5") },
  date: { env: "DATE", flag: "--date", help: "one day, YYYY-MM-DD (UTC)", check: day("DATE") },
  from: { env: "FROM", flag: "--from", help: "first day of a range, YYYY-MM-DD", check: day("FROM") },
  to: { env: "TO", flag: "--to", help: "last day of a range, YYYY-MM-DD (inclusive)", check: day("TO") },
  esUrl: { env: "ES_URL", flag: "--es-url", help: "Elasticsearch or OpenSearch URL", check: url("ES_URL") },
  esApiKey: { env: "ES_API_KEY", flag: "--es-api-key", help: "API key (Authorization: ApiKey …); prefer ES_API_KEY_FILE", secret: true, check: headerSecret("ES_API_KEY") },
  esApiKeyFile: { env: "ES_API_KEY_FILE", flag: "--es-api-key-file", help: "file holding the API key (a trailing newline is ignored)", check: path("ES_API_KEY_FILE") },
  esUsername: { env: "ES_USERNAME", flag: "--es-username", help: "basic auth user" },
  esPassword: { env: "ES_PASSWORD", flag: "--es-password", help: "basic auth password; prefer ES_PASSWORD_FILE", secret: true },
  esPasswordFile: { env: "ES_PASSWORD_FILE", flag: "--es-password-file", help: "file holding the basic auth password (a trailing newline is ignored)", check: path("ES_PASSWORD_FILE") },
  esAws: { env: "ES_AWS_SIGV4", flag: "--es-aws-sigv4", help: "sign requests with SigV4: es (Amazon OpenSearch Service) or aoss (Serverless)", check: pattern("ES_AWS_SIGV4", /^(es|aoss)$/, "es or aoss") },
  esCaCert: { env: "ES_CA_CERT", flag: "--es-ca-cert", help: "PEM file of CA certificates to trust for ES_URL", check: path("ES_CA_CERT") },
  esGzip: { env: "ES_GZIP", flag: "--es-gzip", help: "gzip request bodies (true/false)", check: pattern("ES_GZIP", /^(true|false|1|0)$/, "true or false") },
  indexPrefix: { env: "INDEX_PREFIX", flag: "--index-prefix", help: "indices are <prefix>-YYYY.MM.DD, alias <prefix> (default cloudtrail)", check: pattern("INDEX_PREFIX", /^(?![-_+.])[a-z0-9][a-z0-9._+-]{0,99}$/, "a lower-case index name prefix (a-z 0-9 . _ + -)") },
  bulkBytes: { env: "BULK_MAX_BYTES", flag: "--bulk-max-bytes", help: "upper bound of a _bulk request body (default 3000000)", check: positive("BULK_MAX_BYTES") },
  bulkConcurrency: { env: "BULK_CONCURRENCY", flag: "--bulk-concurrency", help: "_bulk requests in flight: auto (default: found while indexing, up to 16) or a number", check: pattern("BULK_CONCURRENCY", /^(auto|[1-9]\d*)$/, "auto or a positive whole number") },
  bulkRetries: { env: "BULK_RETRIES", flag: "--bulk-retries", help: "retries of rejected items before dead-lettering (default 8)", check: count("BULK_RETRIES") },
  bulkBackoff: { env: "BULK_BACKOFF_MS", flag: "--bulk-backoff-ms", help: "first retry delay in ms, doubling with jitter (default 250)", check: positive("BULK_BACKOFF_MS") },
  deadLetter: { env: "DEAD_LETTER_FILE", flag: "--dead-letter", help: "NDJSON file for records that did not land (default: trailpost-dead-letter.ndjson)" },
  shards: { env: "INDEX_SHARDS", flag: "--index-shards", help: "primary shards of new indices (default 1)", check: positive("INDEX_SHARDS") },
  replicas: { env: "INDEX_REPLICAS", flag: "--index-replicas", help: "replicas of new indices (default: the engine's)", check: count("INDEX_REPLICAS") },
  refreshInterval: { env: "INDEX_REFRESH_INTERVAL", flag: "--index-refresh-interval", help: "refresh interval of new indices, e.g. 30s", check: pattern("INDEX_REFRESH_INTERVAL", /^(-1|\d+(ms|s|m|h))$/, "a time like 30s") },
  quiet: { env: "TRAILPOST_QUIET", flag: "--quiet", help: "no progress and no summary; failures are still printed (true/false)", boolean: true, check: pattern("TRAILPOST_QUIET", /^(true|false|1|0)$/, "true or false") },
  json: { env: "TRAILPOST_JSON", flag: "--json", help: "print the end summary as one JSON object (true/false)", boolean: true, check: pattern("TRAILPOST_JSON", /^(true|false|1|0)$/, "true or false") },
  lifecyclePolicy: { env: "INDEX_LIFECYCLE_POLICY", flag: "--index-lifecycle-policy", help: "ILM (Elasticsearch) or ISM (OpenSearch) policy for new indices", check: pattern("INDEX_LIFECYCLE_POLICY", /^[\w.-]{1,255}$/, "a policy name") },
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

export interface ParsedArgs {
  values: Partial<Record<SettingName, string>>;
  positionals: string[];
  help: boolean;
}

/**
 * Reads the named settings from `args` (flags, `--flag value` or `--flag=value`) and `env`, validates them,
 * and returns the values with the positional arguments. Unknown flags and bad values throw one ConfigError.
 */
export function readConfig(names: readonly SettingName[], args: readonly string[], env: Record<string, string | undefined>, extraFlags: Record<string, Setting> = {}): ParsedArgs & { extra: Record<string, string> } {
  const problems: string[] = [];
  const values: Partial<Record<SettingName, string>> = {};
  const extra: Record<string, string> = {};
  const positionals: string[] = [];
  let help = false;
  const byFlag = new Map<string, { name: string; setting: Setting; extra: boolean }>();
  for (const name of names) byFlag.set(SETTINGS[name].flag, { name, setting: SETTINGS[name], extra: false });
  for (const [name, setting] of Object.entries(extraFlags)) byFlag.set(setting.flag, { name, setting, extra: true });

  for (const name of names) {
    const v = env[SETTINGS[name].env];
    if (v !== undefined && v !== "") values[name] = v;
  }
  for (const [name, setting] of Object.entries(extraFlags)) {
    const v = setting.env ? env[setting.env] : undefined;
    if (v !== undefined && v !== "") extra[name] = v;
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const known = byFlag.get(flag);
    if (!known) {
      problems.push(`unknown option ${flag}`);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (known.setting.boolean) value = "true";
    else value = args[++i];
    if (value === undefined) {
      problems.push(`${flag} needs a value`);
      continue;
    }
    if (known.extra) extra[known.name] = value;
    else values[known.name as SettingName] = value;
  }
  for (const name of names) {
    const v = values[name];
    const check = (SETTINGS[name] as Setting).check;
    if (v !== undefined && check) {
      const problem = check(v);
      if (problem) problems.push(problem);
    }
  }
  for (const [name, setting] of Object.entries(extraFlags)) {
    const v = extra[name];
    if (v !== undefined && setting.check) {
      const problem = setting.check(v);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { values, positionals, help, extra };
}

/** The days of `--date`, or `--from`/`--to`; a ConfigError when missing or not calendar days. */
export function daysOf(values: Partial<Record<SettingName, string>>): string[] {
  try {
    return selectDays({ date: values.date, from: values.from, to: values.to });
  } catch (error) {
    if (error instanceof DayError) throw new ConfigError([error.message]);
    throw error;
  }
}

/**
 * The value one setting gets from `args` or `env` (the flag wins), before and apart from the full check: for what
 * must be arranged before a script reads its configuration (trusting ES_CA_CERT under Node).
 */
export function peekSetting(name: SettingName, args: readonly string[], env: Record<string, string | undefined>): string | undefined {
  const { flag, env: variable } = SETTINGS[name] as Setting;
  let value: string | undefined;
  for (let i = 0; i < args.length && args[i] !== "--"; i++) {
    const arg = args[i]!;
    if (arg === flag) value = args[++i];
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  }
  if (value !== undefined && value !== "") return value;
  const fromEnv = env[variable];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/**
 * Warnings about how credentials are handed over, one line each: a secret given as a flag (other users of the
 * machine see it in `ps`), and credentials sent over plain http:// to a host that is not this machine.
 */
export function credentialWarnings(values: Partial<Record<SettingName, string>>, args: readonly string[]): string[] {
  const warnings: string[] = [];
  for (const name of ["esApiKey", "esPassword"] as const) {
    const { flag, env } = SETTINGS[name];
    const end = args.indexOf("--");
    if ((end < 0 ? args : args.slice(0, end)).some((a) => a === flag || a.startsWith(`${flag}=`))) {
      warnings.push(`${flag} on the command line is visible to other users of this machine (ps); set ${env} or ${env}_FILE instead`);
    }
  }
  const target = values.esUrl ? safeUrl(values.esUrl) : undefined;
  if (target?.protocol === "http:" && !isLoopback(target.hostname)) {
    const sent = [
      (values.esApiKey || values.esApiKeyFile) && "the API key",
      (values.esPassword || values.esPasswordFile || target.password) && "the password",
      values.esAws && "SigV4-signed requests with the AWS session token",
    ].filter(Boolean);
    if (sent.length) warnings.push(`ES_URL is plain http:// to ${target.host}: ${sent.join(" and ")} would cross the network unencrypted; use https://`);
  }
  return warnings;
}

/**
 * What is wrong with a secret that goes into an HTTP header as it is (an API key, an AWS access key id or session
 * token), or undefined: a line break, another control character (but tab) or a character above U+00FF cannot be
 * sent in a header. `variable` names where it came from; the message says what and where (the character's
 * position), never the value nor any part of it.
 */
export function secretProblem(variable: string, value: string): string | undefined {
  const bad = /[\0-\x08\x0a-\x1f\x7f]|[^\0-\xff]/u.exec(value);
  if (!bad) return undefined;
  const code = bad[0].codePointAt(0)!;
  const what = code === 10 || code === 13 ? "a line break" : code < 0x80 ? "a control character" : "a character above U+00FF";
  return `${variable} holds ${what} (character ${bad.index + 1} of ${value.length}), which cannot be sent in an HTTP header; check how it was set (its value is not shown)`;
}

/** This machine: localhost, *.localhost, 127.0.0.0/8, ::1 (and 127.x mapped into IPv6), as URL writes them. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(h);
}

/** Usage text for a script: its own lines, then its settings with flags and environment variables. */
export function usage(head: string, names: readonly SettingName[], extraFlags: Record<string, Setting> = {}): string {
  const rows = [...names.map((n) => SETTINGS[n] as Setting), ...Object.values(extraFlags)].map((s) => {
    const left = `  ${s.flag}${s.boolean ? "" : " VALUE"}${s.env ? `  (${s.env})` : ""}`;
    return `${left.padEnd(52)} ${s.help}`;
  });
  return `${head.trim()}\n\nOptions (flag, or environment variable):\n${rows.join("\n")}\n  --help${" ".repeat(45)}this help`;
}

function quote(v: string): string {
  return JSON.stringify(v);
}

function safeUrl(v: string): URL | undefined {
  try {
    return new URL(v);
  } catch {
    return undefined;
  }
}

