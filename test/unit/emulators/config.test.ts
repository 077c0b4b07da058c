import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, readStackConfig } from "../../../emulators/config.ts";
import { DEFAULT_ELASTICSEARCH } from "../../../emulators/engines.ts";

test("search engine settings: auto by default; SEARCH_ENGINE, SEARCH_VERSION, SEARCH_HEAP", () => {
  const defaults = readStackConfig({}, "/repo");
  assert.deepEqual({ ...defaults.search, port: 0 }, { port: 0, engine: "auto", version: undefined, heap: "1g", elasticsearchImage: `docker.elastic.co/elasticsearch/elasticsearch:${DEFAULT_ELASTICSEARCH.version}` });
  const os = readStackConfig({ SEARCH_ENGINE: "OpenSearch", SEARCH_VERSION: "1.3", SEARCH_HEAP: "512m" }, "/repo");
  assert.deepEqual([os.search.engine, os.search.version, os.search.heap], ["opensearch", "1.3", "512m"]);
  const es8 = readStackConfig({ SEARCH_ENGINE: "elasticsearch", SEARCH_VERSION: "8" }, "/repo");
  assert.equal(es8.search.elasticsearchImage, "docker.elastic.co/elasticsearch/elasticsearch:8.19.21", "Docker runs the version the host would");
  assert.equal(readStackConfig({ ELASTICSEARCH_IMAGE: "my/es:1" }, "/repo").search.elasticsearchImage, "my/es:1");
});

test("the older names still work: OPENSEARCH_VERSION means OpenSearch, OPENSEARCH_HEAP the heap", () => {
  const old = readStackConfig({ OPENSEARCH_VERSION: "2.19.6", OPENSEARCH_HEAP: "768m" }, "/repo");
  assert.deepEqual([old.search.engine, old.search.version, old.search.heap], ["opensearch", "2.19.6", "768m"]);
  const both = readStackConfig({ OPENSEARCH_VERSION: "2.19.6", SEARCH_ENGINE: "elasticsearch" }, "/repo");
  assert.deepEqual([both.search.engine, both.search.version], ["elasticsearch", undefined], "SEARCH_ENGINE wins");
});

test("search engine settings are checked, with the value in the message", () => {
  const fails = (env: Record<string, string>, message: RegExp) => assert.throws(() => readStackConfig(env, "/repo"), (e) => e instanceof ConfigError && message.test(e.message));
  fails({ SEARCH_ENGINE: "solr" }, /SEARCH_ENGINE must be elasticsearch, opensearch or auto, not "solr"/);
  fails({ SEARCH_VERSION: "8" }, /SEARCH_VERSION=8 needs SEARCH_ENGINE=elasticsearch or SEARCH_ENGINE=opensearch/);
  fails({ SEARCH_ENGINE: "elasticsearch", SEARCH_VERSION: "6.8.0" }, /Elasticsearch 6\.8\.0 is not one the local stack can run/);
  fails({ SEARCH_ENGINE: "opensearch", SEARCH_VERSION: "2.x" }, /SEARCH_VERSION must be a version like 2\.19\.6/);
  fails({ SEARCH_HEAP: "lots" }, /SEARCH_HEAP must look like 512m or 1g, not "lots"/);
  fails({ OPENSEARCH_HEAP: "1 gig" }, /OPENSEARCH_HEAP must look like 512m or 1g, not "1 gig"/);
});

test("JDK discovery reads JAVA_HOME, JDK_DIRS and PATH from the environment", () => {
  assert.deepEqual(readStackConfig({ JAVA_HOME: "/j", JDK_DIRS: "/a:/b", PATH: "/bin" }, "/repo").jdkEnv, { JAVA_HOME: "/j", JDK_DIRS: "/a:/b", PATH: "/bin" });
  assert.equal(readStackConfig({ JAVA_HOME: "" }, "/repo").jdkEnv.JAVA_HOME, undefined);
});
