/**
 * Decodes a corpus of gzip files with every decompressor of this runtime and prints one JSON line per file,
 * decoder and chunking: what came out (length and SHA-256) or the error. test/unit/streams/gzip-members.test.ts
 * runs it under Node and under Deno and compares the lines with each other and with `gzip -dc`.
 *
 *   node --import tsx test/support/gunzip-corpus.ts DIR        (or: deno run -A test/support/gunzip-corpus.ts DIR)
 *
 * DIR holds `cases.json`: [{ "name": "two-members", "file": "two.gz", "splits": [[], [26], …] }], where each
 * splits list is the byte offsets at which the input is cut into chunks ([] is one chunk), and "every N" cuts
 * every N bytes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { decompressionStream, type Decompress } from "../../lib/streams/gunzip.ts";
import { gunzipMembers, runtimeBehaviour } from "../../lib/streams/gzip-members.ts";
import { decompress, runtime } from "../../scripts/runtime/platform.ts";

interface Case {
  name: string;
  file: string;
  splits: (number[] | `every ${number}`)[];
  /** Also decode with this member cap (bytes). */
  cap?: number;
}

const dir = process.argv[2]!;
const cases = JSON.parse(readFileSync(join(dir, "cases.json"), "utf8")) as Case[];
const decoders: [string, Decompress][] = [["DecompressionStream", decompressionStream], ["platform", decompress]];

console.log(JSON.stringify({ runtime, behaviour: await runtimeBehaviour() }));
for (const c of cases) {
  const bytes = new Uint8Array(readFileSync(join(dir, c.file)));
  const all: [string, Decompress][] = [...decoders];
  if (c.cap !== undefined) all.push([`capped ${c.cap}`, (s) => s.pipeThrough(gunzipMembers({ maxMemberBytes: c.cap }))]);
  for (const [decoder, fn] of all) {
    for (const split of c.splits) {
      const chunks = cut(bytes, split);
      let line: Record<string, unknown>;
      try {
        const out = new Uint8Array(await new Response(fn(streamOf(chunks))).arrayBuffer());
        line = { ok: true, length: out.length, sha256: await sha256(out) };
      } catch (error) {
        line = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      console.log(JSON.stringify({ case: c.name, decoder, split: typeof split === "string" ? split : split.join(","), ...line }));
    }
  }
}

function cut(bytes: Uint8Array, split: number[] | string): Uint8Array[] {
  if (typeof split === "string") {
    const n = Number(split.split(" ")[1]);
    const out: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += n) out.push(bytes.slice(i, i + n));
    return out;
  }
  const at = [0, ...split, bytes.length];
  return at.slice(1).map((end, i) => bytes.slice(at[i], end)).filter((c) => c.length);
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

async function sha256(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as unknown as ArrayBuffer));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
