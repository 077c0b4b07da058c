/**
 * Generative, against the real engine: "nothing is rejected for a mapping reason". A fixed seed in `make test`;
 * any seed and size with `make fuzz SEED=… N=…`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { localStack } from "../support/stack.ts";
import { mappingFuzz } from "../support/mapping-fuzz.ts";

const SEED = process.env.SEED || "1";
const N = Number(process.env.N || 5000);

test(`mapping fuzz: ${N} hostile records (seed ${SEED}) land with 0 dead letters and every document gives its record back`, async () => {
  assert.ok(Number.isInteger(N) && N > 0, `N must be a positive whole number, not ${JSON.stringify(process.env.N)}`);
  const stack = await localStack();
  const result = await mappingFuzz(stack.search, { seed: SEED, count: N });
  console.error(`# mapping fuzz seed ${SEED}: ${result.records} records, ${result.documents} documents, ${result.moved} with moved values, ${result.seconds.toFixed(1)} s`);
  assert.ok(result.moved > N / 10, "the corpus exercises the moves");
});
