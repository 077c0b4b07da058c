/**
 * Hostile review: bodies' buffers used again (recycleBody) and bodies sent as streams (client.ts), against an HTTP
 * server that answers slowly, out of order, with whole-request 429s, item 429s, 400s and 409s. Every record must land
 * exactly once with its own content, or be dead-lettered with its own text.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { test } from "node:test";
import type { AddressInfo } from "node:net";
import { Ledger } from "../../../lib/ledger.ts";
import { bulkWriter, toBulk, type DeadLetter } from "../../../lib/search/bulk.ts";
import { SearchClient } from "../../../lib/search/client.ts";
import type { Selected } from "../../../lib/streams/select.ts";

function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: recycled bodies under concurrency and retries: every record landed once, intact, or dead-lettered intact`, { timeout: 60_000 }, async () => {
    const random = rng(seed);
    const store = new Map<string, string>();
    const requests: { chunked: boolean; length?: string }[] = [];
    let bad = 0;
    const server: Server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        requests.push({ chunked: req.headers["transfer-encoding"] === "chunked", length: req.headers["content-length"] });
        const delay = Math.floor(random() * 15);
        setTimeout(() => {
          if (random() < 0.15) {
            res.writeHead(429, { "content-type": "application/json" });
            return res.end('{"error":{"type":"es_rejected_execution_exception","reason":"busy"}}');
          }
          const lines = Buffer.concat(parts).toString("utf8").split("\n");
          if (lines.at(-1) === "") lines.pop();
          const items: unknown[] = [];
          for (let i = 0; i < lines.length; i += 2) {
            let action: { create: { _id: string } };
            try {
              action = JSON.parse(lines[i]!);
              JSON.parse(lines[i + 1]!);
              if (typeof action?.create?._id !== "string") throw new Error("not a create line");
            } catch {
              bad++;
              items.push({ create: { status: 400, error: { type: "mapper_parsing_exception", reason: "corrupt line" } } });
              continue;
            }
            const id = action.create._id;
            const r = random();
            if (id.endsWith("7")) items.push({ create: { status: 400, error: { type: "x", reason: "rejected for test" } } });
            else if (r < 0.1) items.push({ create: { status: 429, error: { type: "busy" } } });
            else if (store.has(id)) items.push({ create: { status: 409 } });
            else {
              store.set(id, lines[i + 1]!);
              items.push({ create: { status: 201 } });
            }
          }
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ errors: true, items }));
        }, delay);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const client = new SearchClient({ url: `http://127.0.0.1:${port}` });
      const ledger = new Ledger();
      const dead: DeadLetter[] = [];
      const records: Selected[] = [];
      for (let i = 0; i < 3000; i++) {
        const pad = "x".repeat(Math.floor(random() * 600));
        const text = `{"eventVersion":"1.08","eventTime":"2013-12-07T05:00:12Z","eventID":"id-${seed}-${i}","eventName":"E${i}","pad":"${pad}","u":"é${i}"}`;
        records.push({ text, value: JSON.parse(text), object: `s3://b/k${Math.floor(i / 50)}.json.gz`, position: (i % 50) + 1 });
      }
      const source = new ReadableStream<Selected>({
        pull(c) {
          const r = records.shift();
          if (r) c.enqueue(r);
          else c.close();
        },
      });
      const all = [...records];
      await source
        .pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger, deadLetter: (d) => void dead.push(d), maxBytes: 20_000, flushAfterMs: 0, encode: true }))
        .pipeTo(bulkWriter(client, { ledger, deadLetter: (d) => void dead.push(d), concurrency: 4, backoffMs: 1, maxRetries: 30, maxBytes: 20_000, sleep: () => new Promise((r) => setTimeout(r, 1)) }));
      assert.equal(bad, 0, "corrupt lines reached the server");
      const deadIds = new Set(dead.map((d) => d.id));
      for (const r of all) {
        const id = (r.value as { eventID: string }).eventID;
        if (id.endsWith("7")) {
          assert.ok(deadIds.has(id), `${id} dead-lettered`);
          const d = dead.find((x) => x.id === id)!;
          assert.equal(d.record.text, r.text);
          continue;
        }
        const doc = store.get(id);
        assert.ok(doc, `${id} landed`);
        const parsed = JSON.parse(doc);
        delete parsed["@timestamp"];
        assert.deepEqual(parsed, r.value, id);
      }
      assert.equal(ledger.records.read, all.length);
      assert.ok(requests.length > 10);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
}
