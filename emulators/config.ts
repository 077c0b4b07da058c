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
 * | OPENSEARCH_VERSION    | 2.19.6 (host only)                   |
 * | OPENSEARCH_HEAP       | 1g (host only; -Xms512m -Xmx$OPENSEARCH_HEAP) |
 * | ELASTICSEARCH_IMAGE   | docker.elastic.co/elasticsearch/elasticsearch:9.2.0 (docker only) |
 * | EMULATORS_DIR         | .emulators (venv, Maven build, data, logs, pid files) |
 * | EMULATORS_TIMEOUT     | 60 (seconds to wait for readiness)   |
 * | PYTHON                | the first Python >= 3.13 found (LocalStack 4.14 needs it) |
 */
import { resolve } from "node:path";

export type ModeSetting = "auto" | "host" | "docker";

export interface StackConfig {
  mode: ModeSetting;
  root: string;
  dir: string;
  timeoutMs: number;
  localstack: { port: number; version: string; image: string; authToken: string | undefined };
  search: { port: number; openSearchVersion: string; heap: string; elasticsearchImage: string };
  python: string | undefined;
}

export class ConfigError extends Error {}

export function readStackConfig(env: Record<string, string | undefined>, root: string): StackConfig {
  const mode = (env.EMULATORS ?? "auto").trim() || "auto";
  if (mode !== "auto" && mode !== "host" && mode !== "docker") {
    throw new ConfigError(`EMULATORS must be auto, host or docker, not ${JSON.stringify(mode)}`);
  }
  const lsVersion = version(env, "LOCALSTACK_VERSION", "4.14.0");
  const osVersion = version(env, "OPENSEARCH_VERSION", "2.19.6");
  const heap = env.OPENSEARCH_HEAP ?? "1g";
  if (!/^\d+[mg]$/.test(heap)) throw new ConfigError(`OPENSEARCH_HEAP must look like 512m or 1g, not ${JSON.stringify(heap)}`);
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
      openSearchVersion: osVersion,
      heap,
      elasticsearchImage: env.ELASTICSEARCH_IMAGE ?? "docker.elastic.co/elasticsearch/elasticsearch:9.2.0",
    },
    python: env.PYTHON || undefined,
  };
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
