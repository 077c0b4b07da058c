/**
 * Settings of the local emulator stack, read from the environment. Every default is the one the README names;
 * every value can be overridden.
 *
 * | variable              | default                              |
 * |-----------------------|--------------------------------------|
 * | EMULATORS             | auto (docker when an engine answers, else host processes) |
 * | LOCALSTACK_PORT       | 4566                                 |
 * | LOCALSTACK_VERSION    | 4.14.0                               |
 * | LOCALSTACK_IMAGE      | localstack/localstack:$LOCALSTACK_VERSION (docker only) |
 * | SEARCH_PORT           | 9200                                 |
 * | SEARCH_ENGINE         | auto: Elasticsearch 9.x where a JDK 21+ is found, else OpenSearch 2.19 (emulators/engines.ts) |
 * | SEARCH_VERSION        | the engine's pinned version; a line ("8") picks its pinned version |
 * | SEARCH_HEAP           | 1g (host only; -Xms256m -Xmx$SEARCH_HEAP) |
 * | OPENSEARCH_VERSION, OPENSEARCH_HEAP | older names: SEARCH_ENGINE=opensearch SEARCH_VERSION=…, SEARCH_HEAP |
 * | JAVA_HOME, JDK_DIRS   | where JDKs are looked for (emulators/jdk.ts); default JDK_DIRS /usr/lib/jvm |
 * | ELASTICSEARCH_IMAGE   | docker.elastic.co/elasticsearch/elasticsearch:<the host launcher's version> (docker only) |
 * | EMULATORS_DIR         | .emulators (venv, Maven build, data, logs, pid files) |
 * | EMULATORS_TIMEOUT     | 60 (seconds to wait for readiness)   |
 * | PYTHON                | the first Python >= 3.13 found (LocalStack 4.14 needs it) |
 */
import { resolve } from "node:path";
import { EngineError, resolveEngine, type Family } from "./engines.ts";

export type ModeSetting = "auto" | "host" | "docker";

export interface StackConfig {
  mode: ModeSetting;
  root: string;
  dir: string;
  timeoutMs: number;
  localstack: { port: number; version: string; image: string; authToken: string | undefined };
  search: { port: number; engine: Family | "auto"; version: string | undefined; heap: string; elasticsearchImage: string };
  python: string | undefined;
  /** What JDK discovery reads (emulators/jdk.ts). */
  jdkEnv: { JAVA_HOME?: string; JDK_DIRS?: string; PATH?: string };
}

export class ConfigError extends Error {}

export function readStackConfig(env: Record<string, string | undefined>, root: string): StackConfig {
  const mode = (env.EMULATORS ?? "auto").trim() || "auto";
  if (mode !== "auto" && mode !== "host" && mode !== "docker") {
    throw new ConfigError(`EMULATORS must be auto, host or docker, not ${JSON.stringify(mode)}`);
  }
  const lsVersion = version(env, "LOCALSTACK_VERSION", "4.14.0");
  const { engine, version: searchVersion } = searchEngine(env);
  const heapName = env.SEARCH_HEAP ? "SEARCH_HEAP" : env.OPENSEARCH_HEAP ? "OPENSEARCH_HEAP" : "SEARCH_HEAP";
  const heap = env[heapName] || "1g";
  if (!/^\d+[mg]$/.test(heap)) throw new ConfigError(`${heapName} must look like 512m or 1g, not ${JSON.stringify(heap)}`);
  let dockerElasticsearch: string;
  try {
    dockerElasticsearch = resolveEngine("elasticsearch", engine === "elasticsearch" ? searchVersion : undefined).version;
    if (engine === "opensearch") resolveEngine("opensearch", searchVersion);
  } catch (error) {
    throw new ConfigError((error as EngineError).message);
  }
  const timeout = Number(env.EMULATORS_TIMEOUT ?? "60");
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new ConfigError(`EMULATORS_TIMEOUT must be a positive number of seconds, not ${JSON.stringify(env.EMULATORS_TIMEOUT)}`);
  }
  return {
    mode,
    root,
    dir: resolve(root, env.EMULATORS_DIR ?? ".emulators"),
    timeoutMs: timeout * 1000,
    localstack: {
      port: port(env, "LOCALSTACK_PORT", 4566),
      version: lsVersion,
      image: env.LOCALSTACK_IMAGE ?? `localstack/localstack:${lsVersion}`,
      authToken: env.LOCALSTACK_AUTH_TOKEN || undefined,
    },
    search: {
      port: port(env, "SEARCH_PORT", 9200),
      engine,
      version: searchVersion,
      heap,
      elasticsearchImage: env.ELASTICSEARCH_IMAGE || `docker.elastic.co/elasticsearch/elasticsearch:${dockerElasticsearch}`,
    },
    python: env.PYTHON || undefined,
    jdkEnv: { JAVA_HOME: env.JAVA_HOME || undefined, JDK_DIRS: env.JDK_DIRS, PATH: env.PATH },
  };
}

/** SEARCH_ENGINE and SEARCH_VERSION, or the older OPENSEARCH_VERSION (which means OpenSearch). */
function searchEngine(env: Record<string, string | undefined>): { engine: Family | "auto"; version: string | undefined } {
  const raw = (env.SEARCH_ENGINE ?? "").trim().toLowerCase() || "auto";
  if (raw !== "auto" && raw !== "elasticsearch" && raw !== "opensearch") {
    throw new ConfigError(`SEARCH_ENGINE must be elasticsearch, opensearch or auto, not ${JSON.stringify(env.SEARCH_ENGINE)}`);
  }
  const version = (env.SEARCH_VERSION ?? "").trim() || undefined;
  const legacy = (env.OPENSEARCH_VERSION ?? "").trim() || undefined;
  if (legacy && raw === "auto" && !version) return { engine: "opensearch", version: legacy };
  if (version && raw === "auto") throw new ConfigError(`SEARCH_VERSION=${version} needs SEARCH_ENGINE=elasticsearch or SEARCH_ENGINE=opensearch`);
  return { engine: raw, version };
}

function port(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(`${name} must be a TCP port (1-65535), not ${JSON.stringify(raw)}`);
  return n;
}

function version(env: Record<string, string | undefined>, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+\.\d+\.\d+$/.test(raw)) throw new ConfigError(`${name} must be a version like ${fallback}, not ${JSON.stringify(raw)}`);
  return raw;
}
