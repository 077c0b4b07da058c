/**
 * Which engine answers, from `GET /`: `version.distribution`, the `X-Elastic-Product` header and the version.
 * It decides how free-form objects are mapped: Elasticsearch `flattened` (7.3+, not the OSS build), OpenSearch
 * `flat_object` (2.7+), otherwise kept in `_source` but not indexed.
 */
import type { SearchClient } from "./client.ts";

export type FlatType = "flattened" | "flat_object" | "none";

export interface Engine {
  distribution: "elasticsearch" | "opensearch";
  version: string;
  major: number;
  minor: number;
  flat: FlatType;
  /** Composable `_index_template` (ES 7.8+, OpenSearch 1.0+); else the legacy `_template`. */
  composableTemplates: boolean;
}

/** Reads the engine from `GET /`. Amazon OpenSearch Serverless has no `GET /`: it is a current OpenSearch. */
export async function detectEngine(client: SearchClient, serverless = false): Promise<Engine> {
  if (serverless) return engineFrom({ version: { number: "2.17.0", distribution: "opensearch" } }, new Headers());
  const response = await client.request("GET", "/");
  if (response.status !== 200) {
    throw new Error(`GET / on ${client.describe()} answered HTTP ${response.status}: is ES_URL a search engine, and are the credentials right?`);
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw new Error(`GET / on ${client.describe()} did not answer JSON: is ES_URL an Elasticsearch or OpenSearch endpoint?`);
  }
  return engineFrom(body, response.headers);
}

export function engineFrom(body: unknown, headers: Headers): Engine {
  const root = body as { version?: { number?: unknown; distribution?: unknown; build_flavor?: unknown }; tagline?: unknown };
  const version = root?.version;
  const number = typeof version?.number === "string" ? version.number : undefined;
  if (!version || !number) throw new Error("GET / has no version.number: not an Elasticsearch-API engine");
  const [major = 0, minor = 0] = number.split(/[.-]/).map((n) => Number.parseInt(n, 10));
  const elastic = headers.get("x-elastic-product") === "Elasticsearch" || root.tagline === "You Know, for Search";
  const distribution = version.distribution === "opensearch" || !elastic ? "opensearch" : "elasticsearch";
  let flat: FlatType;
  if (distribution === "opensearch") {
    // OpenSearch with compatibility.override_main_response_version reports 7.10.2 and no distribution
    flat = version.distribution === "opensearch" && (major > 2 || (major === 2 && minor >= 7)) ? "flat_object" : "none";
  } else {
    flat = version.build_flavor !== "oss" && (major > 7 || (major === 7 && minor >= 3)) ? "flattened" : "none";
  }
  const composableTemplates = distribution === "opensearch" ? version.distribution === "opensearch" || major >= 7 : major > 7 || (major === 7 && minor >= 8);
  return { distribution, version: number, major, minor, flat, composableTemplates };
}
