/**
 * The local stack: LocalStack (S3, SQS) and a search engine with the Elasticsearch REST API, on 127.0.0.1.
 * `up` is idempotent (a running stack is reused), waits for real readiness and never hangs; `down` stops only
 * what `up` started. Used by `make up|down|status` (scripts/emulators.ts) and by the integration tests'
 * helper (test/support/stack.ts).
 */
import { dirname, join } from "node:path";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import type { StackConfig } from "./config.ts";
import { chooseMode, type Mode } from "./select.ts";
import { probeDocker, startDockerElasticsearch, startDockerLocalStack, stopDockerServices } from "./docker.ts";
import { buildOpenSearch, installLocalStack, preflight, startLocalStack, startOpenSearch, stopEngine, stopHostService, pidFile, type Log } from "./host.ts";
import { portInUse, readPidRecord, sleep, StackError, waitForPortFree } from "./processes.ts";
import { probeLocalStack, probeSearch } from "./probes.ts";

export interface Endpoints {
  /** AWS_ENDPOINT_URL for S3 and SQS. */
  aws: string;
  /** ES_URL */
  search: string;
  region: string;
  /** LocalStack accepts any credentials; these are the conventional ones. */
  accessKeyId: string;
  secretAccessKey: string;
  mode: Mode;
}

const LOCAL_CREDENTIALS = { region: "us-east-1", accessKeyId: "test", secretAccessKey: "test" };

export async function up(config: StackConfig, log: Log): Promise<Endpoints> {
  const release = await lock(join(config.dir, "run", "up.lock"), config.timeoutMs * 2 + 300_000);
  try {
    return await upLocked(config, log);
  } finally {
    release();
  }
}

async function upLocked(config: StackConfig, log: Log): Promise<Endpoints> {
  const { mode, reason } = await chooseMode(config.mode, probeDocker);
  log(`emulators: ${mode} (${reason})`);
  if (mode === "docker") {
    const [aws, search] = await Promise.all([
      startDockerLocalStack(config, log),
      startDockerElasticsearch(config, log, { port: config.search.port, label: "search" }),
    ]);
    return { aws: aws.url, search: search.url, mode, ...LOCAL_CREDENTIALS };
  }
  await preflight(config);
  const results = await Promise.allSettled([
    startLocalStack(config, log),
    startOpenSearch(config, log, { port: config.search.port, home: join(config.dir, "data", `opensearch-${config.search.port}`), service: "search" }),
  ]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => errorText(r.reason));
  if (failures.length) throw new StackError(failures.join("; "));
  const [aws, search] = results.map((r) => (r as PromiseFulfilledResult<{ url: string; reused: boolean }>).value);
  log(`localstack ${aws!.reused ? "already running" : "started"} at ${aws!.url}; search engine ${search!.reused ? "already running" : "started"} at ${search!.url}`);
  return { aws: aws!.url, search: search!.url, mode, ...LOCAL_CREDENTIALS };
}

/** Installs the host-process stack's parts (idempotent): the LocalStack virtualenv and the OpenSearch build. */
export async function install(config: StackConfig, log: Log): Promise<void> {
  await Promise.all([installLocalStack(config, log), buildOpenSearch(config, log)]);
}

export async function down(config: StackConfig, log: Log): Promise<void> {
  const failures: string[] = [];
  for (const [service, port] of [["localstack", config.localstack.port], ["search", config.search.port]] as const) {
    try {
      await stopHostService(config, service, port, log);
    } catch (error) {
      failures.push(errorText(error));
    }
  }
  if (config.mode === "docker" || (config.mode === "auto" && (await chooseMode("auto", probeDocker)).mode === "docker")) {
    await stopDockerServices(log);
    for (const port of [config.localstack.port, config.search.port]) await waitForPortFree(port, 10_000);
  }
  if (failures.length) throw new StackError(failures.join("; "));
  for (const port of [config.localstack.port, config.search.port]) {
    if (await portInUse(port)) log(`port ${port} still answers: that service was not started by make up (no pid file), so it is left alone`);
  }
}

export interface ServiceStatus {
  service: "localstack" | "search";
  url: string;
  running: boolean;
  detail: string;
  startedByUs: string;
}

export async function status(config: StackConfig): Promise<ServiceStatus[]> {
  const ls = await probeLocalStack(config.localstack.port);
  const search = await probeSearch(config.search.port);
  const owner = (service: string, port: number) => {
    const record = readPidRecord(pidFile(config, service, port));
    return record ? `${record.mode}${record.pid ? ` pid ${record.pid}` : ""}` : "not started by make up";
  };
  return [
    {
      service: "localstack",
      url: `http://127.0.0.1:${config.localstack.port}`,
      running: ls !== undefined,
      detail: ls ? `LocalStack ${ls.version}: s3 ${ls.s3}, sqs ${ls.sqs}` : "not running",
      startedByUs: owner("localstack", config.localstack.port),
    },
    {
      service: "search",
      url: `http://127.0.0.1:${config.search.port}`,
      running: search !== undefined,
      detail: search ? `${search.distribution === "opensearch" ? "OpenSearch" : "Elasticsearch"} ${search.version}: cluster ${search.status ?? "not ready"}` : "not running",
      startedByUs: owner("search", config.search.port),
    },
  ];
}

export interface ExtraEngine {
  url: string;
  stop: () => Promise<void>;
}

/**
 * A second, throwaway search engine with its own node settings (e.g. a tiny write queue or a small
 * http.max_content_length), on a free port, for tests that need real rejections. The caller stops it.
 */
export async function startExtraEngine(config: StackConfig, settings: Record<string, string>, log: Log = () => {}, options: { home?: string } = {}): Promise<ExtraEngine> {
  const { mode } = await chooseMode(config.mode, probeDocker);
  if (mode === "docker") {
    const started = await startDockerElasticsearch(config, log, { settings });
    return { url: started.url, stop: started.stop };
  }
  const home = options.home ?? mkdtempSync(join(tmpdir(), "trailpost-engine-"));
  const port = await freePort();
  const started = await startOpenSearch(config, log, { port, home, settings });
  return {
    url: started.url,
    stop: async () => {
      if (started.pid !== undefined) await stopEngine(started.pid);
      if (!options.home) rmSync(home, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** One `up` at a time (tests in parallel processes may all ask for the stack). Stale locks are broken. */
async function lock(file: string, staleMs: number): Promise<() => void> {
  mkdirSync(dirname(file), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(file, "wx"));
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        if (Date.now() - statSync(file).mtimeMs > staleMs) rmSync(file, { force: true });
      } catch {
        // removed meanwhile
      }
      await sleep(250);
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
