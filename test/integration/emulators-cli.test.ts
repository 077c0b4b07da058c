/**
 * `make up`, `make status` and `make down` as a user runs them (scripts/emulators.ts), on ports of their own so
 * the shared test stack is left alone: the default engine (Elasticsearch 9.x where a JDK 21+ is found) and
 * SEARCH_ENGINE=opensearch, every listening socket on loopback, a missing JDK in one line, nothing left after down.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_ELASTICSEARCH, DEFAULT_OPENSEARCH } from "../../emulators/engines.ts";
import { findJdks } from "../../emulators/jdk.ts";
import { repoRoot } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

const scratch = mkdtempSync(join(tmpdir(), "trailpost-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function emulators(command: string, env: Record<string, string>) {
  const started = Date.now();
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/emulators.ts", command], {
    cwd: repoRoot,
    env: { ...process.env, EMULATORS: "host", ...env },
    encoding: "utf8",
    timeout: 180_000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr, seconds: (Date.now() - started) / 1000 };
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"));
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  assert.ok(address && typeof address === "object", "the server listens on a TCP port");
  return address.port;
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => listen()));
  const ports = servers.map(portOf);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

test("up on a port held by another program exits non-zero quickly, naming the port", async () => {
  const blocker = await listen();
  const [lsPort] = await freePorts(1);
  const searchPort = portOf(blocker);
  try {
    const result = emulators("up", { SEARCH_PORT: String(searchPort), LOCALSTACK_PORT: String(lsPort) });
    assert.equal(result.code, 1, result.err);
    assert.match(result.err, new RegExp(`port ${searchPort} is taken by another program`));
    assert.ok(result.seconds < 60, `took ${result.seconds} s`);
    assert.equal(existsSync(join(repoRoot, ".emulators", "run", `localstack-${lsPort}.json`)), false, "nothing was started");
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

test("up with no JDK at all exits non-zero at once with one line naming the cause", async () => {
  const [lsPort, searchPort] = await freePorts(2);
  const result = emulators("up", { SEARCH_PORT: String(searchPort), LOCALSTACK_PORT: String(lsPort), PATH: "/nonexistent", JAVA_HOME: "", JDK_DIRS: "/nonexistent" });
  assert.equal(result.code, 1, result.err);
  assert.ok(result.seconds < 60, `took ${result.seconds} s`);
  const lines = result.err.trim().split("\n").filter((l) => l.startsWith("emulators up:"));
  assert.equal(lines.length, 1, result.err);
  assert.match(lines[0]!, new RegExp(`OpenSearch ${DEFAULT_OPENSEARCH.version} needs a JDK 17 or newer \\(found none in JAVA_HOME, /usr/lib/jvm \\(JDK_DIRS\\) or PATH\\): install one, or set JAVA_HOME to it`));
  assert.equal(existsSync(join(repoRoot, ".emulators", "run", `localstack-${lsPort}.json`)), false, "nothing was started");
});

test("with only a JDK 17: Elasticsearch 9 asked for is one clear line at once; auto says it uses OpenSearch", async (t) => {
  const jdk17 = findJdks(process.env).find((j) => j.feature === 17);
  if (!jdk17) return t.skip("no JDK 17 on this machine");
  const jdkDir = join(scratch, "jdks");
  mkdirSync(jdkDir, { recursive: true });
  symlinkSync(jdk17.home, join(jdkDir, "only-17"));
  const [lsPort, searchPort] = await freePorts(2);
  const env = { SEARCH_PORT: String(searchPort), LOCALSTACK_PORT: String(lsPort), JAVA_HOME: "", JDK_DIRS: jdkDir, PATH: `${join(repoRoot, "node_modules", ".bin")}:/usr/bin:/bin`.split(":").filter((d) => !existsSync(join(d, "java"))).join(":") };

  const explicit = emulators("up", { ...env, SEARCH_ENGINE: "elasticsearch" });
  assert.equal(explicit.code, 1, explicit.err);
  assert.ok(explicit.seconds < 30, `took ${explicit.seconds} s`);
  const lines = explicit.err.trim().split("\n").filter((l) => l.startsWith("emulators up:"));
  assert.deepEqual(lines, [`emulators up: Elasticsearch ${DEFAULT_ELASTICSEARCH.version} needs a JDK 21 or newer (found ${jdk17.version}): install one, or set JAVA_HOME to it`]);

  const blocker = await listen();
  try {
    const auto = emulators("up", { ...env, SEARCH_PORT: String(portOf(blocker)) });
    assert.equal(auto.code, 1, auto.err);
    assert.match(auto.err, new RegExp(`no JDK 21 or newer found for Elasticsearch ${DEFAULT_ELASTICSEARCH.version}: using OpenSearch ${DEFAULT_OPENSEARCH.version}`));
    assert.match(auto.err, /port \d+ is taken by another program/);
    const status = emulators("status", env);
    assert.match(status.out, new RegExp(`java\\s+OpenSearch ${DEFAULT_OPENSEARCH.version} would run on JDK ${jdk17.version.replaceAll(".", "\\.")}`));
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  assert.equal(existsSync(join(repoRoot, ".emulators", "run", `localstack-${lsPort}.json`)), false, "nothing was started");
});

for (const engine of [DEFAULT_ELASTICSEARCH, DEFAULT_OPENSEARCH]) {
  const name = engine.family === "elasticsearch" ? "Elasticsearch" : "OpenSearch";
  test(`${engine === DEFAULT_ELASTICSEARCH ? "the default engine" : "SEARCH_ENGINE=opensearch"}: up, status, ingest and down on fresh ports; only loopback sockets; nothing left behind`, async () => {
    const [lsPort, searchPort] = await freePorts(2);
    const env = { LOCALSTACK_PORT: String(lsPort), SEARCH_PORT: String(searchPort), ...(engine === DEFAULT_OPENSEARCH ? { SEARCH_ENGINE: "opensearch" } : {}) };
    const pidFiles = [`localstack-${lsPort}.json`, `search-${searchPort}.json`].map((f) => join(repoRoot, ".emulators", "run", f));
    try {
      const upResult = emulators("up", env);
      assert.equal(upResult.code, 0, upResult.err);
      assert.ok(upResult.seconds < 120, `up took ${upResult.seconds} s`);
      assert.match(upResult.err, new RegExp(`${name} ${engine.version} started in [\\d.]+ s on JDK`));
      const pids = pidFiles.map((f) => (JSON.parse(readFileSync(f, "utf8")) as { pid: number }).pid);

      const status = emulators("status", env);
      assert.equal(status.code, 0, status.err);
      assert.match(status.out, /localstack\s+up\s+.*LocalStack 4\.14\.0: s3 (running|available), sqs (running|available)/);
      assert.match(status.out, new RegExp(`search\\s+up\\s+.*${name} ${engine.version.replaceAll(".", "\\.")}: cluster (green|yellow), JDK \\d+`));
      assert.match(status.out, /java\s+running on JDK \d+[.\d]* \(\/.+\); found /);

      const root = await fetch(`http://127.0.0.1:${searchPort}/`);
      const body = (await root.json()) as { version: { number: string; distribution?: string } };
      assert.equal(body.version.number, engine.version);
      assert.equal(body.version.distribution, engine.family === "opensearch" ? "opensearch" : undefined);
      assert.equal(root.headers.get("x-elastic-product"), engine.family === "elasticsearch" ? "Elasticsearch" : null);

      // every socket our processes listen on is on loopback (LocalStack's default server binds 0.0.0.0)
      const sockets = listeningSockets(pids);
      assert.ok(sockets.some((s) => s.endsWith(`:${lsPort}`)), `LocalStack listens: ${JSON.stringify(sockets)}`);
      assert.ok(sockets.some((s) => s.endsWith(`:${searchPort}`)), `the engine listens: ${JSON.stringify(sockets)}`);
      for (const socket of sockets) assert.match(socket, /^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+$/, `listening beyond loopback: ${JSON.stringify(sockets)}`);

      const other = emulators("up", { ...env, SEARCH_ENGINE: engine.family === "elasticsearch" ? "opensearch" : "elasticsearch" });
      assert.equal(other.code, 1, other.err);
      assert.match(other.err, new RegExp(`port ${searchPort} already runs ${name} ${engine.version.replaceAll(".", "\\.")}, not .*: run make down first, or set SEARCH_PORT`));

      const again = emulators("up", env);
      assert.equal(again.code, 0, again.err);
      assert.match(again.err, /already running/);

      // make ingest on this stack: the blog's day lands, the top-10 query answers
      const cwd = mkdtempSync(join(scratch, "ingest-"));
      const ingest = await runScript("blog.ts", ["--date", "2013-12-07"], { ...env, EMULATORS: "host", CLOUDTRAIL_BUCKET: undefined, ES_URL: undefined, DATE: undefined, INDEX_PREFIX: "cli" }, { cwd });
      assert.equal(ingest.code, 0, ingest.stderr);
      assert.match(ingest.stderr, new RegExp(`on http://127\\.0\\.0\\.1:${searchPort} \\(${engine.family} ${engine.version.replaceAll(".", "\\.")}\\)`));
      assert.match(ingest.stderr, /top 10 eventName[\s\S]*DescribeInstances\s+238/);
      assert.equal(await countDocuments(`http://127.0.0.1:${searchPort}`, "cli-2013.12.07"), 513);

      const downResult = emulators("down", env);
      assert.equal(downResult.code, 0, downResult.err);
      for (const port of [lsPort, searchPort]) {
        await assert.rejects(fetch(`http://127.0.0.1:${port}/`), `port ${port} still answers after down`);
      }
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} still runs after down`);
      assert.deepEqual(listeningSockets(pids), [], "no socket left");
      assert.equal(javaProcessesUsing(join(repoRoot, ".emulators", "data", `${engine.family}-${engine.version}-${searchPort}`)), 0, "no JVM left");
      for (const f of pidFiles) assert.equal(existsSync(f), false);

      const afterDown = emulators("status", env);
      assert.equal(afterDown.code, 1);
      assert.match(afterDown.out, /localstack\s+down/);
    } finally {
      emulators("down", env);
      for (const data of [`${engine.family}-${engine.version}-${searchPort}`, `localstack-${lsPort}`]) rmSync(join(repoRoot, ".emulators", "data", data), { recursive: true, force: true });
    }
  });
}

/** Local addresses of the listening TCP sockets of these processes (from /proc, as `ss -ltnp` shows them). */
function listeningSockets(pids: number[]): string[] {
  const out = spawnSync("ss", ["-Hltnp"], { encoding: "utf8" }).stdout;
  return out.split("\n").filter((line) => pids.some((pid) => line.includes(`pid=${pid},`))).map((line) => line.trim().split(/\s+/)[3]!);
}

/** How many running java processes have `home` on their command line. */
function javaProcessesUsing(home: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes("java") && cmdline.includes(home)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
