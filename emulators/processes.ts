/**
 * Small process and network helpers for the host-process emulators: find executables, run a command to
 * completion, start a detached service with a pid file, probe ports and HTTP endpoints, stop what we started.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, dirname, join } from "node:path";

export class StackError extends Error {}

/** The absolute path of `name` on PATH, or undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ""): string | undefined {
  if (name.includes("/")) return isExecutableFile(name) ? name : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    const s = statSync(path);
    return s.isFile() && (s.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Runs a command to completion; output goes to `logFile`. Rejects with the last lines of output on failure. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; logFile: string }): Promise<void> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, "a");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", fd, fd] });
    child.on("error", (error) => {
      closeSync(fd);
      reject(new StackError(`${command}: ${error.message}`));
    });
    child.on("exit", (code, signal) => {
      closeSync(fd);
      if (code === 0) resolvePromise();
      else reject(new StackError(`${command} ${args[0] ?? ""} failed (${signal ?? `exit ${code}`}): ${lastLines(options.logFile, 3)} (log: ${options.logFile})`));
    });
  });
}

export function lastLines(file: string, n: number): string {
  try {
    const lines = readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
    return lines.slice(-n).join(" | ");
  } catch {
    return "(no output)";
  }
}

export interface PidRecord {
  service: string;
  mode: "host" | "docker";
  pid?: number;
  containerId?: string;
  port: number;
  version: string;
  /** The search engine's family, and the JDK it runs on ("25.0.3 (/usr/lib/jvm/…)"). */
  engine?: string;
  java?: string;
  marker: string;
  logFile?: string;
  startedAt: string;
}

export function writePidRecord(file: string, record: PidRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
}

export function readPidRecord(file: string): PidRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PidRecord;
  } catch {
    return undefined;
  }
}

export function removePidRecord(file: string): void {
  rmSync(file, { force: true });
}

export interface Started {
  pid: number;
  exited: () => string | undefined;
}

/**
 * Starts a long-running service in its own process group, detached from this process, with stdout and stderr
 * appended to `logFile`. `exited()` tells whether it has already died (and how), so that waiting can stop early.
 */
export function startDetached(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<Started> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, "w");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", fd, fd], detached: true });
    let exit: string | undefined;
    child.on("exit", (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exit ${code}`;
    });
    child.on("error", (error) => {
      closeSync(fd);
      reject(new StackError(`cannot start ${command}: ${error.message}`));
    });
    child.on("spawn", () => {
      closeSync(fd);
      child.unref();
      resolvePromise({ pid: child.pid!, exited: () => exit });
    });
  });
}

/** Whether the process runs and its command line contains `marker` (so a recycled pid is never killed). */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return cmdline.includes(marker);
  } catch {
    return true; // no /proc (macOS): the pid is alive and was ours when recorded
  }
}

/** SIGTERM to the process group, then SIGKILL after `graceMs`. Resolves when the process is gone. */
export async function stopProcessGroup(pid: number, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(200);
  if (alive(pid)) {
    signal("SIGKILL");
    while (alive(pid)) await sleep(100);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portInUse(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once("error", () => resolvePromise(false));
  });
}

export async function waitForPortFree(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await portInUse(port))) return true;
    await sleep(200);
  }
  return !(await portInUse(port));
}

/** GET a URL and parse JSON; undefined on any failure (refused, timeout, non-JSON). */
export async function getJson(url: string, timeoutMs = 2000): Promise<{ status: number; body: unknown; headers: Headers } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body, headers: response.headers };
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
