/**
 * An ObjectIndexer (and what to run before the first object) from settings given as environment variables, the
 * same names the scripts read (AWS_*, CLOUDTRAIL_*, ES_*, INDEX_*, BULK_*), for entry points that have nothing
 * but an environment: the edge handler (lib/edge/main.ts) and the Lambda handler (scripts/lambda.ts).
 * Credentials come from the environment only (no shared files on such hosts).
 *
 * ```ts
 * const { indexer, prepare, describe } = indexerFromSettings(env, { decompress });  // throws ConfigError
 * ```
 */
import { resolveCredentials, resolveRegion, type Credentials } from "../aws/credentials.ts";
import { S3 } from "../aws/s3.ts";
import { ConfigError, readConfig, type Setting, type SettingName } from "../config.ts";
import { JqSyntaxError, parseProgram } from "../jq/mod.ts";
import { SearchClient } from "../search/client.ts";
import { prepareIndex } from "../search/indexer.ts";
import type { Engine } from "../search/engine.ts";
import type { Decompress } from "../streams/gunzip.ts";
import { DEFAULT_PROGRAM } from "../streams/select.ts";
import { ObjectIndexer } from "./index-object.ts";

export const INDEXER_SETTINGS: SettingName[] = [
  "bucket", "prefix", "accounts", "regions", "orgId", "region", "endpoint", "s3Endpoint",
  "esUrl", "esApiKey", "esUsername", "esPassword", "esAws", "esGzip", "indexPrefix",
  "bulkBytes", "bulkConcurrency", "bulkRetries", "bulkBackoff", "shards", "replicas", "refreshInterval", "lifecyclePolicy",
];

export interface IndexerPlatform {
  decompress?: Decompress;
  fetch?: typeof fetch;
}

export interface SettingsIndexer {
  indexer: ObjectIndexer;
  /** Detects the engine and installs the template (idempotent): before the first object. */
  prepare: () => Promise<Engine>;
  /** `<prefix>-* on <engine URL>`, never a secret. */
  describe: string;
  credentials: Credentials;
  region: string;
  /** The extra settings read (by the names of `extraFlags`). */
  extra: Record<string, string>;
}

export function indexerFromSettings(env: Record<string, string | undefined>, platform: IndexerPlatform = {}, extraFlags: Record<string, Setting> = {}, selectName = "--select"): SettingsIndexer {
  const { values, extra } = readConfig(INDEXER_SETTINGS, [], env, extraFlags);
  const credentials = resolveCredentials(env);
  if (!credentials) throw new ConfigError(["no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"]);
  const region = resolveRegion(env);
  let program;
  try {
    program = parseProgram(extra.select ?? DEFAULT_PROGRAM);
  } catch (error) {
    if (error instanceof JqSyntaxError) throw new ConfigError([`${selectName}: ${error.message}`]);
    throw error;
  }
  const service = values.esAws as "es" | "aoss" | undefined;
  let client: SearchClient;
  try {
    client = new SearchClient({
      url: values.esUrl ?? "http://127.0.0.1:9200",
      apiKey: values.esApiKey,
      username: values.esUsername,
      password: values.esPassword,
      aws: service ? { credentials, region, service } : undefined,
      gzipAbove: values.esGzip === "true" || values.esGzip === "1" ? 1024 : undefined,
      fetch: platform.fetch,
    });
  } catch (error) {
    throw new ConfigError([error instanceof Error ? error.message : String(error)]);
  }
  const indexPrefix = values.indexPrefix ?? "cloudtrail";
  const list = (v: string | undefined) => v?.split(",").map((s) => s.trim()).filter(Boolean);
  const indexer = new ObjectIndexer({
    s3: new S3({ credentials, region, endpoint: values.s3Endpoint ?? values.endpoint }),
    client,
    indexPrefix,
    program,
    decompress: platform.decompress,
    location: { bucket: values.bucket, prefix: values.prefix, orgId: values.orgId, accounts: list(values.accounts), regions: list(values.regions) },
    maxBytes: num(values.bulkBytes),
    bulk: { concurrency: num(values.bulkConcurrency), maxRetries: num(values.bulkRetries), backoffMs: num(values.bulkBackoff) },
  });
  const template = { shards: num(values.shards), replicas: num(values.replicas), refreshInterval: values.refreshInterval, lifecyclePolicy: values.lifecyclePolicy };
  return {
    indexer,
    prepare: () => prepareIndex(client, indexPrefix, template, service === "aoss"),
    describe: `${indexPrefix}-* on ${client.describe()}`,
    credentials,
    region,
    extra,
  };
}

function num(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}
