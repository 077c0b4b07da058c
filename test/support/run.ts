/** Runs our scripts as a user does (a child process, tsx or deno), and reads back what landed in the engine. */
import { spawn } from "node:child_process";
import { repoRoot } from "./stack.ts";

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx scripts/<script> …args` (or `deno run -A` with runtime "deno"), with extra environment. */
export function runScript(script: string, args: string[], env: Record<string, string | undefined> = {}, options: { runtime?: "node" | "deno"; cwd?: string; stdin?: string } = {}): Promise<RunResult> {
  const path = `${repoRoot}scripts/${script}`;
  const [command, prefix] = options.runtime === "deno"
    ? [`${repoRoot}node_modules/.bin/deno`, ["run", "--allow-all", "--quiet", path]]
    : [process.execPath, ["--import", import.meta.resolve("tsx"), path]];
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { cwd: options.cwd ?? repoRoot, env: merged, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/**
 * Every document of the indices matching `pattern`, by _id. On Elasticsearch (the Docker stack) it reads them
 * with the official client, @elastic/elasticsearch; on OpenSearch, which that client refuses, with fetch.
 */
export async function allDocuments(searchUrl: string, pattern: string): Promise<Map<string, { index: string; source: Record<string, unknown> }>> {
  await fetch(`${searchUrl}/${pattern}/_refresh`, { method: "POST" });
  const root = await fetch(searchUrl);
  if (root.headers.get("x-elastic-product") === "Elasticsearch") return allDocumentsWithElasticClient(searchUrl, pattern);
  const out = new Map<string, { index: string; source: Record<string, unknown> }>();
  let after: unknown[] | undefined;
  for (;;) {
    const body = { size: 1000, sort: [{ eventTime: "asc" }, { _id: "asc" }], ...(after ? { search_after: after } : {}), query: { match_all: {} } };
    const response = await fetch(`${searchUrl}/${pattern}/_search?ignore_unavailable=true&allow_no_indices=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const result = (await response.json()) as { hits?: { hits: { _id: string; _index: string; _source: Record<string, unknown>; sort: unknown[] }[] } };
    const hits = result.hits?.hits ?? [];
    for (const hit of hits) out.set(hit._id, { index: hit._index, source: hit._source });
    if (hits.length < 1000) return out;
    after = hits.at(-1)!.sort;
  }
}

export async function countDocuments(searchUrl: string, pattern: string): Promise<number> {
  await fetch(`${searchUrl}/${pattern}/_refresh`, { method: "POST" });
  const response = await fetch(`${searchUrl}/${pattern}/_count?ignore_unavailable=true&allow_no_indices=true`);
  return ((await response.json()) as { count: number }).count;
}

async function allDocumentsWithElasticClient(searchUrl: string, pattern: string): Promise<Map<string, { index: string; source: Record<string, unknown> }>> {
  const { Client } = await import("@elastic/elasticsearch");
  const client = new Client({ node: searchUrl });
  const out = new Map<string, { index: string; source: Record<string, unknown> }>();
  for await (const hit of client.helpers.scrollSearch<Record<string, unknown>>({ index: pattern, size: 1000, query: { match_all: {} } })) {
    for (const doc of hit.body.hits.hits) out.set(doc._id!, { index: doc._index, source: doc._source ?? {} });
  }
  await client.close();
  return out;
}
