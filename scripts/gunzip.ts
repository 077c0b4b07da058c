/**
 * Step 2 of the blog, `gzip -d`: `.json.gz` files to `.json` (the `.gz` files are kept), or stdin to stdout.
 * A corrupt or truncated gzip is an error naming the file; the other files go on.
 *
 *   npx tsx scripts/gunzip.ts work/2013-12-07/s3 --out work/2013-12-07/json
 *   npx tsx scripts/gunzip.ts < file.json.gz > file.json
 */
import { ConfigError, readConfig, usage } from "../lib/config.ts";
import { Ledger } from "../lib/ledger.ts";
import { gunzipBody } from "../lib/streams/gunzip.ts";
import { iterate, ObjectError } from "../lib/streams/log-object.ts";
import { bytes, main, plural } from "./runtime/run.ts";
import { outputPaths } from "./runtime/output-paths.ts";
import { args, decompress, env, listFiles, Output, stdin, writeBytes } from "./runtime/platform.ts";
import { OUTPUT, runOutput } from "./runtime/progress.ts";
import { readFile } from "node:fs/promises";

const OUT = { out: { env: "", flag: "--out", help: "directory for the .json files (default: beside each .gz)" } };
const HELP = `usage: gunzip.ts [FILE|DIR ...] [--out DIR]
       gunzip.ts < FILE.gz > FILE

Decompresses CloudTrail .json.gz files (the blog's \`gzip -d\`); with no FILE, stdin to stdout.`;

await main("gunzip", async () => {
  const { values, help, extra, positionals } = readConfig(OUTPUT, args(), env(), OUT);
  if (help) return console.log(usage(HELP, OUTPUT, OUT)), 0;
  const ledger = new Ledger();

  if (positionals.length === 0 || (positionals.length === 1 && positionals[0] === "-")) {
    const out = new Output();
    const run = runOutput("gunzip", values, ledger, "objects", "stderr");
    run.start();
    try {
      for await (const chunk of iterate(gunzipBody({ name: "stdin", body: stdin() }, decompress))) {
        await out.bytes(chunk);
        ledger.bytes.read += chunk.byteLength;
      }
      ledger.objects.read++;
    } catch (error) {
      throw error instanceof ObjectError ? new Error(`stdin: ${error.reason}`) : error;
    } finally {
      run.stop();
    }
    await out.flush();
    return run.end(0, { extra: { source: "stdin", out: "stdout" } });
  }

  const files = await listFiles(positionals, (p) => p.endsWith(".gz"));
  if (files.length === 0) throw new ConfigError([`no .gz files under ${positionals.join(", ")}`]);
  const run = runOutput("gunzip", values, ledger, "objects");
  ledger.expected.objects = files.length;
  run.start();
  let size = 0;
  const targets = extra.out ? outputPaths(files, extra.out, (rel) => rel.replace(/\.gz$/, "")) : undefined;
  for (const file of files) {
    const destination = targets?.get(file.path) ?? file.path.replace(/\.gz$/, "");
    if (destination === file.path) {
      ledger.objectFailed(file.path, "does not end in .gz: not decompressing it onto itself");
      continue;
    }
    try {
      const body = new Blob([await readFile(file.path)]).stream();
      const data = new Uint8Array(await new Response(gunzipBody({ name: file.path, body }, decompress)).arrayBuffer());
      await writeBytes(destination, data);
      ledger.objects.read++;
      ledger.bytes.read += data.length;
      size += data.length;
    } catch (error) {
      ledger.objectFailed(file.path, error instanceof ObjectError ? error.reason : error instanceof Error ? error.message : String(error));
    }
  }
  return run.end(ledger.objects.failed ? 1 : 0, {
    lines: [`gunzip: ${plural(ledger.objects.read, "file")} → ${bytes(size)} of JSON${extra.out ? ` in ${extra.out}` : ""}; failed ${ledger.objects.failed}`],
    extra: { out: extra.out ?? null },
  });
});
