/**
 * The one adapter between lib/ (web-standard, edge code) and a machine: files, directories, stdin/stdout, the
 * process's arguments and exit code, the shared AWS files, a fast gunzip, and extra TLS trust. It uses `node:`
 * modules, which both Node (tsx) and Deno provide, so every script runs unchanged under `tsx` and `deno run`.
 */
import { spawn } from "node:child_process";
import { lstat, mkdir, open, readdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { closeSync, createReadStream, createWriteStream, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync, type Dirent } from "node:fs";
import { pipeline } from "node:stream/promises";
import { constants, homedir, tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import process from "node:process";
import type { SharedFiles } from "../../lib/aws/credentials.ts";
import type { Decompress } from "../../lib/streams/gunzip.ts";
import { zlibStream } from "./zlib-stream.ts";
import type { LogObject } from "../../lib/streams/log-object.ts";

// deno-lint-ignore no-explicit-any
const Deno = (globalThis as any).Deno as undefined | { execPath(): string; stdin: { readable: ReadableStream<Uint8Array> }; createHttpClient(o: { caCerts: string[] }): unknown };

export const runtime = Deno ? "deno" : "node";

export function args(): string[] {
  return process.argv.slice(2);
}

export function env(): Record<string, string | undefined> {
  return process.env;
}

export function exit(code: number): never {
  process.exit(code);
}

/** How to run another script of ours with the same runtime (tsx under Node, `deno run` under Deno). */
export function scriptCommand(script: string): [string, string[]] {
  if (Deno) return [Deno.execPath(), ["run", "--allow-all", "--quiet", script]];
  return [process.execPath, [...process.execArgv, script]];
}

/** ~/.aws/credentials and ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), when present. */
export function sharedAwsFiles(e = env()): SharedFiles {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined);
  return {
    credentials: read(e.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), ".aws", "credentials")),
    config: read(e.AWS_CONFIG_FILE ?? join(homedir(), ".aws", "config")),
  };
}

/**
 * The fastest gunzip here, with memory bounded whatever the object's size: zlib, streaming (zlib-stream.ts), on
 * Node and Deno alike (measured faster than DecompressionStream on both: 449 MB/s against 108 MB/s on Node 20).
 */
export const decompress: Decompress = zlibStream;

/**
 * Regular files under the given files and directories (recursively, sorted), keeping those `accept` likes.
 *
 * Symbolic links are followed, to files and to directories, and each real file and directory is taken once, by
 * the first path that reaches it in sorted order: a link back to a directory already walked (a loop) or a second
 * way to the same file is skipped, so the walk always ends and nothing is read twice. A broken link, or one
 * that cannot be resolved, is an error naming it.
 */
export async function listFiles(paths: string[], accept: (path: string) => boolean): Promise<{ path: string; root: string }[]> {
  const out: { path: string; root: string }[] = [];
  const seen = new Set<string>();
  // `known`: an entry of a directory already resolved that is a plain file or directory (not a link): its real path
  // is its directory's real path and its name, so it needs no stat and no realpath (a day's folder of 300 files
  // would otherwise cost 600 round trips to the file system before anything is read)
  const walk = async (path: string, root: string, known?: { real: string; directory: boolean }): Promise<void> => {
    let real: string;
    let directory: boolean;
    let entries: Dirent[] = [];
    try {
      if (known) ({ real, directory } = known);
      else {
        const s = await stat(path);
        if (!s.isDirectory() && !s.isFile()) return;
        real = await realpath(path);
        directory = s.isDirectory();
      }
      if (seen.has(real)) return;
      if (directory) entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      throw new Error(`${path}: ${await fsProblem(path, error as NodeJS.ErrnoException)}`);
    }
    if (directory) {
      seen.add(real);
      for (const entry of entries) {
        const child = join(path, entry.name);
        const childReal = join(real, entry.name);
        if (entry.isDirectory()) await walk(child, root, { real: childReal, directory: true });
        else if (entry.isFile()) {
          if (accept(child) && !seen.has(childReal)) {
            seen.add(childReal);
            out.push({ path: child, root });
          }
        } else await walk(child, root); // a link (stat follows it) or an entry of unknown type; other kinds are left out
      }
    } else if (path === root || accept(path)) {
      seen.add(real);
      out.push({ path, root });
    }
  };
  for (const path of paths) await walk(path, path);
  return out;
}

async function fsProblem(path: string, error: NodeJS.ErrnoException): Promise<string> {
  if (error.code === "ELOOP") return "symbolic link loop";
  if (error.code === "EACCES") return "permission denied";
  if (error.code !== "ENOENT") return error.message;
  const link = await lstat(path).then((l) => l.isSymbolicLink(), () => false);
  return link ? "broken symbolic link" : "no such file or directory";
}

/** Files as log objects, each read as it is consumed, a chunk at a time (file-stream.ts). */
export { streamedFileObjects as fileObjects } from "./file-stream.ts";

/** A file's bytes as a stream, read as they are asked for. */
export function fileStream(path: string): ReadableStream<Uint8Array> {
  return pulled(createReadStream(path, { highWaterMark: FILE_CHUNK }));
}

/** Stdin's bytes; a file given as stdin (`< records.ndjson`) is read as fileStream reads one. */
export function stdin(): ReadableStream<Uint8Array> {
  if (Deno) return Deno.stdin.readable;
  return pulled(isFile(0) ? createReadStream("", { fd: 0, autoClose: false, highWaterMark: FILE_CHUNK }) : process.stdin);
}

function isFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * 1 MiB a read from a file: Node allocates a new buffer per read, and with its default of 64 KiB reading 150 MB
 * cost 0.23 CPU seconds, with 1 MiB 0.09 (measured). A pipe gives at most its capacity (64 KiB) a read, which
 * process.stdin reads best.
 */
const FILE_CHUNK = 1 << 20;

/**
 * A Node readable as a web stream that reads a chunk only when one is asked for. (Node 20's `Readable.toWeb`
 * keeps reading ahead of a slow consumer: measured, 26 MB of a piped file held while bulk.ts waited on the engine.)
 */
function pulled(readable: NodeJS.ReadableStream & { destroy(error?: Error): void }): ReadableStream<Uint8Array> {
  const chunks = readable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(value.buffer, value.byteOffset, value.length));
      },
      async cancel() {
        await chunks.return?.();
        readable.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Buffered writing to stdout that waits when the pipe is full. A closed pipe (`| head`) sets `closed` and wakes
 * a write waiting for room (a `drain` that would never come); for the process's stdout, `superviseRun` then
 * ends the run with exit 0.
 */
export class Output {
  #buffer: string[] = [];
  #size = 0;
  #closed = false;
  #wake: (() => void)[] = [];

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") this.#closed = true;
      for (const wake of this.#wake.splice(0)) wake();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  async line(text: string): Promise<void> {
    this.#buffer.push(text, "\n");
    this.#size += text.length + 1;
    if (this.#size >= 1 << 16) await this.flush();
  }

  async bytes(chunk: Uint8Array): Promise<void> {
    await this.flush();
    await this.#write(chunk);
  }

  async flush(): Promise<void> {
    if (!this.#buffer.length) return;
    const text = this.#buffer.join("");
    this.#buffer = [];
    this.#size = 0;
    await this.#write(text);
  }

  async #write(chunk: string | Uint8Array): Promise<void> {
    if (this.#closed) return;
    if (this.stream.write(chunk) || this.#closed) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off("drain", done);
        resolve();
      };
      this.#wake.push(done);
      this.stream.once("drain", done);
    });
  }
}

export async function writeBytes(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data, { mode: 0o644 });
}

export { existsSync, resolve, join };

/** A secret from a file (ES_API_KEY_FILE, ES_PASSWORD_FILE): its content, less trailing newlines. */
export function readSecretFile(variable: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${variable}: cannot read ${path} (${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "a directory" : code ?? "error"})`);
  }
  const secret = text.replace(/[\r\n]+$/, "");
  if (!secret) throw new Error(`${variable}: ${path} is empty`);
  return secret;
}

/**
 * Trusts the CA certificates of `caFile` (ES_CA_CERT) for the rest of the run; call it before any work. Node
 * reads NODE_EXTRA_CA_CERTS only at start, so there the script runs again, once, with it set (together with a
 * NODE_EXTRA_CA_CERTS the user already had), and this process only waits for it: it passes on SIGINT, SIGTERM
 * and SIGHUP (so that stopping it stops the run, and no orphan goes on), and exits with the run's exit code
 * (128 + the signal's number when a signal ended it). The scripts a run starts inherit the arrangement and do not
 * run again. Deno needs nothing here: see `fetchTrusting`.
 */
export async function trustCertificates(caFile: string | undefined): Promise<void> {
  if (!caFile || Deno || process.env[TRUSTED] === resolve(caFile) || !existsSync(caFile)) return;
  let bundle = caFile;
  let scratch: string | undefined;
  const previous = process.env.NODE_EXTRA_CA_CERTS;
  if (previous && resolve(previous) !== resolve(caFile) && existsSync(previous)) {
    scratch = mkdtempSync(join(tmpdir(), "trailpost-ca-"));
    bundle = join(scratch, "ca.pem");
    writeFileSync(bundle, `${readFileSync(previous, "utf8")}\n${readFileSync(caFile, "utf8")}\n`, { mode: 0o600 });
  }
  const forwarded = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  let code: number;
  try {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: "inherit",
      env: { ...process.env, NODE_EXTRA_CA_CERTS: resolve(bundle), [TRUSTED]: resolve(caFile) },
    });
    const pass = (signal: NodeJS.Signals) => void child.kill(signal);
    for (const signal of forwarded) process.on(signal, pass);
    code = await new Promise<number>((done) => {
      child.on("error", (error) => {
        console.error(`cannot run ${process.argv[1]} again with ES_CA_CERT trusted: ${error.message}`);
        done(1);
      });
      child.on("exit", (status, signal) => done(status ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
    });
    for (const signal of forwarded) process.off(signal, pass);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  process.exit(code);
}

/** Set for a run that trusts ES_CA_CERT (its absolute path), so that it and the scripts it starts do not run again. */
const TRUSTED = "TRAILPOST_TRUSTED_CA_CERT";

/**
 * A fetch that trusts the CA certificates of `caFile` for ES_URL, or undefined for the default. Deno takes them
 * per client; Node through NODE_EXTRA_CA_CERTS, which `trustCertificates` (run by `main`) arranged at start.
 */
export function fetchTrusting(caFile: string | undefined): typeof fetch | undefined {
  if (!caFile) return undefined;
  if (!existsSync(caFile)) throw new Error(`ES_CA_CERT: no such file ${caFile}`);
  if (Deno) {
    const client = Deno.createHttpClient({ caCerts: [readFileSync(caFile, "utf8")] });
    return ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, client } as RequestInit)) as typeof fetch;
  }
  if (process.env[TRUSTED] !== resolve(caFile)) throw new Error(`ES_CA_CERT: ${caFile} is trusted only when set before the run starts (trustCertificates)`);
  return undefined;
}

/** Whether two paths (or a path and an open descriptor, e.g. 0 for stdin) are the same file. */
export function sameFile(a: string | number, b: string): boolean {
  try {
    const sa = typeof a === "number" ? fstatSync(a) : statSync(a);
    const sb = statSync(b);
    return sa.isFile() && sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** A file for appending lines, created private (0600), opened once. */
export async function openAppend(path: string): Promise<{ write(text: string): Promise<void>; close(): Promise<void> }> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const handle = await open(path, "a", 0o600);
  return { write: async (text) => void (await handle.write(text)), close: () => handle.close() };
}

/** Appends the bytes of `from` to `to` (created private), streaming, then removes `from`. */
export async function appendFileTo(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createWriteStream(to, { flags: "a", mode: 0o600 }));
  await rm(from, { force: true });
}

export { rename, rm };

/**
 * Work a run must finish however it stops (a dead-letter file to complete): `onExit` registers it. While any is
 * registered, SIGINT, SIGTERM and SIGHUP run every hook, report the line each returns (where things are), and
 * exit 130, 143 or 129; more signals meanwhile change nothing (finishing is a few file operations, and a Node run
 * under ES_CA_CERT gets a Ctrl-C twice: from the terminal and from its parent). With none registered, a signal
 * does what it always does, and a script with its own handlers (worker.ts) keeps them.
 */
export interface ExitHook {
  /** Finishes the work; a line saying where things are, or undefined. `signal`: the run is being stopped by it. */
  finish(end: { code: number; signal?: NodeJS.Signals }): Promise<string | undefined>;
}

const exitHooks = new Set<ExitHook>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let reportLine: (line: string) => void = (line) => console.error(line);
let ending: Promise<never> | undefined;

/** Registers `hook`; the function returned removes it (once the work is done the usual way). */
export function onExit(hook: ExitHook): () => void {
  if (!exitHooks.size) for (const signal of SIGNALS) process.on(signal, onSignal);
  exitHooks.add(hook);
  return () => {
    exitHooks.delete(hook);
    if (!exitHooks.size && !ending) for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}

/**
 * Called once per run, by `main`: how lines of the run's end are printed, and a closed stdout (`| head`, or a
 * reader that exited) ends the run promptly and quietly with exit 0, as `jq … | head` does, after the exit hooks.
 */
export function superviseRun(report: (line: string) => void): void {
  reportLine = report;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") return void endRun(0, "stdout closed");
    report(`stdout: ${error.message}`);
    void endRun(1, "stdout failed");
  });
}

/**
 * Ends the run with `code` after every exit hook (once: a later call returns the same end, so a closed stdout
 * after the body returned does not change its exit code). `cause` prefixes the hooks' lines. `main` ends every
 * run here.
 */
export function endRun(code: number, cause = "end", signal?: NodeJS.Signals): Promise<never> {
  ending ??= (async () => {
    for (const hook of [...exitHooks]) {
      try {
        const line = await hook.finish({ code, signal });
        if (line) reportLine(`${cause}: ${line}`);
      } catch (error) {
        reportLine(`${cause}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    process.exit(code);
  })();
  return ending;
}

/** An end under way (a signal, a closed stdout), which exits the process; else resolves at once. */
export function runEnding(): Promise<void> {
  return ending ?? Promise.resolve();
}

function onSignal(signal: NodeJS.Signals): void {
  void endRun(128 + (constants.signals[signal] ?? 0), `interrupted by ${signal}`, signal);
}

/** A file to write bytes to (created, or emptied), for outputs that are files rather than stdout. */
export function fileSink(path: string): { bytes(chunk: Uint8Array): Promise<void>; close(): Promise<void> } {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "w", 0o644);
  return {
    bytes: async (chunk) => {
      for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
    },
    close: async () => closeSync(fd),
  };
}
