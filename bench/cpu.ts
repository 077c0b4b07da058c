/**
 * Our CPU per record on bulk.ts's path, without an engine: the generated day as NDJSON read from a file, through
 * ndjsonRecords → toBulk (bodies as bytes) → a writer that drops them. Each run is a fresh process (as bulk.ts
 * is: JIT warm-up and GC included, tsx's start-up not); the median of the runs is printed, in µs of CPU (user +
 * system) per record, for the whole path and for document.ts's `toAction` alone.
 *
 *   npx tsx bench/cpu.ts                       # RECORDS=100000 RUNS=5
 *   mkdir /tmp/base && git archive main lib | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
 *   BASE=/tmp/base npx tsx bench/cpu.ts        # that lib/ too, run by run in turns with this one: before → after
 *
 * Figures only: nothing here asserts a speed. The machine is shared: compare medians of runs taken in turns.
 */
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateDayJson } from "../fixtures/generate.ts";

const here = fileURLToPath(new URL("../", import.meta.url));
const [mode, file, root] = process.argv.slice(2);

if (mode === "--child") await child(file!, root!);
else await parent();

async function parent(): Promise<void> {
  const records = Number(process.env.RECORDS ?? 100_000);
  const runs = Number(process.env.RUNS ?? 5);
  const roots: [string, string][] = process.env.BASE ? [["before", process.env.BASE], ["after", here]] : [["this", here]];
  const dir = mkdtempSync(join(tmpdir(), "trailpost-cpu-"));
  try {
    const path = join(dir, "day.ndjson");
    const lines: string[] = [];
    for (const f of generateDayJson({ date: "2024-03-04", records, accounts: ["111122223333", "444455556666"], regions: ["us-east-1", "eu-west-1", "ap-southeast-2"], seed: 42 })) {
      for (const r of (JSON.parse(f.json) as { Records: unknown[] }).Records) lines.push(JSON.stringify(r));
    }
    writeFileSync(path, lines.join("\n") + "\n");
    console.log(`${lines.length} records, ${(lines.reduce((n, l) => n + l.length + 1, 0) / 1e6).toFixed(1)} MB of NDJSON; ${runs} runs each, in turns; µs of CPU per record (median, all runs)`);
    const results = new Map<string, { path: number[]; doc: number[]; out: string[] }>(roots.map(([name]) => [name, { path: [], doc: [], out: [] }]));
    for (let run = 0; run < runs; run++) {
      for (const [name, root] of roots) {
        const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", path, root], { encoding: "utf8", cwd: here });
        if (child.status !== 0) throw new Error(`${name}: ${child.stderr}`);
        const r = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as { path: number; doc: number; digest: string };
        const result = results.get(name)!;
        result.path.push(r.path);
        result.doc.push(r.doc);
        result.out.push(r.digest);
      }
    }
    for (const [name, r] of results) {
      console.log(`${name.padEnd(6)}  path ${median(r.path).toFixed(1)} µs (${r.path.map((x) => x.toFixed(1)).join(" ")})  toAction ${median(r.doc).toFixed(1)} µs (${r.doc.map((x) => x.toFixed(1)).join(" ")})  output ${r.out[0]}`);
    }
    const digests = new Set([...results.values()].flatMap((r) => r.out));
    console.log(digests.size === 1 ? "output: the same bodies in every run" : "output: DIFFERENT bodies");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One run: the whole path (bodies hashed, to compare outputs), then toAction alone over the parsed records. */
async function child(path: string, root: string): Promise<void> {
  const lib = (p: string) => import(pathToFileURL(join(root, "lib", p)).href);
  const { ndjsonRecords } = await lib("search/ndjson.ts");
  const { toBulk } = await lib("search/bulk.ts");
  const { toAction } = await lib("search/document.ts");
  const { RecordIds } = await lib("search/ids.ts");
  const { Ledger } = await lib("ledger.ts");
  const { createHash } = await import("node:crypto");

  const ledger = new Ledger();
  const hash = createHash("sha256");
  const deadLetter = (entry: { reason: string }) => void hash.update(`dead:${entry.reason}\n`);
  let records = 0;
  let start = process.cpuUsage();
  const source = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  await ndjsonRecords([{ name: "day.ndjson", open: () => source }], ledger, deadLetter)
    .pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger, deadLetter, encode: true }))
    .pipeTo(new WritableStream({ write(batch: { body: Uint8Array; items: unknown[] }) {
      hash.update(batch.body);
      records += batch.items.length;
    } }));
  const pathCpu = cpuSince(start);

  // toAction alone, on records parsed beforehand (a second pass: warm)
  const texts: string[] = [];
  const { readFileSync } = await import("node:fs");
  for (const line of readFileSync(path, "utf8").split("\n")) if (line) texts.push(line);
  const values = texts.map((t) => JSON.parse(t));
  const ids = new RecordIds();
  start = process.cpuUsage();
  for (let i = 0; i < texts.length; i++) await toAction(texts[i], values[i], "cloudtrail", { ids, object: "day.ndjson" });
  const docCpu = cpuSince(start);
  console.log(JSON.stringify({ path: pathCpu / ledger.records.read, doc: docCpu / texts.length, digest: hash.digest("hex").slice(0, 16), records }));
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
