/**
 * A search engine as one JVM on the host: our launcher (emulators/elasticsearch or emulators/opensearch) built with
 * Maven against the engine's jars from Maven Central, then started detached on a JDK that fits.
 *
 * ```ts
 * const engine = resolveEngine("elasticsearch", "9");
 * await buildLauncher(config, engine, log);                                  // once: .emulators/elasticsearch-9.2.0/
 * const started = await startEngine(config, engine, log, { port: 9200, home: ".emulators/data/…", service: "search" });
 * ```
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { StackConfig } from "./config.ts";
import { describe, slug, type EngineSpec } from "./engines.ts";
import { describeJdk, findJdks, missingJdk, pickJdk, type Jdk } from "./jdk.ts";
import { StackError, findExecutable, lastLines, run, startDetached, stopProcessGroup, writePidRecord } from "./processes.ts";
import { portState, probeSearch } from "./probes.ts";
import { logFile, pidFile, waitUntil, type Log, type ServiceEndpoint } from "./host.ts";

const BUILT = ".trailpost-built";

export const buildDir = (config: StackConfig, engine: EngineSpec) => join(config.dir, slug(engine));

/** The JDK the engine runs on, or one clear line saying which is needed and what was found. */
export function javaFor(config: StackConfig, engine: EngineSpec, needCompiler = false): Jdk {
  const jdks = findJdks(config.jdkEnv);
  const jdk = pickJdk(jdks, engine.minJava, needCompiler);
  if (!jdk) throw new StackError(missingJdk(`${describe(engine)}${needCompiler ? " (to build its launcher)" : ""}`, engine.minJava, jdks, needCompiler));
  return jdk;
}

/** Whether the launcher is built from the current sources (else `buildLauncher` rebuilds it). */
export function launcherBuilt(config: StackConfig, engine: EngineSpec): boolean {
  try {
    return readFileSync(join(buildDir(config, engine), BUILT), "utf8").trim() === sourceDigest(config, engine);
  } catch {
    return false;
  }
}

/** Problems that would stop a build, as lines (no Maven, no JDK with javac); empty when built or buildable. */
export function buildProblems(config: StackConfig, engine: EngineSpec): string[] {
  if (launcherBuilt(config, engine)) return [];
  const problems: string[] = [];
  if (!findExecutable("mvn")) problems.push(`mvn not found: install Maven (apt-get install maven) to build the ${describe(engine)} launcher`);
  try {
    javaFor(config, engine, true);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

export async function buildLauncher(config: StackConfig, engine: EngineSpec, log: Log): Promise<string> {
  const out = buildDir(config, engine);
  if (launcherBuilt(config, engine)) return out;
  const problems = buildProblems(config, engine);
  if (problems.length) throw new StackError(problems.join("; "));
  const jdk = javaFor(config, engine, true);
  log(`building the ${describe(engine)} launcher with Maven on JDK ${jdk.version} into ${out} (once per version)`);
  await run(findExecutable("mvn")!, [
    "-q", "-B", "-f", join(config.root, "emulators", engine.family, "pom.xml"),
    `-D${engine.family}.version=${engine.version}`,
    `-Dlauncher.source=${engine.launcherSource}`,
    `-Dnetty.artifact=${engine.nettyArtifact}`,
    `-Djava.release=${engine.minJava}`,
    `-Demulator.build.dir=${out}`,
    "-DskipTests", "clean", "package",
  ], { env: { ...process.env, JAVA_HOME: jdk.home }, logFile: logFile(config, `install-${slug(engine)}`) });
  writeFileSync(join(out, BUILT), sourceDigest(config, engine) + "\n");
  return out;
}

export interface EngineOptions {
  port: number;
  /** Node home: data, logs and config live under it. */
  home: string;
  /** Extra node settings, e.g. { "thread_pool.write.queue_size": "2" }. */
  settings?: Record<string, string>;
  /** Pid file name under .emulators/run/, or undefined for engines owned by the caller (tests). */
  service?: string;
  /** Maximum heap (default: the stack's SEARCH_HEAP). */
  heap?: string;
  /**
   * For short-lived engines (tests): the JIT's first tier only (-XX:TieredStopAtLevel=1), which halves the boot on
   * a busy 2-core machine; steady-state indexing is slower, so the stack's own engine does without.
   */
  quickStart?: boolean;
  /** Stop the engine when this process ends (tests' throwaway engines: never left running by a killed test). */
  exitWith?: number;
}

export interface StartedEngine extends ServiceEndpoint {
  pid: number | undefined;
  engine: EngineSpec;
  jdk: Jdk | undefined;
  /** Seconds from start to ready (0 when reused). */
  bootSeconds: number;
}

/**
 * Starts the engine on `options.port` and waits until `_cluster/health` answers, or reuses what already runs there
 * when it is the same engine (a different one is an error naming both). Never hangs: a JVM that dies is reported
 * with its last log lines at once; one that does not get ready within EMULATORS_TIMEOUT is stopped (when the
 * caller owns it) and reported.
 */
export async function startEngine(config: StackConfig, engine: EngineSpec, log: Log, options: EngineOptions, reuseAny = false): Promise<StartedEngine> {
  const { port } = options;
  const url = `http://127.0.0.1:${port}`;
  const state = await portState(port, async () => (await probeSearch(port)) !== undefined);
  if (state === "foreign") throw new StackError(`port ${port} is taken by another program (it does not answer as a search engine): free it or set SEARCH_PORT`);
  if (state === "ours") {
    const running = await probeSearch(port);
    if (running && !reuseAny && (running.distribution !== engine.family || running.version !== engine.version)) {
      throw new StackError(`port ${port} already runs ${describe({ family: running.distribution, version: running.version })}, not ${describe(engine)}: run make down first, or set SEARCH_PORT`);
    }
    await waitUntil(`the search engine on port ${port}`, config.timeoutMs, () => undefined, async () => (await probeSearch(port))?.status !== undefined, () => "");
    return { url, reused: true, pid: undefined, engine, jdk: undefined, bootSeconds: 0 };
  }
  const jdk = javaFor(config, engine);
  const build = await buildLauncher(config, engine, log);
  const logs = options.service ? logFile(config, `${options.service}-${port}`) : join(options.home, "node.log");
  const settings = { "http.port": String(port), ...options.settings };
  const begin = Date.now();
  const started = await startDetached(jdk.java, [
    "-Xms256m", `-Xmx${options.heap ?? config.search.heap}`, "-XX:+UseSerialGC", "-Dlog4j2.formatMsgNoLookups=true",
    "--enable-native-access=ALL-UNNAMED", ...(options.quickStart ? ["-XX:TieredStopAtLevel=1"] : []),
    "-cp", `${join(build, "classes")}:${join(build, "lib", "*")}`,
    engine.mainClass, "--home", options.home, ...(options.exitWith ? ["--exit-with", String(options.exitWith)] : []),
    ...Object.entries(settings).map(([k, v]) => `-E${k}=${v}`),
  ], { cwd: config.root, env: { ...process.env, JAVA_HOME: jdk.home }, logFile: logs });
  if (options.service) {
    writePidRecord(pidFile(config, options.service, port), {
      service: options.service, mode: "host", pid: started.pid, port, version: engine.version, engine: engine.family, java: describeJdk(jdk),
      marker: engine.mainClass, logFile: logs, startedAt: new Date().toISOString(),
    });
  }
  try {
    await waitUntil(`${describe(engine)} on port ${port}`, config.timeoutMs, started.exited, async () => (await probeSearch(port))?.status !== undefined, () => lastLines(logs, 2));
  } catch (error) {
    if (!options.service) await stopProcessGroup(started.pid, 5000);
    throw error;
  }
  return { url, reused: false, pid: started.pid, engine, jdk, bootSeconds: (Date.now() - begin) / 1000 };
}

/** A digest of everything the build reads from the repository, so that a changed launcher is rebuilt. */
function sourceDigest(config: StackConfig, engine: EngineSpec): string {
  const hash = createHash("sha256");
  hash.update(`${engine.family} ${engine.version} ${engine.launcherSource} ${engine.nettyArtifact} ${engine.minJava}\n`);
  const emulators = join(config.root, "emulators");
  for (const dir of [join(emulators, engine.family, "pom.xml"), join(emulators, engine.family, "src", engine.launcherSource), join(emulators, "launcher")]) {
    for (const file of filesUnder(dir)) hash.update(`${relative(emulators, file)}\n`).update(readFileSync(file));
  }
  return hash.digest("hex");
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { recursive: true }).map((f) => join(path, String(f))).filter((f) => statSync(f).isFile()).sort();
}
