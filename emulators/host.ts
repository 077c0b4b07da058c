/**
 * The emulators as host processes, for machines without a Docker engine:
 * - LocalStack from PyPI (`localstack-core[base-runtime]`) in a project-local virtualenv, `python -m localstack.runtime.main`,
 *   served by hypercorn on 127.0.0.1 only (LocalStack's default server, twisted, ignores the host in GATEWAY_LISTEN
 *   and binds every interface);
 * - the search engine as one node in a JVM (launcher.ts).
 * Installs what is missing, starts them detached with pid files, and stops only what it started.
 *
 * ```ts
 * const ls = await startLocalStack(config, log);   // { url: "http://127.0.0.1:4566", reused: false }
 * ```
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { StackConfig } from "./config.ts";
import {
  StackError,
  findExecutable,
  isOurProcess,
  lastLines,
  readPidRecord,
  removePidRecord,
  run,
  sleep,
  startDetached,
  stopProcessGroup,
  waitForPortFree,
  writePidRecord,
  type Started,
} from "./processes.ts";
import { portState, probeLocalStack, probeSearch } from "./probes.ts";

export type Log = (line: string) => void;

const LOCALSTACK_MARKER = "localstack.runtime.main";
/** LocalStack 4.14.0 was released on 2026-02-26; newer releases of its dependencies break it (cbor2 6, pyOpenSSL 26). */
const LOCALSTACK_DEPENDENCIES_BEFORE = "2026-02-27T00:00:00Z";

/** Pid files and data are per service and port, so that stacks on other ports (tests) never collide. */
export const pidFile = (config: StackConfig, service: string, port: number) => join(config.dir, "run", `${service}-${port}.json`);
export const logFile = (config: StackConfig, name: string) => join(config.dir, "logs", `${name}.log`);
const venvDir = (config: StackConfig) => join(config.dir, `localstack-${config.localstack.version}`, "venv");

// ---------------------------------------------------------------------------------------------------------------
// Install

/** LocalStack 4.14 uses Python 3.13 syntax and stdlib; find such an interpreter. */
export function findPython(config: StackConfig): string {
  const candidates = [
    config.python,
    "python3.13",
    "python3.14",
    ...pyenvPythons(),
    "python3",
  ].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    const path = findExecutable(candidate);
    if (!path) continue;
    try {
      const v = execFileSync(path, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      const [major, minor] = v.split(".").map(Number);
      if (major === 3 && (minor ?? 0) >= 13) return path;
    } catch {
      // not a working interpreter
    }
  }
  throw new StackError(
    `no Python >= 3.13 found (LocalStack ${config.localstack.version} needs it): install python3.13 or set PYTHON=/path/to/python3.13`,
  );
}

function pyenvPythons(): string[] {
  const root = process.env.PYENV_ROOT ?? join(homedir(), ".pyenv");
  try {
    return readdirSync(join(root, "versions"))
      .filter((v) => /^3\.(1[3-9])\.\d+$/.test(v))
      .sort()
      .map((v) => join(root, "versions", v, "bin", "python3"));
  } catch {
    return [];
  }
}

/** Whether the LocalStack virtualenv is installed (else `up` needs Python >= 3.13 to install it). */
export function localStackInstalled(config: StackConfig): boolean {
  return existsSync(join(venvDir(config), ".trailpost-installed"));
}

export async function installLocalStack(config: StackConfig, log: Log): Promise<string> {
  const venv = venvDir(config);
  const python = join(venv, "bin", "python");
  const ready = join(venv, ".trailpost-installed");
  if (existsSync(ready)) return python;
  const base = findPython(config);
  const logs = logFile(config, "install-localstack");
  log(`installing LocalStack ${config.localstack.version} into ${venv} (first run only, about a minute)`);
  await run(base, ["-m", "venv", "--clear", venv], { logFile: logs });
  await run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip"], { logFile: logs });
  const lock = join(config.root, "emulators", "localstack", "requirements.lock");
  const wanted = config.localstack.version === "4.14.0" && existsSync(lock)
    ? ["-r", lock]
    : [`localstack-core[base-runtime]==${config.localstack.version}`];
  await run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--uploaded-prior-to", LOCALSTACK_DEPENDENCIES_BEFORE, ...wanted], { logFile: logs });
  writeFileSync(ready, new Date().toISOString() + "\n");
  return python;
}

// ---------------------------------------------------------------------------------------------------------------
// Start

export interface ServiceEndpoint {
  url: string;
  reused: boolean;
}

export async function startLocalStack(config: StackConfig, log: Log): Promise<ServiceEndpoint> {
  const { port, version } = config.localstack;
  const url = `http://127.0.0.1:${port}`;
  const state = await portState(port, async () => (await probeLocalStack(port)) !== undefined);
  if (state === "foreign") throw new StackError(`port ${port} is taken by another program (it does not answer as LocalStack): free it or set LOCALSTACK_PORT`);
  if (state === "ours") {
    await waitUntil(`LocalStack on port ${port}`, config.timeoutMs, () => undefined, async () => (await probeLocalStack(port))?.ready === true, () => "");
    return { url, reused: true };
  }
  const python = await installLocalStack(config, log);
  const logs = logFile(config, `localstack-${port}`);
  const started = await startDetached(python, ["-m", LOCALSTACK_MARKER], {
    cwd: config.dir,
    logFile: logs,
    env: {
      ...process.env,
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      GATEWAY_SERVER: "hypercorn", // twisted (the default) binds 0.0.0.0 whatever GATEWAY_LISTEN says
      LOCALSTACK_HOST: `127.0.0.1:${port}`,
      SERVICES: "s3,sqs,sns",
      EAGER_SERVICE_LOADING: "1",
      DNS_ADDRESS: "0",
      SQS_ENDPOINT_STRATEGY: "path",
      OVERRIDE_IN_DOCKER: "0",
      FILESYSTEM_ROOT: join(config.dir, "data", `localstack-${port}`),
      SKIP_SSL_CERT_DOWNLOAD: "1",
      DISABLE_EVENTS: "1",
    },
  });
  writePidRecord(pidFile(config, "localstack", port), {
    service: "localstack", mode: "host", pid: started.pid, port, version, marker: LOCALSTACK_MARKER, logFile: logs, startedAt: new Date().toISOString(),
  });
  await waitUntil(`LocalStack ${version} on port ${port}`, config.timeoutMs, started.exited, async () => (await probeLocalStack(port))?.ready === true, () => lastLines(logs, 2));
  return { url, reused: false };
}

export async function waitUntil(what: string, timeoutMs: number, exited: () => string | undefined, ready: () => Promise<boolean>, logTail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit) throw new StackError(`${what} stopped while starting (${exit}): ${logTail()}`);
    if (await ready()) return;
    await sleep(250);
  }
  throw new StackError(`${what} was not ready after ${Math.round(timeoutMs / 1000)} s: ${logTail()}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Stop

/** Stops a host service we started (pid file), and waits until its port is free. */
export async function stopHostService(config: StackConfig, service: string, port: number, log: Log): Promise<void> {
  const file = pidFile(config, service, port);
  const record = readPidRecord(file);
  if (!record || record.mode !== "host" || record.pid === undefined) return;
  if (isOurProcess(record.pid, record.marker)) {
    log(`stopping ${service} (pid ${record.pid})`);
    await stopProcessGroup(record.pid, 30_000);
  }
  removePidRecord(file);
  if (!(await waitForPortFree(record.port, 10_000))) {
    throw new StackError(`${service} stopped, but port ${record.port} is still in use by another program`);
  }
}

export async function stopEngine(pid: number): Promise<void> {
  await stopProcessGroup(pid, 30_000);
}
