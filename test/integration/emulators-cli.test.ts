/**
 * `make up`, `make status` and `make down` as a user runs them (scripts/emulators.ts), on ports of their own so
 * the shared test stack is left alone.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/stack.ts";

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

test("up without java or mvn exits non-zero at once with one line naming the cause", async () => {
  const [lsPort, searchPort] = await freePorts(2);
  const result = emulators("up", { SEARCH_PORT: String(searchPort), LOCALSTACK_PORT: String(lsPort), PATH: "/nonexistent", JAVA_HOME: "" });
  assert.equal(result.code, 1, result.err);
  assert.ok(result.seconds < 60, `took ${result.seconds} s`);
  const lines = result.err.trim().split("\n").filter((l) => l.startsWith("emulators up:"));
  assert.equal(lines.length, 1, result.err);
  assert.match(lines[0]!, /java not found: install a JDK 17 or newer, or set JAVA_HOME/);
  assert.equal(existsSync(join(repoRoot, ".emulators", "run", `localstack-${lsPort}.json`)), false, "nothing was started");
});

test("up, status and down on fresh ports: both services come up with versions, and down frees the ports", async () => {
  const [lsPort, searchPort] = await freePorts(2);
  const env = { LOCALSTACK_PORT: String(lsPort), SEARCH_PORT: String(searchPort) };
  const pidFiles = [`localstack-${lsPort}.json`, `search-${searchPort}.json`].map((f) => join(repoRoot, ".emulators", "run", f));
  try {
    const upResult = emulators("up", env);
    assert.equal(upResult.code, 0, upResult.err);
    assert.ok(upResult.seconds < 60, `up took ${upResult.seconds} s`);
    const pids = pidFiles.map((f) => (JSON.parse(readFileSync(f, "utf8")) as { pid: number }).pid);

    const status = emulators("status", env);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /localstack\s+up\s+.*LocalStack 4\.14\.0: s3 (running|available), sqs (running|available)/);
    assert.match(status.out, /search\s+up\s+.*OpenSearch 2\.19\.6: cluster (green|yellow)/);

    const root = (await (await fetch(`http://127.0.0.1:${searchPort}/`)).json()) as { version: { distribution: string } };
    assert.equal(root.version.distribution, "opensearch");

    const again = emulators("up", env);
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /already running/);

    const downResult = emulators("down", env);
    assert.equal(downResult.code, 0, downResult.err);
    for (const port of [lsPort, searchPort]) {
      await assert.rejects(fetch(`http://127.0.0.1:${port}/`), `port ${port} still answers after down`);
    }
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} still runs after down`);
    for (const f of pidFiles) assert.equal(existsSync(f), false);

    const after = emulators("status", env);
    assert.equal(after.code, 1);
    assert.match(after.out, /localstack\s+down/);
  } finally {
    emulators("down", env);
  }
});
