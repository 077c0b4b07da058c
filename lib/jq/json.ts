/**
 * JSON text to values, keeping jq's view of object key order.
 *
 * `JSON.parse` builds JavaScript objects, which list integer-like keys ("0", "42") first, in numeric order; jq
 * keeps an object's keys in document order, and `.[]` yields values in that order. For objects with such keys,
 * `parseJsonInOrder` records the document order in `documentKeyOrder`, which `.[]` follows. Other objects need
 * nothing: their JavaScript order already is the document order.
 *
 * It is slower than `JSON.parse`, so callers use it only for text that has integer-like keys (`mayReorderKeys`).
 */

/** Document key order (first occurrence) of objects whose JavaScript key order differs from it. */
export const documentKeyOrder = new WeakMap<object, readonly string[]>();

/** Whether the text may hold an object key that JavaScript would move (a canonical array index). */
export function mayReorderKeys(text: string): boolean {
  return /"(?:0|[1-9]\d{0,9})"\s*:/.test(text);
}

const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

/** Keys that a JavaScript object would list before the others, in numeric order. */
function isArrayIndexKey(key: string): boolean {
  return ARRAY_INDEX.test(key) && Number(key) < 4294967295;
}

/**
 * An object built by jq's object construction: keys in insertion order (a repeated key keeps its first
 * place and takes the last value), every key an own property (even "__proto__"), and the order recorded
 * in `documentKeyOrder` when JavaScript's would differ.
 */
export function buildObject(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  let reordered = false;
  const order: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (!Object.hasOwn(object, key)) {
      order.push(key);
      if (isArrayIndexKey(key)) reordered = true;
    }
    Object.defineProperty(object, key, { value: values[i], writable: true, enumerable: true, configurable: true });
  }
  if (reordered) documentKeyOrder.set(object, order);
  return object;
}

/** An object's keys in jq's order: document or insertion order. */
export function keysInOrder(object: object): readonly string[] {
  return documentKeyOrder.get(object) ?? Object.keys(object);
}

/** Like `JSON.parse` (same values, same errors), and records document key order where JavaScript's differs. */
export function parseJsonInOrder(text: string): unknown {
  JSON.parse(text); // validation, and the engine's own error message
  let i = 0;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else return;
    }
  };
  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      const q = text.indexOf('"', i);
      let backslashes = 0;
      for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes++;
      i = q + 1;
      if (backslashes % 2 === 0) return JSON.parse(text.slice(start, i)) as string;
    }
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const object: Record<string, unknown> = {};
      const order: string[] = [];
      let reordered = false;
      ws();
      if (text[i] === "}") {
        i++;
        return object;
      }
      for (;;) {
        ws();
        const key = string();
        ws();
        i++; // ":"
        const v = value();
        if (!Object.hasOwn(object, key)) {
          order.push(key);
          if (isArrayIndexKey(key)) reordered = true;
        }
        Object.defineProperty(object, key, { value: v, writable: true, enumerable: true, configurable: true });
        ws();
        if (text[i++] === "}") break;
      }
      if (reordered) documentKeyOrder.set(object, order);
      return object;
    }
    if (c === "[") {
      i++;
      const array: unknown[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return array;
      }
      for (;;) {
        array.push(value());
        ws();
        if (text[i++] === "]") break;
      }
      return array;
    }
    if (c === '"') return string();
    const start = i;
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    return JSON.parse(text.slice(start, i));
  };
  return value();
}
