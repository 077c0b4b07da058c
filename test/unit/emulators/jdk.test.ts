import { after, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeJdk, findJdks, missingJdk, pickJdk } from "../../../emulators/jdk.ts";

const dir = mkdtempSync(join(tmpdir(), "trailpost-jdks-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A directory that looks like a JDK: bin/java (and bin/javac), and the release file every JDK since 9 has. */
function fakeJdk(path: string, version: string, options: { javac?: boolean; release?: boolean } = {}): string {
  mkdirSync(join(path, "bin"), { recursive: true });
  for (const tool of options.javac === false ? ["java"] : ["java", "javac"]) {
    writeFileSync(join(path, "bin", tool), "#!/bin/sh\n");
    chmodSync(join(path, "bin", tool), 0o755);
  }
  if (options.release !== false) writeFileSync(join(path, "release"), `IMPLEMENTOR="Test"\nJAVA_VERSION="${version}"\nOS_NAME="Linux"\n`);
  return path;
}

const jvm = join(dir, "jvm");
const jdk17 = fakeJdk(join(jvm, "java-17-openjdk-amd64"), "17.0.15");
symlinkSync(jdk17, join(jvm, "java-1.17.0-openjdk-amd64"));
const jdk25 = fakeJdk(join(jvm, "temurin-25-jdk-amd64"), "25.0.3");
fakeJdk(join(jvm, "openjdk-17"), "", { release: false }); // Debian's docs-only directory: no release file
fakeJdk(join(jvm, "temurin-21-jre"), "21.0.4", { javac: false });
const jdk8 = fakeJdk(join(dir, "old", "jdk8"), "1.8.0_292");
const mac = fakeJdk(join(dir, "mac", "zulu-22.jdk", "Contents", "Home"), "22.0.1");

test("JDKs are found in JAVA_HOME, then the JDK directories (macOS bundles too), then PATH; each once", () => {
  const jdks = findJdks({ JAVA_HOME: jdk8, JDK_DIRS: [jvm, join(dir, "mac")].join(":"), PATH: join(jdk17, "bin") });
  assert.deepEqual(jdks.map((j) => [j.home, j.version, j.feature, j.compiler, j.source]), [
    [jdk8, "1.8.0_292", 8, true, "JAVA_HOME"],
    [jdk17, "17.0.15", 17, true, "JDK_DIRS"],
    [join(jvm, "temurin-21-jre"), "21.0.4", 21, false, "JDK_DIRS"],
    [jdk25, "25.0.3", 25, true, "JDK_DIRS"],
    [mac, "22.0.1", 22, true, "JDK_DIRS"],
  ]);
  assert.deepEqual(findJdks({ JDK_DIRS: join(dir, "nothing"), PATH: "/nonexistent" }), []);
  assert.deepEqual(findJdks({ JDK_DIRS: "", PATH: join(jdk25, "bin") }).map((j) => j.source), ["PATH"]);
});

test("an engine runs on JAVA_HOME when it is new enough, else on the oldest JDK that is", () => {
  const jdks = findJdks({ JDK_DIRS: jvm });
  assert.equal(pickJdk(jdks, 17)?.home, jdk17);
  assert.equal(pickJdk(jdks, 21)?.feature, 21, "a JRE runs an engine");
  assert.equal(pickJdk(jdks, 21, true)?.home, jdk25, "building needs javac");
  assert.equal(pickJdk(jdks, 26), undefined);
  const withHome = findJdks({ JAVA_HOME: jdk25, JDK_DIRS: jvm });
  assert.equal(pickJdk(withHome, 17)?.home, jdk25, "JAVA_HOME wins when it fits");
  const oldHome = findJdks({ JAVA_HOME: jdk8, JDK_DIRS: jvm });
  assert.equal(pickJdk(oldHome, 17)?.home, jdk17, "a JAVA_HOME too old for the engine is passed over");
});

test("a missing JDK is one line: what is needed, what was found", () => {
  const jdks = findJdks({ JDK_DIRS: jvm });
  assert.equal(missingJdk("Elasticsearch 9.2.0", 26, jdks), "Elasticsearch 9.2.0 needs a JDK 26 or newer (found 17.0.15, 21.0.4, 25.0.3): install one, or set JAVA_HOME to it");
  assert.equal(missingJdk("OpenSearch 2.19.6", 17, []), "OpenSearch 2.19.6 needs a JDK 17 or newer (found none in JAVA_HOME, /usr/lib/jvm (JDK_DIRS) or PATH): install one, or set JAVA_HOME to it");
  assert.match(missingJdk("x", 21, jdks, true), /21\.0\.4 \(no javac\)/);
  assert.equal(describeJdk(jdks[0]!), `17.0.15 (${jdk17})`);
});
