import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SearchClient } from "../../../lib/search/client.ts";
import { detectEngine, engineFrom } from "../../../lib/search/engine.ts";

const ES_TAGLINE = "You Know, for Search";
const OS_TAGLINE = "The OpenSearch Project: https://opensearch.org/";

const es = (number: string, extra: Record<string, unknown> = {}) => ({ name: "n", cluster_name: "c", version: { number, build_flavor: "default", build_type: "docker", lucene_version: "x", ...extra }, tagline: ES_TAGLINE });
const os = (number: string) => ({ name: "n", cluster_name: "c", version: { distribution: "opensearch", number, build_type: "tar", lucene_version: "x" }, tagline: OS_TAGLINE });
const none = new Headers();
const elasticHeader = new Headers({ "X-Elastic-Product": "Elasticsearch" });

describe("engineFrom: Elasticsearch", () => {
  test("7.10.2 default flavour: flattened, composable templates", () => {
    assert.deepEqual(engineFrom(es("7.10.2"), none), { distribution: "elasticsearch", version: "7.10.2", major: 7, minor: 10, flat: "flattened", composableTemplates: true });
  });

  test("7.10.2 OSS flavour: no flattened", () => {
    const engine = engineFrom(es("7.10.2", { build_flavor: "oss" }), none);
    assert.equal(engine.distribution, "elasticsearch");
    assert.equal(engine.flat, "none");
    assert.equal(engine.composableTemplates, true);
  });

  test("7.2: before flattened", () => {
    const engine = engineFrom(es("7.2.0"), none);
    assert.equal(engine.distribution, "elasticsearch");
    assert.equal(engine.flat, "none");
    assert.equal(engine.composableTemplates, false);
  });

  test("7.3: flattened arrives", () => {
    assert.equal(engineFrom(es("7.3.0"), none).flat, "flattened");
  });

  test("7.7: legacy templates, 7.8: composable", () => {
    const e77 = engineFrom(es("7.7.1"), none);
    assert.equal(e77.composableTemplates, false);
    assert.equal(e77.flat, "flattened");
    assert.equal(engineFrom(es("7.8.0"), none).composableTemplates, true);
  });

  for (const number of ["8.0.0", "8.19.3", "9.0.0", "9.1.2"]) {
    test(`${number} with the x-elastic-product header`, () => {
      const engine = engineFrom(es(number), elasticHeader);
      assert.equal(engine.distribution, "elasticsearch");
      assert.equal(engine.flat, "flattened");
      assert.equal(engine.composableTemplates, true);
      assert.equal(engine.major, Number(number.split(".")[0]));
    });

    test(`${number} without the header (tagline only)`, () => {
      const engine = engineFrom(es(number), none);
      assert.equal(engine.distribution, "elasticsearch");
      assert.equal(engine.flat, "flattened");
      assert.equal(engine.composableTemplates, true);
    });

    test(`${number} with the header and no tagline`, () => {
      const { tagline: _, ...body } = es(number);
      const engine = engineFrom(body, elasticHeader);
      assert.equal(engine.distribution, "elasticsearch");
      assert.equal(engine.flat, "flattened");
    });
  }

  test("a snapshot version string", () => {
    const engine = engineFrom(es("8.12.0-SNAPSHOT"), elasticHeader);
    assert.equal(engine.major, 8);
    assert.equal(engine.minor, 12);
    assert.equal(engine.version, "8.12.0-SNAPSHOT");
  });
});

describe("engineFrom: OpenSearch", () => {
  test("1.3: no flat_object, composable templates", () => {
    assert.deepEqual(engineFrom(os("1.3.20"), none), { distribution: "opensearch", version: "1.3.20", major: 1, minor: 3, flat: "none", composableTemplates: true });
  });

  test("2.6: no flat_object yet", () => {
    const engine = engineFrom(os("2.6.0"), none);
    assert.equal(engine.distribution, "opensearch");
    assert.equal(engine.flat, "none");
  });

  for (const number of ["2.7.0", "2.19.6", "3.0.0", "3.2.1"]) {
    test(`${number}: flat_object`, () => {
      const engine = engineFrom(os(number), none);
      assert.equal(engine.distribution, "opensearch");
      assert.equal(engine.flat, "flat_object");
      assert.equal(engine.composableTemplates, true);
    });
  }

  test("compatibility.override_main_response_version (7.10.2, no distribution, OpenSearch tagline): opensearch without flat fields", () => {
    const body = { name: "n", version: { number: "7.10.2", build_type: "tar", lucene_version: "x" }, tagline: OS_TAGLINE };
    const engine = engineFrom(body, none);
    assert.equal(engine.distribution, "opensearch");
    assert.equal(engine.flat, "none");
    assert.equal(engine.version, "7.10.2");
    assert.equal(engine.composableTemplates, true);
  });
});

describe("engineFrom: not an engine", () => {
  for (const [what, body] of [
    ["no version", { name: "x" }],
    ["version without number", { version: { distribution: "opensearch" } }],
    ["a numeric version", { version: { number: 7 } }],
    ["null", null],
    ["a string", "hello"],
  ] as const) {
    test(`${what} throws`, () => {
      assert.throws(() => engineFrom(body, none), /no version\.number/);
    });
  }
});

describe("detectEngine", () => {
  const clientAnswering = (status: number, body: string, headers: Record<string, string> = {}) =>
    new SearchClient({ url: "http://search.local:9200", fetch: (async () => new Response(body, { status, headers })) as typeof fetch });

  test("reads GET / and its headers", async () => {
    const engine = await detectEngine(clientAnswering(200, JSON.stringify(es("8.15.0")), { "x-elastic-product": "Elasticsearch" }));
    assert.equal(engine.distribution, "elasticsearch");
    assert.equal(engine.flat, "flattened");
  });

  test("serverless needs no GET /", async () => {
    const client = new SearchClient({ url: "http://search.local:9200", fetch: (async () => assert.fail("no request expected")) as typeof fetch });
    const engine = await detectEngine(client, true);
    assert.equal(engine.distribution, "opensearch");
    assert.equal(engine.flat, "flat_object");
  });

  test("a non-200 or non-JSON answer is a clear error", async () => {
    await assert.rejects(detectEngine(clientAnswering(401, "{}")), /answered HTTP 401/);
    await assert.rejects(detectEngine(clientAnswering(200, "<html>")), /did not answer JSON/);
  });
});
