/**
 * What JSON.parse cannot see, for comparing JSON lines with jq's: the key sequence of every object, in document
 * order, duplicates included (JSON.parse keeps the last of a duplicate key and moves integer-like keys first).
 * Independent of lib/: a small tokenizer of its own.
 *
 *   keySequences('{"b":1,"a":{"x":2},"b":3}')   // [["b", "a", "b"], ["x"]]  (objects in order of their opening)
 */
import assert from "node:assert/strict";

export function keySequences(text: string): string[][] {
  const sequences: string[][] = [];
  const stack: { keys: string[] | undefined; expectKey: boolean }[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (c === "{") {
      const keys: string[] = [];
      sequences.push(keys);
      stack.push({ keys, expectKey: true });
      i++;
    } else if (c === "[") {
      stack.push({ keys: undefined, expectKey: false });
      i++;
    } else if (c === "}" || c === "]") {
      stack.pop();
      i++;
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        // as jq reads it: a lone low surrogate escape is U+FFFD
        top.keys.push((JSON.parse(text.slice(i, j + 1)) as string).replace(/(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));
        top.expectKey = false;
      }
      i = j + 1;
    } else i++;
  }
  return sequences;
}

const DOUBLE_MAX = 1.7976931348623157e308;

/** A parsed value as jq holds it: numbers beyond the double range are clamped to it (jq prints 1e400 as 1.797…e+308). */
export function asJq(value: unknown): unknown {
  if (typeof value === "number") return value === Infinity ? DOUBLE_MAX : value === -Infinity ? -DOUBLE_MAX : value;
  if (Array.isArray(value)) return value.map(asJq);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asJq(v)]));
  return value;
}

/**
 * Our JSON line against jq's: the same value (numbers compared as doubles, as jq holds them), the same keys in
 * the same order in every object, and no object with a key twice.
 */
export function assertSameJsonLine(ours: string, theirs: string, what: string): void {
  assert.deepEqual(asJq(JSON.parse(ours)), asJq(JSON.parse(theirs)), `${what}: same value`);
  const keys = keySequences(ours);
  for (const sequence of keys) assert.equal(new Set(sequence).size, sequence.length, `${what}: no duplicate keys in ${JSON.stringify(sequence)}`);
  assert.deepEqual(keys, keySequences(theirs), `${what}: jq's key order`);
}
