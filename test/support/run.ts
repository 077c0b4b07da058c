/** Runs our scripts as a user does (a child process, tsx or deno), and reads back what landed in the engine. */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./stack.ts";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How a script is started: tsx (runtime "node", the default), `deno run -A`, or make build's dist/<name>.mjs by its first line. */
export function commandOf(script: string, runtime: "node" | "deno" | "built" = "node"): [string, string[]] {
  const path = `${repoRoot}scripts/${script}`;
  if (runtime === "deno") return [`${repoRoot}node_modules/.bin/deno`, ["run", "--allow-all", "--quiet", path]];
  if (runtime === "built") return [`${repoRoot}dist/${script.replace(/\.ts$/, ".mjs")}`, []];
  return [process.execPath, ["--import", import.meta.resolve("tsx"), path]];
}

/** `node --import tsx scripts/<script> …args` (or as `runtime` says: commandOf), with extra environment. */
export function runScript(script: string, args: string[], env: Record<string, string | undefined> = {}, options: { runtime?: "node" | "deno" | "built"; cwd?: string; stdin?: string } = {}): Promise<RunResult> {
  const [command, prefix] = commandOf(script, options.runtime);
  return runCommand(command, [...prefix, ...args], env, options);
}

/** Any command, with extra environment (undefined removes a variable), its stdin given; what it printed and its exit code. */
export function runCommand(command: string, args: string[], env: Record<string, string | undefined> = {}, options: { cwd?: string; stdin?: string } = {}): Promise<RunResult> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: merged, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    // a child may close its stdin unread (`sh -c 'exec … < file'` does at once): then ending it is EPIPE, not a failure
    child.stdin.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") reject(error);
    });
    child.stdin.end(options.stdin ?? "");
  });
}

export type Documents = Map<string, { index: string; source: Record<string, unknown> }>;

/**
 * How the tests read an engine back: Elasticsearch's official client where it speaks the engine's API version
 * (@elastic/elasticsearch 9.x on Elasticsearch 9, 8.x on Elasticsearch 8: the 9.x client sends
 * `compatible-with=9`, which 8.x refuses, and the 8.x client's product check wants 8.x), plain REST elsewhere
 * (OpenSearch, which the clients refuse, and Elasticsearch 7).
 */
export type Reader = "@elastic/elasticsearch 9" | "@elastic/elasticsearch 8" | "REST";

export async function readerFor(searchUrl: string): Promise<Reader> {
  const root = await fetch(searchUrl);
  const body = (await root.json()) as { version?: { number?: string } };
  if (root.headers.get("x-elastic-product") !== "Elasticsearch") return "REST";
  const major = Number.parseInt(body.version?.number ?? "", 10);
  return major === 9 ? "@elastic/elasticsearch 9" : major === 8 ? "@elastic/elasticsearch 8" : "REST";
}

/** Every document of the indices matching `pattern`, by _id, read with `readerFor`'s reader (or the one given). */
export async function allDocuments(searchUrl: string, pattern: string, reader?: Reader): Promise<Documents> {
  await fetch(`${searchUrl}/${pattern}/_refresh`, { method: "POST" });
  const chosen = reader ?? (await readerFor(searchUrl));
  if (chosen !== "REST") return allDocumentsWithElasticClient(chosen, searchUrl, pattern);
  // the scroll API, as on every engine and version (sorting on _id is refused from Elasticsearch 8)
  const out: Documents = new Map();
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${searchUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path} on ${searchUrl}: HTTP ${response.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as { _scroll_id?: string; hits: { hits: { _id: string; _index: string; _source: Record<string, unknown> }[] } };
  };
  let page = await post(`/${pattern}/_search?scroll=1m&ignore_unavailable=true&allow_no_indices=true`, { size: 1000, sort: ["_doc"], query: { match_all: {} } });
  try {
    while (page.hits.hits.length > 0) {
      for (const hit of page.hits.hits) out.set(hit._id, { index: hit._index, source: hit._source });
      page = await post("/_search/scroll", { scroll: "1m", scroll_id: page._scroll_id });
    }
  } finally {
    if (page._scroll_id) await fetch(`${searchUrl}/_search/scroll`, { method: "DELETE", headers: { "content-type": "application/json" }, body: JSON.stringify({ scroll_id: page._scroll_id }) });
  }
  return out;
}

export async function countDocuments(searchUrl: string, pattern: string): Promise<number> {
  await fetch(`${searchUrl}/${pattern}/_refresh`, { method: "POST" });
  const response = await fetch(`${searchUrl}/${pattern}/_count?ignore_unavailable=true&allow_no_indices=true`);
  return ((await response.json()) as { count: number }).count;
}

async function allDocumentsWithElasticClient(reader: Exclude<Reader, "REST">, searchUrl: string, pattern: string): Promise<Documents> {
  const { Client } = reader === "@elastic/elasticsearch 9" ? await import("@elastic/elasticsearch") : await import("@elastic/elasticsearch8");
  const client = new Client({ node: searchUrl });
  const out: Documents = new Map();
  try {
    for await (const page of client.helpers.scrollSearch<Record<string, unknown>>({ index: pattern, size: 1000, query: { match_all: {} } })) {
      for (const doc of page.body.hits.hits) out.set(doc._id!, { index: doc._index, source: doc._source ?? {} });
    }
  } finally {
    await client.close();
  }
  return out;
}

/** Lines a running script has written to its dead-letter file so far (`<file>.<pid>.partial` in `dir`); 0 before it exists. */
export function partialLines(dir: string): number {
  const partial = readdirSync(dir).find((f) => f.endsWith(".partial"));
  return partial ? readFileSync(join(dir, partial), "utf8").split("\n").length - 1 : 0;
}
