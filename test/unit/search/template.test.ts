import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Engine } from "../../../lib/search/engine.ts";
import { CLOUDTRAIL } from "../../../lib/search/schema.ts";
import { indexTemplate, installTemplate, templateName } from "../../../lib/search/template.ts";
import type { SearchClient } from "../../../lib/search/client.ts";

const ES8: Engine = { distribution: "elasticsearch", version: "8.15.0", major: 8, minor: 15, flat: "flattened", composableTemplates: true };
const OS219: Engine = { distribution: "opensearch", version: "2.19.6", major: 2, minor: 19, flat: "flat_object", composableTemplates: true };
const OS13: Engine = { distribution: "opensearch", version: "1.3.20", major: 1, minor: 3, flat: "none", composableTemplates: true };
const ES77: Engine = { distribution: "elasticsearch", version: "7.7.1", major: 7, minor: 7, flat: "flattened", composableTemplates: false };

type Mapping = Record<string, any>;
const composable = (t: Record<string, unknown>) => (t.template as Mapping);
const props = (t: Record<string, unknown>) => composable(t).mappings.properties as Mapping;

describe("indexTemplate: flat fields per engine", () => {
  const flatFields = Object.entries(CLOUDTRAIL).filter(([, v]) => v === "flat").map(([k]) => k);

  test("there are flat fields to check", () => {
    assert.equal(flatFields.includes("requestParameters"), true);
    assert.equal(flatFields.includes("responseElements"), true);
  });

  test("Elasticsearch: flattened", () => {
    const p = props(indexTemplate("cloudtrail", ES8));
    for (const f of flatFields) assert.equal(p[f].type, "flattened", f);
    assert.equal(p.userIdentity.properties.sessionContext.properties.webIdFederationData.properties.attributes.type, "flattened");
  });

  test("OpenSearch 2.7+: flat_object", () => {
    const p = props(indexTemplate("cloudtrail", OS219));
    for (const f of flatFields) assert.deepEqual(p[f], { type: "flat_object" }, f);
  });

  test("no flat type: object, not indexed", () => {
    const p = props(indexTemplate("cloudtrail", OS13));
    for (const f of flatFields) assert.deepEqual(p[f], { type: "object", enabled: false }, f);
  });
});

describe("indexTemplate: field types", () => {
  for (const engine of [ES8, OS219, OS13]) {
    test(`${engine.distribution} ${engine.version}`, () => {
      const t = indexTemplate("cloudtrail", engine);
      const m = composable(t).mappings as Mapping;
      assert.equal(m.dynamic, false);
      const p = m.properties as Mapping;
      assert.equal(p.eventTime.type, "date");
      assert.equal(p["@timestamp"].type, "date");
      assert.equal(p.readOnly.type, "boolean");
      assert.equal(p.managementEvent.type, "boolean");
      assert.equal(p.sourceIPAddress.type, "keyword");
      assert.deepEqual(p.sourceIPAddress.fields.ip, { type: "ip", ignore_malformed: true });
      for (const f of ["eventID", "eventName", "eventSource", "awsRegion", "requestID", "recipientAccountId", "errorCode", "eventType"]) {
        assert.equal(p[f].type, "keyword", f);
      }
      assert.equal(p.userIdentity.properties.arn.type, "keyword");
      assert.equal(p.userIdentity.properties.accessKeyId.type, "keyword");
      assert.equal(p.userIdentity.properties.sessionContext.properties.sessionIssuer.properties.arn.type, "keyword");
      assert.equal(p.resources.properties.ARN.type, "keyword");
      assert.equal(p.errorMessage.type, "text");
      assert.equal(p.trailpost.properties.unindexed.enabled, false);
      assert.equal(p.trailpost.properties.unindexedPaths.type, "keyword");
    });
  }
});

describe("indexTemplate: patterns, alias, settings", () => {
  test("composable: index_patterns <prefix>-*, alias <prefix>, priority", () => {
    const t = indexTemplate("ct-prod", ES8);
    assert.deepEqual(t.index_patterns, ["ct-prod-*"]);
    assert.deepEqual(composable(t).aliases, { "ct-prod": {} });
    assert.equal(typeof t.priority, "number");
    assert.equal("order" in t, false);
    assert.equal("mappings" in t, false, "composable templates nest mappings under template");
  });

  test("default settings: one shard, nothing else", () => {
    assert.deepEqual(composable(indexTemplate("cloudtrail", ES8)).settings, { index: { number_of_shards: 1 } });
  });

  test("overrides on Elasticsearch: shards, replicas, refresh interval, ILM lifecycle.name", () => {
    const t = indexTemplate("cloudtrail", ES8, { shards: 3, replicas: 0, refreshInterval: "30s", lifecyclePolicy: "cloudtrail-90d" });
    assert.deepEqual(composable(t).settings.index, { number_of_shards: 3, number_of_replicas: 0, refresh_interval: "30s", "lifecycle.name": "cloudtrail-90d" });
  });

  test("overrides on OpenSearch: the ISM policy id", () => {
    const t = indexTemplate("cloudtrail", OS219, { replicas: 2, lifecyclePolicy: "ism-90d" });
    const index = composable(t).settings.index as Mapping;
    assert.equal(index["plugins.index_state_management.policy_id"], "ism-90d");
    assert.equal(index["lifecycle.name"], undefined);
    assert.equal(index.number_of_replicas, 2);
  });

  test("legacy _template shape when composable templates are not available", () => {
    const t = indexTemplate("cloudtrail", ES77, { replicas: 1 }) as Mapping;
    assert.deepEqual(t.index_patterns, ["cloudtrail-*"]);
    assert.equal(typeof t.order, "number");
    assert.equal(t.template, undefined);
    assert.equal(t.priority, undefined);
    assert.equal(t.mappings.dynamic, false);
    assert.equal(t.mappings.properties.requestParameters.type, "flattened");
    assert.deepEqual(t.aliases, { cloudtrail: {} });
    assert.equal(t.settings.index.number_of_replicas, 1);
  });

  test("the template is plain JSON (round-trips)", () => {
    for (const engine of [ES8, OS219, OS13, ES77]) {
      const t = indexTemplate("cloudtrail", engine, { lifecyclePolicy: "p" });
      assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
    }
  });
});

describe("installTemplate", () => {
  const recording = () => {
    const calls: [string, string, unknown][] = [];
    const client = { json: async (method: string, path: string, body?: unknown) => void calls.push([method, path, body]) } as unknown as SearchClient;
    return { calls, client };
  };

  test("composable: PUT /_index_template/trailpost-<prefix>", async () => {
    const { calls, client } = recording();
    await installTemplate(client, "cloudtrail", ES8);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]![0], "PUT");
    assert.equal(calls[0]![1], `/_index_template/${templateName("cloudtrail")}`);
    assert.equal(templateName("cloudtrail"), "trailpost-cloudtrail");
    assert.deepEqual(calls[0]![2], indexTemplate("cloudtrail", ES8));
  });

  test("legacy: PUT /_template/trailpost-<prefix>", async () => {
    const { calls, client } = recording();
    await installTemplate(client, "cloudtrail", ES77);
    assert.equal(calls[0]![1], "/_template/trailpost-cloudtrail");
  });
});
