/**
 * The local stack: LocalStack (S3, SQS) and a search engine with the Elasticsearch REST API (Elasticsearch or
 * OpenSearch, emulators/engines.ts), on 127.0.0.1. `up` is idempotent (a running stack is reused), waits for real
 * readiness and never hangs; `down` stops only what `up` started. Used by `make up|down|status`
 * (scripts/emulators.ts) and by the integration tests' helper (test/support/stack.ts).
 *
 * ```ts
 * const endpoints = await up(readStackConfig(process.env, root), console.error);   // { aws, search, engine, … }
 * await down(config, console.error);
 * ```
 */
import { dirname, join } from "node:path";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import type { StackConfig } from "./config.ts";
import { chooseMode, type Mode } from "./select.ts";
import { probeDocker, startDockerElasticsearch, startDockerLocalStack, stopDockerServices } from "./docker.ts";
import { findPython, installLocalStack, localStackInstalled, startLocalStack, stopEngine, stopHostService, pidFile, type Log } from "./host.ts";
import { buildLauncher, buildProblems, javaFor, startEngine } from "./launcher.ts";
import { chooseEngine, describe, EngineError, ENGINES, resolveEngine, slug, type EngineChoice, type EngineSpec, type Family } from "./engines.ts";
import { describeJdk, findJdks, missingJdk, pickJdk } from "./jdk.ts";
import { portInUse, readPidRecord, sleep, StackError, waitForPortFree } from "./processes.ts";
import { portState, probeLocalStack, probeSearch } from "./probes.ts";

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
  /** The search engine that answers at `search`. */
  engine: { family: Family; version: string };
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
  const { engine, note } = stackEngine(config, mode);
  if (note) log(note);
  if (mode === "docker") {
    const [aws, search] = await Promise.all([
      startDockerLocalStack(config, log),
      startDockerElasticsearch(config, log, { port: config.search.port, label: "search" }),
    ]);
    return { aws: aws.url, search: search.url, mode, engine, ...LOCAL_CREDENTIALS };
  }
  await preflight(config, engine);
  const results = await Promise.allSettled([
    startLocalStack(config, log),
    startEngine(config, engine, log, { port: config.search.port, home: join(config.dir, "data", `${slug(engine)}-${config.search.port}`), service: "search" }, config.search.engine === "auto"),
  ]);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => errorText(r.reason));
  if (failures.length) throw new StackError(failures.join("; "));
  const aws = (results[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startLocalStack>>>).value;
  const search = (results[1] as PromiseFulfilledResult<Awaited<ReturnType<typeof startEngine>>>).value;
  const running = search.reused ? await probeSearch(config.search.port) : undefined;
  const answering = running ? { family: running.distribution, version: running.version } : { family: engine.family, version: engine.version };
  const how = search.reused ? "already running" : `started in ${search.bootSeconds.toFixed(1)} s on JDK ${search.jdk!.version}`;
  log(`localstack ${aws.reused ? "already running" : "started"} at ${aws.url}; ${describe(answering)} ${how} at ${search.url}`);
  return { aws: aws.url, search: search.url, mode, engine: answering, ...LOCAL_CREDENTIALS };
}

/**
 * The engine `up` runs: SEARCH_ENGINE and SEARCH_VERSION, or for `auto` Elasticsearch 9.x where a JDK 21+ is found
 * and OpenSearch otherwise (with a note saying so). Docker runs the Elasticsearch image only.
 */
export function stackEngine(config: StackConfig, mode: Mode): EngineChoice {
  try {
    if (mode === "docker") {
      if (config.search.engine === "opensearch") throw new StackError("EMULATORS=docker runs Elasticsearch only (testcontainers): use EMULATORS=host for OpenSearch");
      return { engine: resolveEngine("elasticsearch", config.search.engine === "elasticsearch" ? config.search.version : undefined) };
    }
    return chooseEngine({ family: config.search.engine, version: config.search.version }, findJdks(config.jdkEnv));
  } catch (error) {
    if (error instanceof EngineError) throw new StackError(error.message);
    throw error;
  }
}

/**
 * Everything that would make `up` fail, found before anything starts: a port held by another program, no JDK
 * the engine runs on, no Maven, no suitable Python. Throws one line naming every problem.
 */
export async function preflight(config: StackConfig, engine: EngineSpec): Promise<void> {
  const problems: string[] = [];
  const ls = await portState(config.localstack.port, async () => (await probeLocalStack(config.localstack.port)) !== undefined);
  const search = await portState(config.search.port, async () => (await probeSearch(config.search.port)) !== undefined);
  const check = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      problems.push(errorText(error));
    }
  };
  if (ls === "foreign") problems.push(`port ${config.localstack.port} is taken by another program (it does not answer as LocalStack): free it or set LOCALSTACK_PORT`);
  if (ls === "free" && !localStackInstalled(config)) check(() => findPython(config));
  if (search === "foreign") problems.push(`port ${config.search.port} is taken by another program (it does not answer as a search engine): free it or set SEARCH_PORT`);
  if (search === "free") {
    const before = problems.length;
    check(() => javaFor(config, engine));
    if (problems.length === before) problems.push(...buildProblems(config, engine));
  }
  if (problems.length) throw new StackError(problems.join("; "));
}

/**
 * Installs the host-process stack's parts (idempotent): the LocalStack virtualenv and the engine's launcher build;
 * with `all`, the launchers of every engine (what CI's install step does, so that test time is not build time).
 */
export async function install(config: StackConfig, log: Log, options: { all?: boolean } = {}): Promise<EngineSpec[]> {
  const engines = options.all ? [...ENGINES] : [stackEngine(config, "host").engine];
  const problems = engines.flatMap((e) => buildProblems(config, e));
  if (problems.length) throw new StackError([...new Set(problems)].join("; "));
  await installLocalStack(config, log);
  for (const engine of engines) await buildLauncher(config, engine, log);
  return engines;
}

export async function down(config: StackConfig, log: Log): Promise<void> {
  const stopped = await Promise.allSettled([
    stopHostService(config, "localstack", config.localstack.port, log),
    stopHostService(config, "search", config.search.port, log),
  ]);
  const failures = stopped.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => errorText(r.reason));
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

export interface StackStatus {
  services: ServiceStatus[];
  /** The JDKs found, and which one the search engine runs (or would run) on. */
  java: string;
}

export async function status(config: StackConfig): Promise<StackStatus> {
  const ls = await probeLocalStack(config.localstack.port);
  const search = await probeSearch(config.search.port);
  const record = (service: string, port: number) => readPidRecord(pidFile(config, service, port));
  const owner = (service: string, port: number) => {
    const r = record(service, port);
    return r ? `${r.mode}${r.pid ? ` pid ${r.pid}` : ""}` : "not started by make up";
  };
  const searchRecord = record("search", config.search.port);
  return {
    services: [
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
        detail: search
          ? `${describe({ family: search.distribution, version: search.version })}: cluster ${search.status ?? "not ready"}${searchRecord?.java ? `, JDK ${searchRecord.java}` : ""}`
          : "not running",
        startedByUs: owner("search", config.search.port),
      },
    ],
    java: javaStatus(config, searchRecord?.java),
  };
}

/** "JDK 25.0.3 (/usr/lib/jvm/temurin-25-jdk-amd64) for Elasticsearch 9.2.0; found 17.0.15 (…), 25.0.3 (…)" */
function javaStatus(config: StackConfig, running: string | undefined): string {
  const jdks = findJdks(config.jdkEnv);
  const found = jdks.length ? `found ${jdks.map((j) => `${describeJdk(j)} [${j.source}]`).join(", ")}` : "no JDK found in JAVA_HOME, JDK_DIRS or PATH";
  let engine: EngineChoice;
  try {
    engine = stackEngine(config, "host");
  } catch (error) {
    return `${errorText(error)}; ${found}`;
  }
  const jdk = pickJdk(jdks, engine.engine.minJava);
  const use = running ? `running on JDK ${running}` : jdk ? `${describe(engine.engine)} would run on JDK ${describeJdk(jdk)}` : missingJdk(describe(engine.engine), engine.engine.minJava, jdks);
  return `${use}; ${found}`;
}

export interface ExtraEngine {
  url: string;
  engine: { family: Family; version: string };
  /** Seconds from start to ready. */
  bootSeconds: number;
  stop: () => Promise<void>;
}

export interface ExtraEngineOptions {
  /** Node home; its data stays there after stop (default: a temporary directory, removed on stop). */
  home?: string;
  /** Which engine (default: the stack's, as `up` chooses it). */
  engine?: EngineSpec;
  /** Maximum heap (default SEARCH_HEAP). */
  heap?: string;
}

/**
 * A second, throwaway search engine with its own node settings (e.g. a tiny write queue or a small
 * http.max_content_length), on a free port, for tests that need real rejections or another engine. The caller
 * stops it.
 */
export async function startExtraEngine(config: StackConfig, settings: Record<string, string>, log: Log = () => {}, options: ExtraEngineOptions = {}): Promise<ExtraEngine> {
  const { mode } = await chooseMode(config.mode, probeDocker);
  const engine = options.engine ?? stackEngine(config, mode).engine;
  if (mode === "docker") {
    if (engine.family !== "elasticsearch") throw new StackError(`EMULATORS=docker runs Elasticsearch only, not ${describe(engine)}`);
    const begin = Date.now();
    const started = await startDockerElasticsearch({ ...config, search: { ...config.search, elasticsearchImage: `docker.elastic.co/elasticsearch/elasticsearch:${engine.version}` } }, log, { settings });
    return { url: started.url, engine, bootSeconds: (Date.now() - begin) / 1000, stop: started.stop };
  }
  const home = options.home ?? mkdtempSync(join(tmpdir(), "trailpost-engine-"));
  const port = await freePort();
  let started;
  try {
    started = await startEngine(config, engine, log, { port, home, settings, heap: options.heap, quickStart: true, exitWith: process.pid });
  } catch (error) {
    if (!options.home) rmSync(home, { recursive: true, force: true });
    throw error;
  }
  return {
    url: started.url,
    engine,
    bootSeconds: started.bootSeconds,
    stop: async () => {
      if (started.pid !== undefined) await stopEngine(started.pid);
      if (!options.home && existsSync(home)) rmSync(home, { recursive: true, force: true });
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
