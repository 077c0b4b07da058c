/**
 * Multi-member gzip gives the same result on every runtime: one seeded corpus (gzip-corpus.ts) decoded under Node
 * and under Deno, with DecompressionStream and with the platform's decompressor, cut into chunks at every offset
 * around member boundaries, compared with each other and with `gzip -dc`. And through the real CLI,
 * scripts/gunzip.ts, under both runtimes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { gunzipBody } from "../../../lib/streams/gunzip.ts";
import { gunzipMembers, runtimeBehaviour, storedMember } from "../../../lib/streams/gzip-members.ts";
import { decompressionStream } from "../../../lib/streams/gunzip.ts";
import { decompress } from "../../../scripts/runtime/platform.ts";
import { repoRoot } from "../../support/stack.ts";
import { corpus, writeCorpus, type CorpusCase } from "./gzip-corpus.ts";

const DENO = join(repoRoot, "node_modules", ".bin", "deno");
const cases = corpus();
const dir = mkdtempSync(join(tmpdir(), "trailpost-gzip-corpus-"));
const runs: Partial<Record<"node" | "deno", { behaviour: string; lines: Line[] }>> = {};
before(() => writeCorpus(dir, cases));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Line {
  case: string;
  decoder: string;
  split: string;
  ok: boolean;
  length?: number;
  sha256?: string;
  error?: string;
}

function runCorpus(runtime: "node" | "deno"): { behaviour: string; lines: Line[] } {
  return (runs[runtime] ??= corpusRun(runtime));
}

function corpusRun(runtime: "node" | "deno"): { behaviour: string; lines: Line[] } {
  const script = join(repoRoot, "test", "support", "gunzip-corpus.ts");
  const [command, args] = runtime === "deno" ? [DENO, ["run", "--allow-all", "--quiet", script, dir]] : [process.execPath, ["--import", "tsx", script, dir]];
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: "utf8", maxBuffer: 1 << 26 });
  assert.equal(result.status, 0, `${runtime}: ${result.stderr}`);
  const [head, ...rest] = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(head.runtime, runtime);
  return { behaviour: head.behaviour, lines: rest };
}

/** `gzip -dc`: exit code and the SHA-256 of what it wrote. */
function gzipReference(c: CorpusCase): { status: number; sha256: string; length: number } {
  const result = spawnSync("gzip", ["-dc"], { input: c.bytes, maxBuffer: 1 << 26 });
  return { status: result.status ?? -1, sha256: createHash("sha256").update(result.stdout).digest("hex"), length: result.stdout.length };
}

const verdict = (l: Line) => (l.ok ? `ok ${l.length} ${l.sha256}` : "error");

describe("the same gzip corpus under Node and Deno", () => {
  test("every decoder, runtime and chunking agrees; the result is gzip -d's whenever gzip exits 0, and an error otherwise", () => {
    const node = runCorpus("node");
    const deno = runCorpus("deno");
    // The two runtimes really take different paths (see gzip-members.ts): if Deno ever decodes members itself,
    // this says so, and the member-by-member path is no longer what runs there.
    assert.equal(node.behaviour, "members");
    assert.equal(deno.behaviour, "first-member-only");
    const all = [...node.lines.map((l) => ({ ...l, runtime: "node" })), ...deno.lines.map((l) => ({ ...l, runtime: "deno" }))];
    for (const c of cases) {
      const lines = all.filter((l) => l.case === c.name && !l.decoder.startsWith("capped"));
      assert.ok(lines.length >= 4 * c.splits.length, `${c.name}: ${lines.length} results`);
      const verdicts = new Map<string, string[]>();
      for (const l of lines) verdicts.set(verdict(l), [...(verdicts.get(verdict(l)) ?? []), `${l.runtime}/${l.decoder}/${l.split || "whole"}${l.error ? `: ${l.error}` : ""}`]);
      assert.equal(verdicts.size, 1, `${c.name}: results differ:\n${[...verdicts].map(([v, w]) => `  ${v}: ${w.join(", ")}`).join("\n")}`);
      const reference = gzipReference(c);
      const [only] = verdicts.keys();
      if (reference.status === 0) assert.equal(only, `ok ${reference.length} ${reference.sha256}`, `${c.name}: gzip -d exits 0 with other bytes`);
      else assert.equal(only, "error", `${c.name}: gzip -d exits ${reference.status}, and trailpost accepted it`);
    }
  });

  test("the decisions, against gzip -d: trailing zeros are padding; garbage, or data after the padding, is refused", () => {
    const expected: Record<string, [number, "ok" | "error"]> = {
      "zeros-after": [0, "ok"],
      "many-zeros-after": [0, "ok"],
      "garbage-after": [2, "error"], // gzip: "decompression OK, trailing garbage ignored"
      "newline-after": [1, "error"],
      "zeros-then-member": [2, "error"], // zlib alone would drop the member after the padding, silently
      "zeros-then-garbage": [2, "error"],
      "magic-byte-after": [1, "error"],
      "truncated-second": [1, "error"],
      "corrupt-crc-second": [1, "error"],
    };
    for (const [name, [status]] of Object.entries(expected)) {
      assert.equal(gzipReference(cases.find((c) => c.name === name)!).status, status, `gzip -dc ${name}`);
    }
  });

  test("a member over the cap followed by another: Deno refuses it with a message that says why; Node decodes it", () => {
    const node = runCorpus("node").lines.filter((l) => l.decoder.startsWith("capped"));
    const deno = runCorpus("deno").lines.filter((l) => l.decoder.startsWith("capped"));
    const reference = gzipReference(cases.find((c) => c.name === "over-cap-then-member")!);
    for (const l of node) assert.ok(l.ok, `node ${l.case}/${l.split}: ${l.error}`);
    const cut = deno.find((l) => l.case === "over-cap-then-member" && l.split === "every 65536")!;
    assert.equal(cut.ok, false);
    assert.match(cut.error!, /gzip member of more than 1024 bytes at byte 0: too large to find its end/);
    // in one chunk nothing needs keeping, and a single large member never does
    for (const l of deno.filter((l) => l !== cut)) assert.ok(l.ok, `deno ${l.case}/${l.split}: ${l.error}`);
    assert.equal(deno.find((l) => l.case === "over-cap-then-member" && l.split === "")!.sha256, reference.sha256);
  });
});

describe("scripts/gunzip.ts (stdin to stdout) under Node and Deno", () => {
  for (const name of ["two", "fifty", "empty-members", "zeros-after", "zeros-then-member", "garbage-after", "truncated-second"]) {
    test(`${name}: the same bytes and exit code as gzip -d accepts, on both runtimes`, () => {
      const c = cases.find((x) => x.name === name)!;
      const reference = gzipReference(c);
      for (const runtime of ["node", "deno"] as const) {
        const script = join(repoRoot, "scripts", "gunzip.ts");
        const [command, args] = runtime === "deno" ? [DENO, ["run", "--allow-all", "--quiet", script]] : [process.execPath, ["--import", "tsx", script]];
        const result = spawnSync(command, args, { cwd: repoRoot, input: c.bytes, maxBuffer: 1 << 26 });
        if (reference.status === 0) {
          assert.equal(result.status, 0, `${runtime}: ${result.stderr}`);
          assert.equal(createHash("sha256").update(result.stdout).digest("hex"), reference.sha256, `${runtime}: other bytes`);
        } else {
          assert.equal(result.status, 1, `${runtime}: exit ${result.status}, ${result.stderr}`);
          assert.match(String(result.stderr), /gunzip: stdin: corrupt or truncated gzip/, runtime);
        }
      }
    });
  }
});

describe("scripts/gunzip.ts: stdin and a file give the same words for the same bad bytes", () => {
  for (const name of ["truncated-second", "truncated-header", "first-truncated", "corrupt-crc-second", "garbage-after"]) {
    test(name, () => {
      const c = cases.find((x) => x.name === name)!;
      const dir = mkdtempSync(join(tmpdir(), "trailpost-gunzip-words-"));
      try {
        const file = join(dir, "x.json.gz");
        writeFileSync(file, c.bytes);
        const script = join(repoRoot, "scripts", "gunzip.ts");
        const fromStdin = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: repoRoot, input: c.bytes, maxBuffer: 1 << 26 });
        const fromFile = spawnSync(process.execPath, ["--import", "tsx", script, file, "--out", join(dir, "out")], { cwd: repoRoot, maxBuffer: 1 << 26 });
        const reason = (stderr: Buffer) => /corrupt or truncated gzip \((.*)\)/.exec(String(stderr))?.[1];
        assert.equal(fromStdin.status, 1, String(fromStdin.stderr));
        assert.equal(fromFile.status, 1, String(fromFile.stderr));
        assert.ok(reason(fromStdin.stderr), String(fromStdin.stderr));
        assert.equal(reason(fromStdin.stderr), reason(fromFile.stderr));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("gunzipMembers on this runtime (Node)", () => {
  test("no unhandled rejection, whatever the input and however it is cut", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listener);
    try {
      for (const c of cases) {
        for (const decoder of [decompressionStream, decompress]) {
          for (const size of [c.bytes.length, 4096, 333]) {
            const body = streamOf(c.bytes, size);
            await new Response(gunzipBody({ name: c.name, body }, decoder)).arrayBuffer().catch(() => {});
          }
        }
      }
      // and a reader that gives up half way
      const reader = gunzipBody({ name: "x", body: streamOf(cases[0]!.bytes, 1000) }).getReader();
      await reader.read();
      await reader.cancel("stop");
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off("unhandledRejection", listener);
    }
    assert.deepEqual(unhandled, []);
  });

  test("the runtime is detected once, as decoding members itself", async () => {
    assert.equal(await runtimeBehaviour(), "members");
    assert.equal(runtimeBehaviour(), runtimeBehaviour());
  });

  test("maxMemberBytes is checked", () => {
    assert.throws(() => gunzipMembers({ maxMemberBytes: -1 }), /maxMemberBytes must be a whole number of bytes, not -1/);
    assert.throws(() => gunzipMembers({ maxMemberBytes: 1.5 }), RangeError);
  });

  test("storedMember writes a gzip member that zlib accepts (CRC and length), for sizes 0 to 65535", () => {
    for (const n of [0, 1, 2, 255, 256, 1000, 65535]) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      assert.deepEqual(new Uint8Array(gunzipSync(storedMember(data))), data, `size ${n}`);
    }
  });
});

function streamOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}
