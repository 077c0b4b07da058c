import { test } from "node:test";
import assert from "node:assert/strict";
import { concatBytes } from "../../lib/bytes.ts";

test("concatBytes: parts end to end; one part as it is; none is empty", () => {
  assert.deepEqual(concatBytes([new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3]).subarray(0, 2)]), new Uint8Array([1, 2, 3]));
  const one = new Uint8Array([4, 5]);
  assert.equal(concatBytes([one]), one);
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
});
