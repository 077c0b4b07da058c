/**
 * The index template for `<prefix>-*` and the alias `<prefix>` over all daily indices, built from schema.ts for
 * the engine at hand, and installed (idempotently: a PUT of the same body) before the first bulk request.
 */
import type { SearchClient } from "./client.ts";
import type { Engine } from "./engine.ts";
import { CLOUDTRAIL, FLAT_DEPTH_LIMIT, KEYWORD_IGNORE_ABOVE, UNINDEXED, type Fields, type Leaf } from "./schema.ts";

export interface TemplateSettings {
  shards?: number;
  replicas?: number;
  /** e.g. "30s"; default: the engine's. */
  refreshInterval?: string;
  /** ILM policy (Elasticsearch) or ISM policy (OpenSearch) to attach to new indices. */
  lifecyclePolicy?: string;
}

export function templateName(prefix: string): string {
  return `trailpost-${prefix}`;
}

export function indexTemplate(prefix: string, engine: Engine, settings: TemplateSettings = {}): Record<string, unknown> {
  const indexSettings: Record<string, unknown> = { number_of_shards: settings.shards ?? 1 };
  if (settings.replicas !== undefined) indexSettings.number_of_replicas = settings.replicas;
  if (settings.refreshInterval) indexSettings.refresh_interval = settings.refreshInterval;
  if (settings.lifecyclePolicy) {
    if (engine.distribution === "elasticsearch") indexSettings["lifecycle.name"] = settings.lifecyclePolicy;
    else indexSettings["plugins.index_state_management.policy_id"] = settings.lifecyclePolicy;
  }
  const mappings = {
    dynamic: false,
    _meta: { managed_by: "trailpost", schema: 1 },
    properties: {
      ...properties(CLOUDTRAIL, engine),
      [UNINDEXED]: { properties: { unindexed: { type: "object", enabled: false }, unindexedPaths: { type: "keyword", ignore_above: KEYWORD_IGNORE_ABOVE } } },
    },
  };
  const template = { settings: { index: indexSettings }, mappings, aliases: { [prefix]: {} } };
  if (!engine.composableTemplates) return { index_patterns: [`${prefix}-*`], order: 100, ...template };
  return { index_patterns: [`${prefix}-*`], priority: 500, template, _meta: { managed_by: "trailpost" } };
}

/** PUT the template (composable, or legacy on old engines). */
export async function installTemplate(client: SearchClient, prefix: string, engine: Engine, settings: TemplateSettings = {}): Promise<void> {
  const path = engine.composableTemplates ? `/_index_template/${templateName(prefix)}` : `/_template/${templateName(prefix)}`;
  await client.json("PUT", path, indexTemplate(prefix, engine, settings));
}

function properties(fields: Fields, engine: Engine): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    out[name] = typeof spec === "object" ? { properties: properties(spec, engine) } : leafMapping(spec, engine);
  }
  return out;
}

function leafMapping(leaf: Leaf, engine: Engine): Record<string, unknown> {
  switch (leaf) {
    case "keyword":
      return { type: "keyword", ignore_above: KEYWORD_IGNORE_ABOVE };
    case "text":
      return { type: "text", fields: { keyword: { type: "keyword", ignore_above: KEYWORD_IGNORE_ABOVE } } };
    case "boolean":
      return { type: "boolean" };
    case "date":
      return { type: "date", format: "strict_date_optional_time||epoch_millis" };
    case "lenient-date":
      return { type: "date", format: "strict_date_optional_time||basic_date_time_no_millis||epoch_millis", ignore_malformed: true };
    case "ip-keyword":
      return { type: "keyword", ignore_above: KEYWORD_IGNORE_ABOVE, fields: { ip: { type: "ip", ignore_malformed: true } } };
    case "flat":
      if (engine.flat === "flattened") return { type: "flattened", ignore_above: 8191, depth_limit: FLAT_DEPTH_LIMIT };
      if (engine.flat === "flat_object") return { type: "flat_object" };
      return { type: "object", enabled: false };
  }
}
