/** DeadLetterFile: concurrent first writes open one file (the old `#file ??= await openAppend(…)` opened several). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeadLetterFile } from "../../../scripts/runtime/dead-letters.ts";

/** This process's open descriptors on files under `dir` (Linux). */
const openIn = (dir: string) =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false; // closed meanwhile
    }
  }).length;

test("100 concurrent writes: one descriptor opened, and closed by finish; every line in the file, in order", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-dlf-"));
  try {
    const path = join(dir, "dl.ndjson");
    const file = DeadLetterFile.open(path, []);
    const writes = Array.from({ length: 100 }, (_, i) => file.write(`{"n":${i}}`));
    await Promise.all(writes);
    assert.equal(openIn(dir), 1, "one file opened for all the writes");
    await file.finish(true);
    assert.equal(openIn(dir), 0, "and closed");
    assert.deepEqual(readFileSync(path, "utf8").trim().split("\n"), Array.from({ length: 100 }, (_, i) => `{"n":${i}}`));
    assert.deepEqual(readdirSync(dir), ["dl.ndjson"]);
    await assert.rejects(file.write("late"), /already finished/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
