/**
 * The engine matrix: trailpost's core promises, live, on every engine the README claims, one engine at a time:
 * Elasticsearch 9.2, 8.19 and 7.17, OpenSearch 2.19, 3.3 and 1.3 (emulators/engines.ts), each a real node
 * started from Maven Central jars beside the shared LocalStack.
 *
 * Each engine runs the scenario files the rest of the suite runs on the stack's engine, unchanged, with its
 * SEARCH_PORT, SEARCH_ENGINE and SEARCH_VERSION (test/support/stack.ts: `up` reuses it, extra engines are of its kind):
 * - blog.test.ts: the demo day through `make ingest`'s four scripts, and its re-run (0 new, all duplicates);
 * - awkward-day.test.ts: the awkward day (bad objects named, duplicates counted, chained = streamed);
 * - mapping.test.ts: the mapping corpus with 0 dead letters (and its flat-field searches where the engine has
 *   flat fields);
 * - rejections.test.ts: a real 429 storm (a node with a tiny write queue) and a real 413 (a node with a small
 *   http.max_content_length), dead-lettered, then replayed;
 * - mapping-fuzz.test.ts: 1,000 hostile records (dotted, empty and duplicate keys, every type in every mapped
 *   field, …), 0 dead letters, and every document gives its record back exactly;
 * (the stack's own engine, on which the rest of the suite runs these files anyway, is not run twice: its checks
 * here use it directly) and here: what GET / says, flat fields searchable where the engine has them and kept whole but unsearched where
 * not, and reading back with the official client on Elasticsearch 8 and 9 (the same documents as plain REST),
 * plain REST elsewhere. Each engine's boot and test times are printed.
 *
 *   ENGINE_MATRIX=elasticsearch-8,opensearch-1.3 node --import tsx --test test/integration/engines.test.ts
 *
 * ENGINE_MATRIX (default all) takes a list of <family>-<version or line>, or "none". An engine with no JDK it can
 * run on here is skipped, with the reason.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as Client9 } from "@elastic/elasticsearch";
import { readStackConfig } from "../../emulators/config.ts";
import { describe as engineName, ENGINES, resolveEngine, slug, type EngineSpec, type Family } from "../../emulators/engines.ts";
import { findJdks, missingJdk, pickJdk } from "../../emulators/jdk.ts";
import type { ExtraEngine } from "../../emulators/stack.ts";
import { extraEngine, localStack, repoRoot, uniqueName, type TestStack } from "../support/stack.ts";
import { allDocuments, readerFor, runScript, type Reader } from "../support/run.ts";

interface Scenario {
  file: string;
  what: string;
  /** Only these tests of the file (by name), on engines without flat fields. */
  withoutFlat?: string;
  /** Settings of the file's own (its environment). */
  env?: Record<string, string>;
}

/** Longest first: two run at a time (the rejections file mostly waits for its own engines and backoffs). */
const SCENARIOS: Scenario[] = [
  { file: "rejections.test.ts", what: "a real 429 storm; a real 413, dead-lettered and replayed" },
  { file: "blog.test.ts", what: "the demo day and its re-run (0 new, all duplicates)" },
  { file: "awkward-day.test.ts", what: "the awkward day" },
  { file: "mapping.test.ts", what: "the mapping corpus, 0 dead letters", withoutFlat: "zero rejections and zero dead letters" },
  { file: "mapping-fuzz.test.ts", what: "1,000 hostile records (seed 2), 0 dead letters, every document gives its record back", env: { SEED: "2", N: "1000" } },
];

const selected = selectEngines(process.env.ENGINE_MATRIX);
const jdks = findJdks(readStackConfig(process.env, repoRoot).jdkEnv);
const timings: string[] = [];
const work = mkdtempSync(join(tmpdir(), "trailpost-engines-"));
let stack: TestStack;

before(async () => {
  stack = await localStack(); // the shared LocalStack, and the stack's own engine
});

after(() => {
  rmSync(work, { recursive: true, force: true });
  if (timings.length) process.stderr.write(`# engine matrix (boot, tests):\n${timings.map((t) => `#   ${t}\n`).join("")}`);
});

for (const spec of selected) {
  const jdk = pickJdk(jdks, spec.minJava);
  const skip = jdk ? false : `${missingJdk(engineName(spec), spec.minJava, jdks)}`;

  describe(engineName(spec), { skip, concurrency: 2 }, () => {
    let engine: Pick<ExtraEngine, "url" | "bootSeconds" | "stop">;
    let onStack = false;
    let began = 0;

    before(async () => {
      onStack = stack.engine.family === spec.family && stack.engine.version === spec.version;
      engine = onStack ? { url: stack.search, bootSeconds: 0, stop: async () => {} } : await extraEngine({}, { engine: spec });
      began = Date.now();
      process.stderr.write(`# ${engineName(spec)} ${onStack ? "is the stack's engine" : "ready"} at ${engine.url}${onStack ? "" : ` in ${engine.bootSeconds.toFixed(1)} s`} (JDK ${jdk!.version})\n`);
    });

    after(async () => {
      await engine?.stop();
      if (engine) timings.push(`${engineName(spec).padEnd(24)} ${onStack ? " (stack)" : `${engine.bootSeconds.toFixed(1).padStart(6)} s`}  ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s  (JDK ${jdk!.version})`);
    });

    test("GET / names the engine and its version", async () => {
      const response = await fetch(engine.url);
      const root = (await response.json()) as { version: { number: string; distribution?: string }; tagline: string };
      assert.equal(root.version.number, spec.version);
      if (spec.family === "elasticsearch") {
        assert.equal(response.headers.get("x-elastic-product"), "Elasticsearch");
        assert.equal(root.tagline, "You Know, for Search");
        assert.equal(root.version.distribution, undefined);
      } else {
        assert.equal(root.version.distribution, "opensearch");
        assert.equal(response.headers.get("x-elastic-product"), null);
      }
      const head = await fetch(engine.url, { method: "HEAD" });
      assert.equal(head.status, 200, "HEAD / answers as GET / does");
    });

    for (const scenario of SCENARIOS) {
      const only = spec.flat === "none" ? scenario.withoutFlat : undefined;
      test(`${scenario.what} (${scenario.file}${only ? `: ${only}` : ""})`, async (t) => {
        if (onStack) return t.skip(`the rest of the suite runs ${scenario.file} on the stack's engine, ${engineName(spec)}`);
        const result = await runTestFile(scenario.file, spec, engine.url, only, scenario.env);
        const summary = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, "m").exec(result.output)?.[1] ?? "-1");
        assert.equal(result.code, 0, `${scenario.file} failed on ${engineName(spec)}:\n${result.output.slice(-6000)}`);
        assert.ok(summary("pass") > 0, `${scenario.file} ran no test:\n${result.output.slice(-3000)}`);
        assert.equal(summary("fail"), 0, result.output.slice(-3000));
        for (const line of result.output.split("\n").filter((l) => /^\s*[✔✖﹣]/.test(l))) process.stderr.write(`#   ${line.trim()}\n`);
      });
    }

    test(spec.flat === "none" ? "no flat fields: the free-form objects are kept whole in _source, not indexed, and searches on them find nothing" : `flat fields (${spec.flat}): free-form objects are searchable by path`, async () => {
      const prefix = uniqueName("matrix-flat");
      const records = [
        { eventVersion: "1.08", eventTime: "2024-03-04T12:00:00Z", eventID: "flat-1", eventName: "RunInstances", requestParameters: { instanceType: "t3.micro", blockDeviceMapping: { items: [{ deviceName: "/dev/xvda" }] } } },
        { eventVersion: "1.08", eventTime: "2024-03-04T12:00:01Z", eventID: "flat-2", eventName: "RunInstances", requestParameters: { instanceType: "m5.large" } },
      ];
      const file = join(work, `${prefix}.ndjson`);
      writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
      const bulk = await runScript("bulk.ts", [file], { ES_URL: engine.url, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: join(work, `${prefix}-dead.ndjson`) });
      assert.equal(bulk.code, 0, bulk.stderr);
      assert.match(bulk.stderr, /2 records read: 2 indexed, 0 duplicates, 0 dead-lettered/);

      const mapping = (await (await fetch(`${engine.url}/${prefix}-*/_mapping`)).json()) as Record<string, { mappings: { properties: Record<string, { type?: string; enabled?: boolean }> } }>;
      const requestParameters = Object.values(mapping)[0]!.mappings.properties.requestParameters!;
      const hits = async (query: unknown) => {
        const response = await fetch(`${engine.url}/${prefix}-*/_search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
        assert.equal(response.status, 200, await response.clone().text());
        return ((await response.json()) as { hits: { hits: { _id: string; _source: { requestParameters: unknown } }[] } }).hits.hits;
      };
      const t3 = await hits({ term: { "requestParameters.instanceType": "t3.micro" } });
      if (spec.flat === "none") {
        assert.deepEqual(requestParameters, { type: "object", enabled: false });
        assert.equal(t3.length, 0, "a field that is not indexed finds nothing (and is no error)");
        const byId = await hits({ ids: { values: ["flat-1"] } });
        assert.deepEqual(byId[0]?._source.requestParameters, records[0]!.requestParameters, "the object is kept whole");
      } else {
        assert.equal(requestParameters.type, spec.flat);
        assert.deepEqual(t3.map((h) => h._id), ["flat-1"]);
        assert.deepEqual((await hits({ term: { "requestParameters.blockDeviceMapping.items.deviceName": "/dev/xvda" } })).map((h) => h._id), ["flat-1"], "a nested path");
        assert.deepEqual((await hits({ term: { requestParameters: "m5.large" } })).map((h) => h._id), ["flat-2"], "any leaf, by the field's name");
      }
    });

    const expected: Reader = spec.family === "elasticsearch" && spec.version.startsWith("9.") ? "@elastic/elasticsearch 9" : spec.family === "elasticsearch" && spec.version.startsWith("8.") ? "@elastic/elasticsearch 8" : "REST";
    test(`reading back: ${expected}${expected === "REST" ? "" : ", the same documents as plain REST"}`, async () => {
      assert.equal(await readerFor(engine.url), expected);
      const prefix = uniqueName("matrix-read");
      const records = Array.from({ length: 1200 }, (_, i) => ({ eventVersion: "1.08", eventTime: `2024-03-0${1 + (i % 3)}T00:00:${String(i % 60).padStart(2, "0")}Z`, eventID: `read-${i}`, eventName: "GetObject" }));
      const bulk = await runScript("bulk.ts", [], { ES_URL: engine.url, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: join(work, `${prefix}-dead.ndjson`) }, { stdin: records.map((r) => JSON.stringify(r)).join("\n") + "\n" });
      assert.equal(bulk.code, 0, bulk.stderr);
      const read = await allDocuments(engine.url, `${prefix}-*`, expected);
      assert.equal(read.size, records.length, "every document, across three indices and more than one page");
      assert.deepEqual(read.get("read-7")?.source, { "@timestamp": records[7]!.eventTime, ...records[7] });
      if (expected !== "REST") assert.deepEqual(read, await allDocuments(engine.url, `${prefix}-*`, "REST"));
      if (expected === "@elastic/elasticsearch 8") {
        // why 8.x is read with the 8.x client: the 9.x client asks for compatible-with=9, which 8.x refuses
        const client = new Client9({ node: engine.url });
        try {
          await assert.rejects(client.index({ index: `${prefix}-2024.03.01`, id: "from-9x-client", document: records[0] }), /Accept version must be either version 8 or 7, but found 9/);
          await assert.rejects(client.search({ index: `${prefix}-*`, query: { match_all: {} } }), /Accept version must be either version 8 or 7, but found 9/);
        } finally {
          await client.close();
        }
        assert.equal((await allDocuments(engine.url, `${prefix}-*`, expected)).has("from-9x-client"), false);
      }
    });
  });
}

/** One scenario file as its own `node --test` run against `url`, output captured. */
function runTestFile(file: string, spec: EngineSpec, url: string, namePattern?: string, settings: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "NODE_TEST_CONTEXT") env[k] = v;
  Object.assign(env, settings, { SEARCH_PORT: new URL(url).port, SEARCH_ENGINE: spec.family, SEARCH_VERSION: spec.version, OPENSEARCH_VERSION: "" });
  const args = ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=1", ...(namePattern ? ["--test-name-pattern", namePattern] : []), join(repoRoot, "test", "integration", file)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** ENGINE_MATRIX: "all" (default), "none", or "elasticsearch-8,opensearch-1.3.20,…". */
function selectEngines(raw: string | undefined): EngineSpec[] {
  const value = (raw ?? "").trim() || "all";
  if (value === "all") return [...ENGINES];
  if (value === "none") return [];
  return value.split(",").map((item) => {
    const match = /^(elasticsearch|opensearch)-(\d+(?:\.\d+){0,2})$/.exec(item.trim());
    if (!match) throw new Error(`ENGINE_MATRIX items look like elasticsearch-8 or opensearch-1.3.20, not ${JSON.stringify(item)}`);
    return resolveEngine(match[1] as Family, match[2]);
  }).filter((e, i, all) => all.findIndex((o) => slug(o) === slug(e)) === i);
}
