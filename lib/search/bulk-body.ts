/**
 * A bulk batch as the bytes of its request body: one buffer per batch, each item a range of it (its action line
 * and its document line). It is what `bulkWriter` keeps of a batch in flight, once (the documents' strings are
 * garbage as soon as it is made), and what a worker thread hands over (the buffer is transferable, the rest is
 * plain data: see lib/parallel).
 *
 * ```ts
 * const item = bulkItem(action, record);         // in toBulk: the record's text is kept only if it must be
 * const encoded = encodeBatch({ items, bytes });  // { body: Uint8Array, items: [{ index, id, end, … }] }
 * postMessage(encoded, [encoded.body.buffer]);    // from a worker, without a copy
 * recordOf(encoded, 3).text                       // the record as delivered, for a dead letter
 * ```
 *
 * A record's text is needed only for a dead letter. On the fast path of document.ts the document is
 * `{"@timestamp":…,` followed by the record less its `{`, so the text is not kept beside the document: it is the
 * document's tail (and BodyBuilder writes the document as those two parts, `IndexAction.head` then the text: the
 * joined string is never copied whole). It is kept when the document was rewritten (fields moved, duplicate keys),
 * and when it is not well-formed UTF-16 (encoding would change it). A stage between toBulk and bulkWriter
 * (lib/integrity/annotate.ts) may put fields in front of a document; one that rewrote a document otherwise would have
 * to keep its text too.
 */
import type { Selected } from "../streams/select.ts";
import type { IndexAction } from "./document.ts";

/**
 * Where a record came from, and its text: all a batch keeps of it (not the parsed value, to keep memory low). For
 * the items toBulk makes, `text` is read from the document when the document ends with it.
 */
export type RecordRef = Pick<Selected, "text" | "object" | "position">;

export interface BulkItem {
  action: IndexAction;
  record: RecordRef;
}

export interface BulkBatch {
  items: BulkItem[];
  bytes: number;
}

export interface EncodedBatch {
  /** The `_bulk` request body: each item's action line and document line, in order. */
  body: Uint8Array;
  items: EncodedItem[];
}

export interface EncodedItem {
  index: string;
  id: string;
  object: string;
  position: number;
  /** Where the item's lines end in the body; they start where the previous item's end (the first at 0). */
  end: number;
  /** Where its document line starts. */
  source: number;
  /** Length of the record's text (UTF-16 code units): the document's tail of that length, less one, is the text's. */
  textLength: number;
  /** The record's text when the document does not end with it. */
  text?: string;
  /** A record given by the caller (not made by toBulk): handed back as it is in a dead letter. Not transferable. */
  record?: RecordRef;
}

/** How a record made by `bulkItem` finds its text. */
interface Derivation {
  textLength: number;
  text?: string;
}

const derivations = new WeakMap<RecordRef, Derivation>();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A batch item whose record keeps its text only when the document does not end with it. The record's `text` is
 * read from the item's document while the item lives (stages, tests); the encoded batch carries the same.
 */
export function bulkItem(action: IndexAction, from: { text: string; object: string; position: number }): BulkItem {
  const text = from.text;
  const derivation: Derivation = derivable(action, text) ? { textLength: text.length } : { textLength: text.length, text };
  const item = { action, record: undefined as unknown as RecordRef };
  item.record = {
    object: from.object,
    position: from.position,
    get text() {
      return derivation.text ?? textFromDocument(item.action.source, derivation.textLength);
    },
  };
  derivations.set(item.record, derivation);
  return item;
}

/**
 * Batches built as bytes from the start (toBulk with `encode`): each document is encoded once as it comes, and
 * only its bytes and a few fields stay; nothing of a record outlives its turn as a string.
 */
export class BodyBuilder {
  #body: Uint8Array;
  #at = 0;
  #items: EncodedItem[] = [];

  constructor(initialBytes = 1 << 16) {
    this.#body = bodyBuffer(initialBytes);
  }

  get bytes(): number {
    return this.#at;
  }

  get count(): number {
    return this.#items.length;
  }

  /** Appends an item's two lines; returns their size in bytes. */
  add(action: IndexAction, record: { text: string; object: string; position: number }): number {
    const start = this.#at;
    this.#put(actionLine(action));
    const source = this.#at;
    const text = record.text;
    // the document as its two parts, the text as it is (document.ts: `head`): no copy of it as one string
    const parts = action.head !== undefined && action.source.length === action.head.length + text.length - 1;
    if (parts) {
      this.#put(action.head!, false);
      this.#put(text.slice(1));
    } else this.#put(action.source);
    const item: EncodedItem = { index: action.index, id: action.id, object: record.object, position: record.position, end: this.#at, source, textLength: text.length };
    if (!(parts ? wellFormed(text) : derivable(action, text))) item.text = text;
    this.#items.push(item);
    return this.#at - start;
  }

  /**
   * Everything added so far, as a batch; `keepLast` leaves the last item to start the next one. A batch that fills
   * most of the buffer takes the buffer itself (no copy) and the next starts in a new one of the same size.
   */
  take(keepLast = false): EncodedBatch {
    const items = this.#items;
    const last = keepLast ? items.pop() : undefined;
    const end = items.length ? items[items.length - 1]!.end : 0;
    const old = this.#body;
    const whole = end >= old.length / 2;
    const batch = { body: whole ? old.subarray(0, end) : old.slice(0, end), items };
    this.#items = [];
    if (whole) this.#body = bodyBuffer(old.length > 1 << 23 && this.#at - end < old.length / 4 ? Math.max(1 << 16, (this.#at - end) * 2) : old.length);
    if (last) {
      // the last item moves to the front of the buffer
      this.#body.set(old.subarray(end, this.#at));
      this.#items.push({ ...last, end: last.end - end, source: last.source - end });
    }
    this.#at -= end;
    return batch;
  }

  /** Appends the text, then a newline unless `line` is false. */
  #put(text: string, line = true): void {
    for (;;) {
      const { read, written } = encoder.encodeInto(text, this.#body.subarray(this.#at));
      if (read === text.length && this.#at + written < this.#body.length) {
        this.#at += written;
        if (line) this.#body[this.#at++] = 10;
        return;
      }
      const bigger = new Uint8Array(Math.max(this.#body.length * 2, this.#at + text.length * 3 + 1));
      bigger.set(this.#body.subarray(0, this.#at));
      this.#body = bigger;
    }
  }
}

/**
 * Buffers of bodies, used again: a batch that takes the builder's whole buffer gives it back through bulkWriter
 * once its request is settled (`recycleBody`), so a long run allocates a few buffers of 3 MB instead of one per
 * batch (each one garbage that the runtime frees late: measured, 20-30 MB of dead buffers held at any moment).
 */
const spare: ArrayBuffer[] = [];
const ours = new WeakSet<ArrayBuffer>();
const MAX_SPARE = 6;

function bodyBuffer(length: number): Uint8Array {
  const i = spare.findIndex((b) => b.byteLength >= length && b.byteLength <= 2 * length);
  if (i >= 0) return new Uint8Array(spare.splice(i, 1)[0]!);
  const fresh = new Uint8Array(length);
  ours.add(fresh.buffer);
  return fresh;
}

/**
 * A sent batch's body, no longer read by anyone: its buffer is used for a later batch if a builder made it (others,
 * and buffers moved here from another thread, are left to the garbage collector).
 */
export function recycleBody(body: Uint8Array): void {
  const buffer = body.buffer as ArrayBuffer;
  if (buffer.byteLength === 0 || !ours.has(buffer) || spare.length >= MAX_SPARE || spare.includes(buffer)) return;
  spare.push(buffer);
}

/** The batch as one body; the documents are encoded once, into a buffer sized from `batch.bytes`. */
export function encodeBatch(batch: BulkBatch): EncodedBatch {
  let body = new Uint8Array(Math.max(batch.bytes, 64));
  let at = 0;
  const put = (text: string) => {
    for (;;) {
      const { read, written } = encoder.encodeInto(text, body.subarray(at));
      if (read === text.length) {
        at += written;
        body[at++] = 10;
        return;
      }
      // a stage grew the documents beyond the batch's count: make room (rare)
      const bigger = new Uint8Array(Math.max(body.length * 2, at + text.length * 3 + 1));
      bigger.set(body.subarray(0, at));
      body = bigger;
    }
  };
  const items: EncodedItem[] = new Array(batch.items.length);
  for (let i = 0; i < batch.items.length; i++) {
    const { action, record } = batch.items[i]!;
    put(actionLine(action));
    const source = at;
    put(action.source);
    const derivation = derivations.get(record);
    const item: EncodedItem = { index: action.index, id: action.id, object: record.object, position: record.position, end: at, source, textLength: derivation?.textLength ?? 0 };
    if (!derivation) item.record = record;
    else if (derivation.text !== undefined) item.text = derivation.text;
    items[i] = item;
  }
  return { body: at === body.length ? body : body.subarray(0, at), items };
}

/** Where item `i` starts in the body. */
export function startOf(batch: EncodedBatch, i: number): number {
  return i === 0 ? 0 : batch.items[i - 1]!.end;
}

/** The record of item `i`, as delivered: for a dead letter. */
export function recordOf(batch: EncodedBatch, i: number): RecordRef {
  const item = batch.items[i]!;
  if (item.record) return item.record;
  const text = item.text ?? textFromDocument(decoder.decode(batch.body.subarray(item.source, item.end - 1)), item.textLength);
  return { text, object: item.object, position: item.position };
}

export function actionLine(action: Pick<IndexAction, "index" | "id">): string {
  let head = heads.get(action.index);
  if (head === undefined) {
    if (heads.size > 1000) heads.clear();
    head = `{"create":{"_index":${JSON.stringify(action.index)},"_id":`;
    heads.set(action.index, head);
  }
  // ids are mostly eventIDs (UUIDs) or hex hashes: nothing to escape
  return `${head}${PLAIN.test(action.id) ? `"${action.id}"` : JSON.stringify(action.id)}}}`;
}

const heads = new Map<string, string>();
const PLAIN = /^[\w.:@-]*$/;

/** The record's text from a document that ends with it (less its `{`). */
function textFromDocument(source: string, textLength: number): string {
  return `{${source.slice(source.length - (textLength - 1))}`;
}

/** The document ends with the record (less its `{`), and will still after a stage put fields in front of it. */
function derivable(action: IndexAction, text: string): boolean {
  const source = action.source;
  return action.unindexed.length === 0 && text.length > 1 && text.charCodeAt(0) === 123 && source.length >= text.length && source.endsWith(text.slice(1)) && wellFormed(text);
}

/** No lone surrogates: what TextEncoder would replace, so that decoding the encoded document gives the text back. */
function wellFormed(text: string): boolean {
  const s = text as string & { isWellFormed?: () => boolean };
  if (s.isWellFormed) return s.isWellFormed();
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}
