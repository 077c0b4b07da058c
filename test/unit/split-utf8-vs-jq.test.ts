/**
 * Bytes that are not UTF-8 inside a record: what split.ts prints beside what jq 1.6 prints (the README's claim).
 * Both replace bad bytes with U+FFFD; they agree on stray, truncated and overlong 2-byte sequences, and differ on a
 * well-formed-looking sequence that encodes no character (a surrogate, a code point above U+10FFFF, an overlong
 * 3-byte form): jq 1.6 writes one U+FFFD for it, split one per byte, as WHATWG TextDecoder does.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/stack.ts";
import { JQ } from "../support/jq-oracle.ts";

const SAME = ["ff", "c3", "e282", "c0af", "618062", "f09f98", "fefe", "80", "f8888080"];
const ONE_PER_BYTE = ["eda080", "f4908080", "e080af"];

test("invalid UTF-8 in a record: split.ts and jq 1.6 both write U+FFFD; where they differ is exactly as the README says", () => {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-utf8-"));
  try {
    const run = (command: string, args: string[], file: string) => spawnSync(command, [...args, file], { cwd: repoRoot }).stdout.toString("hex");
    const line = (hex: string) => Buffer.concat([Buffer.from('{"k":"'), Buffer.from(hex, "hex"), Buffer.from('","eventTime":"x"}\n')]).toString("hex");
    const fffd = (n: number) => "efbfbd".repeat(n);
    for (const hex of [...SAME, ...ONE_PER_BYTE]) {
      const file = join(dir, `${hex}.json`);
      writeFileSync(file, Buffer.concat([Buffer.from('{"Records":[{"k":"'), Buffer.from(hex, "hex"), Buffer.from('","eventTime":"x"}]}')]));
      const jq = run(JQ, ["-c", ".Records[]"], file);
      const split = run(process.execPath, ["--import", "tsx", "scripts/split.ts", "--quiet"], file);
      if (SAME.includes(hex)) assert.equal(split, jq, `${hex}: the same bytes as jq`);
      else {
        assert.equal(jq, line(fffd(1)), `${hex}: jq 1.6 writes one U+FFFD`);
        assert.equal(split, line(fffd(hex.length / 2)), `${hex}: split one per byte`);
      }
      assert.ok(Buffer.from(split, "hex").toString("utf8").includes("\ufffd"), `${hex}: U+FFFD in split's output`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
