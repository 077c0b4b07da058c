/**
 * The search engines the local stack can run on the host, one pinned version per line, and how each is built and
 * started: Maven coordinates, our launcher's source set, the JDK it needs. `SEARCH_ENGINE` and `SEARCH_VERSION`
 * pick one; `auto` is Elasticsearch 9.x where a JDK 21 or newer is found, else OpenSearch 2.19.
 *
 * ```ts
 * const engine = resolveEngine("elasticsearch", "8");        // Elasticsearch 8.19.21
 * const choice = chooseEngine({ family: "auto" }, jdks);     // { engine, note? }
 * ```
 *
 * Only the engines' server jars and netty4 transports are on Maven Central, so what runs is the engine without its
 * unpublished modules and plugins: no x-pack on Elasticsearch (ILM, security, and `flattened` on 7.x), no
 * painless, analysis-common or reindex. `flat` says which free-form field type the running engine really has.
 */
import type { Jdk } from "./jdk.ts";

export type Family = "elasticsearch" | "opensearch";

export interface EngineSpec {
  family: Family;
  /** The exact version that is built and started. */
  version: string;
  /** The JDK feature release it needs at least (and our launcher is compiled for). */
  minJava: number;
  /** Maven: the netty4 transport's artifact id, and the launcher's source set under emulators/<family>/src/. */
  nettyArtifact: string;
  launcherSource: string;
  /** The launcher's main class: also the marker that identifies our process on `down`. */
  mainClass: string;
  /** The free-form field type this engine (as launched here) has: what trailpost's template should use. */
  flat: "flattened" | "flat_object" | "none";
}

const ES_MAIN = "dev.trailpost.emulator.ElasticsearchNode";
const OS_MAIN = "dev.trailpost.emulator.OpenSearchNode";

/** Every engine and version the matrix tests live; the first of each family is its default. */
export const ENGINES: readonly EngineSpec[] = [
  { family: "elasticsearch", version: "9.2.0", minJava: 21, nettyArtifact: "transport-netty4", launcherSource: "8-9", mainClass: ES_MAIN, flat: "flattened" },
  { family: "elasticsearch", version: "8.19.21", minJava: 17, nettyArtifact: "transport-netty4", launcherSource: "8-9", mainClass: ES_MAIN, flat: "flattened" },
  { family: "elasticsearch", version: "7.17.29", minJava: 17, nettyArtifact: "transport-netty4-client", launcherSource: "7", mainClass: ES_MAIN, flat: "none" },
  { family: "opensearch", version: "2.19.6", minJava: 17, nettyArtifact: "transport-netty4-client", launcherSource: "1-2", mainClass: OS_MAIN, flat: "flat_object" },
  { family: "opensearch", version: "3.3.2", minJava: 21, nettyArtifact: "transport-netty4-client", launcherSource: "3", mainClass: OS_MAIN, flat: "flat_object" },
  { family: "opensearch", version: "1.3.20", minJava: 17, nettyArtifact: "transport-netty4-client", launcherSource: "1-2", mainClass: OS_MAIN, flat: "none" },
];

export const DEFAULT_ELASTICSEARCH = defaultOf("elasticsearch");
export const DEFAULT_OPENSEARCH = defaultOf("opensearch");

export class EngineError extends Error {}

/**
 * The engine for a family and an optional version: a pinned version ("8.19.21"), a line ("8" or "8.19") that
 * names the pinned one, or another exact version of a supported line (built with that line's launcher; not tested).
 */
export function resolveEngine(family: Family, version?: string): EngineSpec {
  const ours = ENGINES.filter((e) => e.family === family);
  if (version === undefined || version === "") return ours[0]!;
  if (!/^\d+(\.\d+){0,2}$/.test(version)) throw new EngineError(`SEARCH_VERSION must be a version like ${ours[0]!.version} or a line like ${major(ours[0]!.version)}, not ${JSON.stringify(version)}`);
  const pinned = ours.find((e) => e.version === version || e.version.startsWith(`${version}.`));
  if (pinned) return pinned;
  const sameLine = ours.find((e) => major(e.version) === major(version));
  if (sameLine && version.split(".").length === 3) return { ...sameLine, version };
  throw new EngineError(`${label(family)} ${version} is not one the local stack can run: choose ${ours.map((e) => e.version).join(", ")} (or another ${ours.map((e) => `${major(e.version)}.x`).join("/")} release)`);
}

export interface EngineRequest {
  family: Family | "auto";
  version?: string;
}

export interface EngineChoice {
  engine: EngineSpec;
  /** Why `auto` did not give the default engine (one line for the user), if it did not. */
  note?: string;
}

/** `auto`: Elasticsearch 9.x where a JDK for it is found, else OpenSearch, saying why in `note`. */
export function chooseEngine(request: EngineRequest, jdks: readonly Jdk[]): EngineChoice {
  if (request.family !== "auto") return { engine: resolveEngine(request.family, request.version) };
  const preferred = DEFAULT_ELASTICSEARCH;
  if (jdks.some((j) => j.feature >= preferred.minJava)) return { engine: preferred };
  return {
    engine: DEFAULT_OPENSEARCH,
    note: `no JDK ${preferred.minJava} or newer found for Elasticsearch ${preferred.version}: using OpenSearch ${DEFAULT_OPENSEARCH.version} (install a JDK ${preferred.minJava}+ or set SEARCH_ENGINE)`,
  };
}

export function label(family: Family): string {
  return family === "elasticsearch" ? "Elasticsearch" : "OpenSearch";
}

/** "Elasticsearch 9.2.0" */
export function describe(engine: Pick<EngineSpec, "family" | "version">): string {
  return `${label(engine.family)} ${engine.version}`;
}

/** Directory name of an engine's build and default data: `elasticsearch-9.2.0`. */
export function slug(engine: Pick<EngineSpec, "family" | "version">): string {
  return `${engine.family}-${engine.version}`;
}

function defaultOf(family: Family): EngineSpec {
  return ENGINES.find((e) => e.family === family)!;
}

function major(version: string): string {
  return version.split(".")[0]!;
}
