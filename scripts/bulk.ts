/**
 * Step 4 of the blog, `curl -X POST`, done right: NDJSON records (split's output, or a dead-letter file to
 * replay) to `_bulk`, as `create` actions into `<INDEX_PREFIX>-YYYY.MM.DD` with deterministic ids. Every item's
 * result is read: indexed, duplicate (already there), or dead-lettered with its reason.
 *
 *   npx tsx scripts/bulk.ts records.ndjson --es-url http://127.0.0.1:9200
 *   npx tsx scripts/split.ts work/2013-12-07/json | npx tsx scripts/bulk.ts
 *   npx tsx scripts/bulk.ts trailpost-dead-letter.ndjson     # replay, once the cause is fixed
 */
import { readConfig, usage, ConfigError } from "../lib/config.ts";
import { Ledger } from "../lib/ledger.ts";
import { indexRecords, prepareIndex } from "../lib/search/indexer.ts";
import { lines } from "../lib/streams/lines.ts";
import type { Selected } from "../lib/streams/select.ts";
import { INDEXING, indexingFrom, indexingSummary, main, printFailures } from "./common.ts";
import { args, env, listFiles, stdin } from "./platform.ts";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

const HELP = `usage: bulk.ts [FILE ...]

Indexes NDJSON CloudTrail records (one per line) through the _bulk API. With no FILE, reads stdin.
A dead-letter file is replayed as it is: each line's "record" is indexed again.`;

await main("bulk", async () => {
  const { values, help, positionals } = readConfig(INDEXING, args(), env());
  if (help) return console.log(usage(HELP, INDEXING)), 0;
  const ledger = new Ledger();
  const indexing = indexingFrom("bulk", values, ledger);
  const files = positionals.length && !(positionals.length === 1 && positionals[0] === "-")
    ? (await listFiles(positionals, (p) => /\.(nd)?json(l)?$/.test(p))).map((f) => f.path)
    : [];
  if (positionals.length && !files.length) throw new ConfigError([`no NDJSON files under ${positionals.join(", ")}`]);

  const engine = await prepareIndex(indexing.client, indexing.options.indexPrefix, indexing.template, indexing.serverless);
  await indexRecords(ndjsonRecords(files, ledger, indexing.options.deadLetter), indexing.client, indexing.options);

  printFailures("bulk", ledger);
  console.error(`bulk: ${indexingSummary(ledger)} → ${indexing.options.indexPrefix}-* on ${indexing.client.describe()} (${engine.distribution} ${engine.version})`);
  if (ledger.records.deadLettered) console.error(`bulk: dead letters in ${indexing.deadLetterFile}; fix the cause, then replay: bulk.ts ${indexing.deadLetterFile}`);
  return ledger.clean ? 0 : 1;
});

/**
 * Each non-empty line as a record, read as the indexer asks for them (so a slow engine holds back the reading
 * instead of filling memory); dead-letter lines give back their record; lines that are not JSON are dead-lettered.
 */
function ndjsonRecords(files: string[], ledger: Ledger, deadLetter: ReturnType<typeof indexingFrom>["options"]["deadLetter"]): ReadableStream<Selected> {
  const sources = files.length ? files.map((f) => ({ name: f, open: () => Readable.toWeb(createReadStream(f)) as unknown as ReadableStream<Uint8Array> })) : [{ name: "stdin", open: stdin }];
  let current: { name: string; reader: ReadableStreamDefaultReader<string>; line: number } | undefined;
  return new ReadableStream<Selected>(
    {
      async pull(controller) {
        for (;;) {
          if (!current) {
            const source = sources.shift();
            if (!source) return controller.close();
            const reader = source.open().pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).pipeThrough(lines()).getReader();
            current = { name: source.name, reader, line: 0 };
          }
          const { done, value: line } = await current.reader.read();
          if (done) {
            current = undefined;
            continue;
          }
          const n = ++current.line;
          if (!line.trim()) continue;
          const at = `${current.name}:${n}`;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch (error) {
            ledger.records.read++;
            ledger.records.deadLettered++;
            ledger.problem(at, "not JSON");
            await deadLetter({ record: { text: JSON.stringify(line), object: at, position: n }, status: 0, reason: `not JSON (${(error as Error).message})` });
            continue;
          }
          const replay = deadLetterRecord(value, line);
          controller.enqueue(replay ? { ...replay, position: n } : { text: line.trim(), value, object: at, position: n });
          return;
        }
      },
    },
    { highWaterMark: 64 },
  );
}

function deadLetterRecord(value: unknown, line: string): { text: string; value: unknown; object: string } | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 2 || keys[0] !== "deadLetter" || keys[1] !== "record") return undefined;
  const entry = value as { deadLetter: { object?: unknown }; record: unknown };
  const start = line.indexOf('"record":') + '"record":'.length;
  return { text: line.slice(start, line.lastIndexOf("}")).trim(), value: entry.record, object: String(entry.deadLetter.object ?? "dead letter") };
}
