/**
 * What the scripts that connect share: turning validated settings into AWS, S3, SQS and search clients, the
 * indexing options, and the indexing summary lines. (How a script runs, and the words of summaries: run.ts.)
 */
import { resolveCredentials, resolveRegion, type Credentials } from "../../lib/aws/credentials.ts";
import { REGION, S3 } from "../../lib/aws/s3.ts";
import { SQS } from "../../lib/aws/sqs.ts";
import { ConfigError, credentialWarnings, secretProblem, SETTINGS, type SettingName } from "../../lib/config.ts";
import type { TrailLocation } from "../../lib/cloudtrail/objects.ts";
import type { Ledger } from "../../lib/ledger.ts";
import { SearchClient } from "../../lib/search/client.ts";
import { deadLetterLine, type BulkStats, type DeadLetter } from "../../lib/search/bulk.ts";
import { DeadLetterFile } from "./dead-letters.ts";
import { args, env, fetchTrusting, readSecretFile, sharedAwsFiles } from "./platform.ts";
import { plural } from "./run.ts";

type Values = Partial<Record<SettingName, string>>;

export interface Aws {
  credentials: Credentials;
  region: string;
  s3Endpoint: string | undefined;
}

/**
 * Credentials, region and endpoint as the AWS CLI would find them. `--profile` is the CLI's explicit profile: it
 * wins over keys in the environment, where `AWS_PROFILE` does not; `--region` wins over everything.
 */
export function awsFrom(values: Values): Aws {
  const e = { ...env() };
  if (values.region) e.AWS_REGION = values.region;
  const explicit = flagGiven(args(), "--profile") ? values.profile : undefined;
  const files = {
    ...sharedAwsFiles(e),
    credentialsPath: e.AWS_SHARED_CREDENTIALS_FILE || "~/.aws/credentials",
    configPath: e.AWS_CONFIG_FILE || "~/.aws/config",
  };
  const credentials = resolveCredentials(e, files, { profile: explicit });
  if (!credentials) {
    throw new ConfigError([
      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials (for LocalStack any values do, e.g. test/test)",
    ]);
  }
  const region = resolveRegion(e, files, { profile: explicit });
  const s3Endpoint = values.s3Endpoint ?? values.endpoint;
  // the region becomes part of S3's host name (with a custom endpoint, only of the signature)
  if (!(s3Endpoint ? /^[a-z0-9-]{1,64}$/ : REGION).test(region)) {
    throw new ConfigError([`the AWS region ${JSON.stringify(region)} (from AWS_DEFAULT_REGION or the profile) is not a region name like us-east-1`]);
  }
  return { credentials, region, s3Endpoint };
}

export function s3From(aws: Aws): S3 {
  return new S3({ credentials: aws.credentials, region: aws.region, endpoint: aws.s3Endpoint });
}

/** SQS: AWS_ENDPOINT_URL_SQS, then AWS_ENDPOINT_URL; otherwise the endpoint of the queue URL's region. */
export function sqsFrom(aws: Aws, values: Values): SQS {
  return new SQS({ credentials: aws.credentials, region: aws.region, endpoint: values.sqsEndpoint ?? values.endpoint });
}

export const DEFAULT_ES_URL = "http://127.0.0.1:9200";

/** The search client of the validated settings; secrets from files are read here, and credential warnings given. */
export function searchFrom(values: Values): SearchClient {
  const url = values.esUrl ?? DEFAULT_ES_URL;
  const service = values.esAws as "es" | "aoss" | undefined;
  let aws: Aws | undefined;
  if (service) aws = awsFrom(values);
  const gzip = values.esGzip === "true" || values.esGzip === "1";
  warnAboutCredentials(values);
  const apiKey = secretOf(values, "esApiKey", "esApiKeyFile");
  const password = secretOf(values, "esPassword", "esPasswordFile");
  try {
    return new SearchClient({
      url,
      apiKey,
      username: values.esUsername,
      password,
      aws: aws && service ? { credentials: aws.credentials, region: aws.region, service } : undefined,
      gzipAbove: gzip ? 1024 : undefined,
      fetch: fetchTrusting(values.esCaCert),
    });
  } catch (error) {
    throw new ConfigError([error instanceof Error ? error.message : String(error)]);
  }
}

/**
 * Prints the credential warnings of lib/config.ts (a secret as a flag, credentials over plain http) once per run:
 * the scripts that a run starts (blog.ts's steps) inherit TRAILPOST_WARNED and stay quiet.
 */
export function warnAboutCredentials(values: Values): void {
  const e = env();
  if (e.TRAILPOST_WARNED) return;
  for (const warning of credentialWarnings(values, args())) console.error(`warning: ${warning}`);
  e.TRAILPOST_WARNED = "1";
}

/** A secret given directly, or read from its file; both at once is a configuration error. */
function secretOf(values: Values, direct: SettingName, file: SettingName): string | undefined {
  const path = values[file];
  if (path === undefined) return values[direct];
  if (values[direct] !== undefined) throw new ConfigError([`give ${SETTINGS[direct].env} or ${SETTINGS[file].env}, not both`]);
  let secret: string;
  try {
    secret = readSecretFile(SETTINGS[file].env, path);
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
  // the API key goes into a header as it is (a password is base64-encoded first)
  const problem = direct === "esApiKey" ? secretProblem(`${SETTINGS[file].env} (${path})`, secret) : undefined;
  if (problem) throw new ConfigError([problem]);
  return secret;
}

export function indexPrefixOf(values: Values): string {
  return values.indexPrefix ?? "cloudtrail";
}

/** The indexing summary: records read = indexed + duplicates + dead-lettered (and the concurrency used). */
export function indexingSummary(ledger: Ledger, stats?: BulkStats): string {
  const r = ledger.records;
  const balance = ledger.balanced ? "" : `  (DOES NOT BALANCE: ${r.read} read ≠ ${r.indexed + r.duplicates + r.deadLettered})`;
  const concurrency = stats && stats.requests ? `; ${stats.adaptive ? `concurrency settled at ${stats.concurrency} (adaptive, up to ${stats.peak})` : `concurrency ${stats.concurrency}`}` : "";
  return `${plural(r.read, "record")} read: ${r.indexed.toLocaleString("en-US")} indexed, ${r.duplicates.toLocaleString("en-US")} duplicates, ${r.deadLettered.toLocaleString("en-US")} dead-lettered; ${plural(r.retried, "retry", "retries")}${concurrency}${balance}`;
}

export const INDEXING: SettingName[] = [
  "esUrl", "esApiKey", "esApiKeyFile", "esUsername", "esPassword", "esPasswordFile", "esAws", "esCaCert", "esGzip", "indexPrefix",
  "bulkBytes", "bulkConcurrency", "bulkRetries", "bulkBackoff", "deadLetter",
  "shards", "replicas", "refreshInterval", "lifecyclePolicy",
];

/**
 * The search client, template settings and bulk options of the validated settings. `reads`: the NDJSON files
 * (or stdin) the run indexes, so that a replay of the dead-letter file never reads its own output.
 */
export function indexingFrom(name: string, values: Values, ledger: Ledger, reads: readonly string[] | "stdin" = [], defaultDeadLetter = "trailpost-dead-letter.ndjson") {
  const client = searchFrom(values);
  const deadLetters = DeadLetterFile.open(values.deadLetter ?? defaultDeadLetter, reads);
  let lastNote = 0;
  return {
    client,
    serverless: values.esAws === "aoss",
    deadLetters,
    template: {
      shards: values.shards ? Number(values.shards) : undefined,
      replicas: values.replicas ? Number(values.replicas) : undefined,
      refreshInterval: values.refreshInterval,
      lifecyclePolicy: values.lifecyclePolicy,
    },
    options: {
      indexPrefix: indexPrefixOf(values),
      ledger,
      deadLetter: (entry: DeadLetter) => {
        deadLetters.name(`${entry.record.object} (position ${entry.record.position})`, entry.reason);
        return deadLetters.write(deadLetterLine(entry));
      },
      maxBytes: values.bulkBytes ? Number(values.bulkBytes) : undefined,
      concurrency: values.bulkConcurrency && values.bulkConcurrency !== "auto" ? Number(values.bulkConcurrency) : ("auto" as const),
      stats: { concurrency: 0, peak: 0, adaptive: true, requests: 0 } as BulkStats,
      maxRetries: values.bulkRetries !== undefined ? Number(values.bulkRetries) : undefined,
      backoffMs: values.bulkBackoff ? Number(values.bulkBackoff) : undefined,
      onRetry: (info: { attempt: number; items: number; reason: string; delayMs: number }) => {
        if (Date.now() - lastNote < 1000) return;
        lastNote = Date.now();
        console.error(`${name}: retrying ${plural(info.items, "item")} in ${info.delayMs} ms (attempt ${info.attempt}): ${info.reason}`);
      },
    },
  };
}

/**
 * The summary's last lines about dead letters: the first ones named (the record's object and line or position, and
 * the reason; "… and N more"), then where they are, and how to replay them.
 */
export function deadLetterNote(name: string, ledger: Ledger, deadLetters: DeadLetterFile): string | undefined {
  const count = ledger.records.deadLettered;
  if (!count) return deadLetters.replaying ? `${name}: every record of ${deadLetters.path} landed; the file is removed` : undefined;
  const named = deadLetters.named.map((d) => `${name}: DEAD-LETTERED ${d.subject}: ${d.reason}`);
  if (count > named.length && named.length) named.push(`${name}: … and ${plural(count - named.length, "more dead letter")}`);
  return [...named, `${name}: ${plural(count, "dead letter")} in ${deadLetters.path}; fix the cause, then replay: bulk.ts ${deadLetters.path}`].join("\n");
}

/** Where the trail's logs are: the bucket (required), its key prefix, and the accounts, regions and org if given. */
export function locationFrom(values: Values): TrailLocation {
  if (!values.bucket) throw new ConfigError(["no bucket: set CLOUDTRAIL_BUCKET or --bucket"]);
  const list = (v: string | undefined) => v?.split(",").map((s) => s.trim());
  return { bucket: values.bucket, prefix: values.prefix, orgId: values.orgId, accounts: list(values.accounts), regions: list(values.regions) };
}

/** Whether a flag was given on the command line (`--flag value` or `--flag=value`), not taken from the environment. */
function flagGiven(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === flag || a.startsWith(`${flag}=`));
}
