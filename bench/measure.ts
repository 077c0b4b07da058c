/**
 * One benchmark run of a command: wall time, peak RSS, and the CPU it cost, its own and that of the local stack's
 * processes it talks to (the engine, LocalStack), read from /proc before and after. On a machine of two cores the
 * sum of those CPU seconds is what bounds the wall time: the columns say who used them.
 *
 * ```ts
 * const watched = { engine: 1234, s3: 5678 };
 * const run = measure({ name: "bulk.ts", command: ["node", "--import", "tsx", "scripts/bulk.ts", "day.ndjson"] }, watched);
 * // { seconds, rss, cpu: { ours, engine, s3 } }
 * ```
 *
 * Peak RSS is /usr/bin/time's %M: the largest process of the command (a pipeline's largest member, a script's own
 * process with its threads). "ours" is the command's user+system CPU, its children included.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import process from "node:process";

export interface Command {
  name: string;
  command: string[];
  env?: Record<string, string>;
  /** Run before each measured run, untimed (deleting the indices of the last run). */
  before?: () => void | Promise<void>;
}

export interface Measured {
  seconds: number;
  rss: number;
  cpu: Cpu;
  /** The command's stderr (its summary line). */
  stderr: string;
}

export interface Cpu {
  ours: number;
  /** The search engine's process, when it is local. */
  engine?: number;
  /** LocalStack's process (S3), when it is local. */
  s3?: number;
}

/** Local processes whose CPU a run is charged with. */
export interface Watched {
  engine?: number;
  s3?: number;
}

export async function measure(run: Command, watched: Watched = {}): Promise<Measured> {
  await run.before?.();
  const devNull = openSync("/dev/null", "w");
  const before = cpuOf(watched);
  const t0 = process.hrtime.bigint();
  const result = spawnSync("/usr/bin/time", ["-f", "%M %U %S", ...run.command], { env: { ...process.env, ...run.env }, stdio: ["ignore", devNull, "pipe"], encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = cpuOf(watched);
  closeSync(devNull);
  if (result.status !== 0) throw new Error(`${run.name} failed (exit ${result.status}): ${result.stderr.slice(-1500)}`);
  const lines = result.stderr.trimEnd().split("\n");
  const [kb, user, system] = lines.pop()!.trim().split(" ").map(Number) as [number, number, number];
  const cpu: Cpu = { ours: user + system };
  if (before.engine !== undefined && after.engine !== undefined) cpu.engine = after.engine - before.engine;
  if (before.s3 !== undefined && after.s3 !== undefined) cpu.s3 = after.s3 - before.s3;
  return { seconds, rss: kb * 1024, cpu, stderr: lines.join("\n") };
}

/** The median run by wall time (its RSS and CPU with it), and the largest peak RSS of all runs. */
export function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const middle = sorted[Math.floor(sorted.length / 2)]!;
  return { ...middle, rss: Math.max(...runs.map((r) => r.rss)) };
}

/** CPU seconds (user + system) the watched processes have used so far. */
export function cpuOf(watched: Watched): { engine?: number; s3?: number } {
  return { engine: processCpu(watched.engine), s3: processCpu(watched.s3) };
}

const TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** utime + stime of a process and of its children that ended, in seconds (Linux /proc). */
function processCpu(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields from the state on: utime is the 12th, stime the 13th, cutime and cstime follow
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS;
}
