import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chooseEngine, DEFAULT_ELASTICSEARCH, DEFAULT_OPENSEARCH, EngineError, ENGINES, resolveEngine } from "../../../emulators/engines.ts";
import type { Jdk } from "../../../emulators/jdk.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const jdk = (feature: number): Jdk => ({ home: `/jdk${feature}`, java: `/jdk${feature}/bin/java`, version: `${feature}.0.1`, feature, compiler: true, source: "JDK_DIRS" });

test("the six engines the README lists, one pinned version per line, Elasticsearch 9 and OpenSearch 2.19 first", () => {
  assert.deepEqual(ENGINES.map((e) => `${e.family} ${e.version}`), [
    "elasticsearch 9.2.0", "elasticsearch 8.19.21", "elasticsearch 7.17.29", "opensearch 2.19.6", "opensearch 3.3.2", "opensearch 1.3.20",
  ]);
  assert.equal(DEFAULT_ELASTICSEARCH.version, "9.2.0");
  assert.equal(DEFAULT_OPENSEARCH.version, "2.19.6");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  for (const e of ENGINES) assert.ok(readme.includes(e.version), `README names ${e.family} ${e.version}`);
});

test("every engine's launcher source set exists and defines its main class", () => {
  for (const e of ENGINES) {
    const main = join(root, "emulators", e.family, "src", e.launcherSource, "java", ...e.mainClass.split(".")) + ".java";
    assert.ok(existsSync(main), `${e.family} ${e.version}: ${main}`);
    assert.ok(existsSync(join(root, "emulators", e.family, "pom.xml")));
  }
});

test("SEARCH_VERSION: a pinned version, a line that names it, or another release of a supported line", () => {
  assert.equal(resolveEngine("elasticsearch").version, "9.2.0");
  assert.equal(resolveEngine("elasticsearch", "8").version, "8.19.21");
  assert.equal(resolveEngine("elasticsearch", "8.19").version, "8.19.21");
  assert.equal(resolveEngine("elasticsearch", "7.17.29").launcherSource, "7");
  assert.equal(resolveEngine("opensearch", "3").version, "3.3.2");
  assert.equal(resolveEngine("opensearch", "1").minJava, 17);
  const other = resolveEngine("opensearch", "2.19.5");
  assert.equal(other.version, "2.19.5");
  assert.equal(other.launcherSource, "1-2", "built with its line's launcher");
  assert.equal(resolveEngine("elasticsearch", "9.1.4").minJava, 21);
});

test("SEARCH_VERSION errors name the value and the choices", () => {
  assert.throws(() => resolveEngine("elasticsearch", "10"), (e) => e instanceof EngineError && /Elasticsearch 10 is not one the local stack can run: choose 9\.2\.0, 8\.19\.21, 7\.17\.29/.test(e.message));
  assert.throws(() => resolveEngine("opensearch", "9"), /OpenSearch 9 is not one/);
  assert.throws(() => resolveEngine("elasticsearch", "8.18"), /Elasticsearch 8\.18 is not one/, "a line other than the pinned one needs an exact version");
  assert.throws(() => resolveEngine("elasticsearch", "latest"), /SEARCH_VERSION must be a version like 9\.2\.0 or a line like 9, not "latest"/);
  assert.throws(() => resolveEngine("elasticsearch", "9.2.0; rm -rf ~"), /not "9\.2\.0; rm -rf ~"/);
});

test("auto: Elasticsearch 9 where a JDK 21+ is found, else OpenSearch 2.19 with one line saying why", () => {
  assert.deepEqual(chooseEngine({ family: "auto" }, [jdk(17), jdk(25)]), { engine: DEFAULT_ELASTICSEARCH });
  assert.deepEqual(chooseEngine({ family: "auto" }, [jdk(21)]), { engine: DEFAULT_ELASTICSEARCH });
  const fallback = chooseEngine({ family: "auto" }, [jdk(17)]);
  assert.equal(fallback.engine, DEFAULT_OPENSEARCH);
  assert.equal(fallback.note, "no JDK 21 or newer found for Elasticsearch 9.2.0: using OpenSearch 2.19.6 (install a JDK 21+ or set SEARCH_ENGINE)");
  assert.equal(chooseEngine({ family: "auto" }, []).engine, DEFAULT_OPENSEARCH, "with no JDK at all, up's preflight names the missing JDK");
  assert.deepEqual(chooseEngine({ family: "elasticsearch", version: "9" }, [jdk(17)]), { engine: DEFAULT_ELASTICSEARCH }, "an explicit choice is kept (preflight says the JDK is missing)");
  assert.equal(chooseEngine({ family: "opensearch", version: "1.3" }, [jdk(25)]).engine.version, "1.3.20");
});
