/**
 * A raw DEFLATE (RFC 1951) decoder in plain TypeScript that says exactly where the compressed stream ends.
 *
 * The runtimes' decompressors disagree about what follows a gzip member (Node's DecompressionStream and zlib go
 * on into a second member, Deno's fails on any byte after the first), and none tells where the member ended.
 * Integrity checks need both answers, the same on every runtime: CloudTrail hashes the content of the first
 * member only, and anything appended after it must be reported, not silently indexed.
 *
 * Errors and truncation follow zlib (the AWS CLI inflates with it): a corrupt stream throws InflateError with
 * zlib's wording; input that ends early is not an error, the output decoded so far is returned with
 * `complete: false`.
 *
 * ```ts
 * const { output, end, complete } = inflateRaw(bytes, 10); // bytes[end..] follow the compressed stream
 * ```
 */

export class InflateError extends Error {}

export interface Inflated {
  output: Uint8Array;
  /** Index in the input of the first byte after the stream (input.length when it did not complete). */
  end: number;
  /** The final block ended; false when the input ran out first. */
  complete: boolean;
}

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A decoding table: entry = symbol << 4 | code length, 0 for a bit pattern no code starts with. */
interface Table {
  entries: Int32Array;
  bits: number;
}

/** Input ran out in the middle of something: not an error, the output so far stands. */
class Truncated {}
const TRUNCATED = new Truncated();

/** Decodes the DEFLATE stream that starts at `input[start]`; `sizeHint` (the expected output size) saves regrowing. */
export function inflateRaw(input: Uint8Array, start = 0, sizeHint = 0): Inflated {
  return new Inflater(input, start, sizeHint).run();
}

class Inflater {
  #pos: number;
  #bitBuffer = 0;
  #bitCount = 0;
  #out: Uint8Array;
  #length = 0;

  constructor(
    private readonly input: Uint8Array,
    start: number,
    sizeHint: number,
  ) {
    this.#pos = start;
    // a hint is only believed up to 1 GiB; a wrong one costs a regrow, nothing else
    this.#out = new Uint8Array(Math.max(1024, sizeHint > 0 ? Math.min(sizeHint, 1 << 30) : Math.min(input.length * 4, 1 << 26)));
  }

  run(): Inflated {
    try {
      for (;;) {
        const final = this.#bits(1);
        const type = this.#bits(2);
        if (type === 0) this.#stored();
        else if (type === 1) this.#codes(FIXED_LENGTHS, FIXED_DISTANCES);
        else if (type === 2) this.#dynamic();
        else throw new InflateError("invalid block type");
        if (final) break;
      }
    } catch (error) {
      if (error === TRUNCATED) return { output: this.#out.subarray(0, this.#length), end: this.input.length, complete: false };
      throw error;
    }
    // whole bytes left in the bit buffer were read ahead of the stream's end: give them back
    return { output: this.#out.subarray(0, this.#length), end: this.#pos - (this.#bitCount >>> 3), complete: true };
  }

  #need(n: number): void {
    while (this.#bitCount < n) {
      if (this.#pos >= this.input.length) throw TRUNCATED;
      this.#bitBuffer = (this.#bitBuffer | (this.input[this.#pos++]! << this.#bitCount)) >>> 0;
      this.#bitCount += 8;
    }
  }

  #bits(n: number): number {
    if (n === 0) return 0;
    this.#need(n);
    const value = this.#bitBuffer & ((1 << n) - 1);
    this.#bitBuffer >>>= n;
    this.#bitCount -= n;
    return value;
  }

  #symbol(table: Table, what: string): number {
    const { entries, bits } = table;
    while (this.#bitCount < bits && this.#pos < this.input.length) {
      this.#bitBuffer = (this.#bitBuffer | (this.input[this.#pos++]! << this.#bitCount)) >>> 0;
      this.#bitCount += 8;
    }
    const entry = entries[this.#bitBuffer & ((1 << bits) - 1)]!;
    const length = entry & 15;
    if (entry === 0 || length > this.#bitCount) {
      // with fewer bits than the table's width, more input might still complete a valid code
      if (this.#bitCount < bits) throw TRUNCATED;
      throw new InflateError(`invalid ${what} code`);
    }
    this.#bitBuffer >>>= length;
    this.#bitCount -= length;
    return entry >> 4;
  }

  #stored(): void {
    // skip to the byte boundary, then LEN and its complement
    this.#bitBuffer >>>= this.#bitCount & 7;
    this.#bitCount -= this.#bitCount & 7;
    const length = this.#bits(16);
    const complement = this.#bits(16);
    if ((length ^ 0xffff) !== complement) throw new InflateError("invalid stored block lengths");
    // the bit buffer is empty now (it held exactly the four length bytes)
    const available = Math.min(length, this.input.length - this.#pos);
    this.#reserve(available);
    this.#out.set(this.input.subarray(this.#pos, this.#pos + available), this.#length);
    this.#length += available;
    this.#pos += available;
    if (available < length) throw TRUNCATED;
  }

  #dynamic(): void {
    const literals = this.#bits(5) + 257;
    const distances = this.#bits(5) + 1;
    const codeLengthCodes = this.#bits(4) + 4;
    if (literals > 286 || distances > 30) throw new InflateError("too many length or distance symbols");
    const codeLengths = new Uint8Array(19);
    for (let i = 0; i < codeLengthCodes; i++) codeLengths[CODE_LENGTH_ORDER[i]!] = this.#bits(3);
    const codeLengthTable = buildTable(codeLengths, "code lengths", true);
    const lengths = new Uint8Array(literals + distances);
    for (let i = 0; i < lengths.length; ) {
      const symbol = this.#symbol(codeLengthTable, "code lengths");
      if (symbol < 16) {
        lengths[i++] = symbol;
        continue;
      }
      let repeat: number;
      let value = 0;
      if (symbol === 16) {
        if (i === 0) throw new InflateError("invalid bit length repeat");
        value = lengths[i - 1]!;
        repeat = 3 + this.#bits(2);
      } else if (symbol === 17) repeat = 3 + this.#bits(3);
      else repeat = 11 + this.#bits(7);
      if (i + repeat > lengths.length) throw new InflateError("invalid bit length repeat");
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new InflateError("invalid code -- missing end-of-block");
    this.#codes(buildTable(lengths.subarray(0, literals), "literal/lengths", false), buildTable(lengths.subarray(literals), "distances", false));
  }

  #codes(literals: Table, distances: Table): void {
    for (;;) {
      const symbol = this.#symbol(literals, "literal/length");
      if (symbol < 256) {
        if (this.#length === this.#out.length) this.#reserve(1);
        this.#out[this.#length++] = symbol;
        continue;
      }
      if (symbol === 256) return;
      const lengthIndex = symbol - 257;
      if (lengthIndex >= 29) throw new InflateError("invalid literal/length code");
      const length = LEN_BASE[lengthIndex]! + this.#bits(LEN_EXTRA[lengthIndex]!);
      const distanceSymbol = this.#symbol(distances, "distance");
      if (distanceSymbol >= 30) throw new InflateError("invalid distance code");
      const distance = DIST_BASE[distanceSymbol]! + this.#bits(DIST_EXTRA[distanceSymbol]!);
      if (distance > this.#length) throw new InflateError("invalid distance too far back");
      this.#reserve(length);
      const out = this.#out;
      let from = this.#length - distance;
      let to = this.#length;
      if (distance >= length) out.copyWithin(to, from, from + length);
      else for (const stop = to + length; to < stop; ) out[to++] = out[from++]!;
      this.#length += length;
    }
  }

  #reserve(n: number): void {
    if (this.#length + n <= this.#out.length) return;
    let size = this.#out.length * 2;
    while (size < this.#length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#out.subarray(0, this.#length));
    this.#out = grown;
  }
}

/**
 * A canonical Huffman decoding table from code lengths (RFC 1951 3.2.2). Over-subscribed sets are refused, and so
 * are incomplete ones, except (as zlib allows) a literal/length or distance code with a single one-bit code.
 */
function buildTable(lengths: Uint8Array, what: string, codeLengths: boolean, fixed = false): Table {
  const count = new Uint16Array(16);
  let maxBits = 0;
  for (const l of lengths) {
    count[l]!++;
    if (l > maxBits) maxBits = l;
  }
  count[0] = 0;
  let left = 1;
  for (let bits = 1; bits <= 15; bits++) {
    left = left * 2 - count[bits]!;
    if (left < 0) throw new InflateError(`invalid ${what} set`);
  }
  // zlib accepts a set with no codes at all (a block of literals only has no distance codes) and, for
  // literal/lengths and distances, a single code of length 1
  if (left > 0 && !fixed && maxBits !== 0 && (codeLengths || maxBits !== 1)) throw new InflateError(`invalid ${what} set`);
  const bits = Math.max(1, maxBits);
  const entries = new Int32Array(1 << bits);
  const next = new Uint16Array(16);
  for (let b = 1, code = 0; b <= 15; b++) {
    code = (code + count[b - 1]!) << 1;
    next[b] = code;
  }
  for (let symbol = 0; symbol < lengths.length; symbol++) {
    const length = lengths[symbol]!;
    if (!length) continue;
    const reversed = reverse(next[length]!++, length);
    for (let i = reversed; i < entries.length; i += 1 << length) entries[i] = (symbol << 4) | length;
  }
  return { entries, bits };
}

function reverse(code: number, length: number): number {
  let r = 0;
  for (let i = 0; i < length; i++) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
}

const FIXED_LENGTHS = (() => {
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
  return buildTable(lengths, "literal/lengths", false, true);
})();

/** 32 five-bit codes, of which 30 and 31 never occur in a valid stream ("invalid distance code"). */
const FIXED_DISTANCES = buildTable(new Uint8Array(32).fill(5), "distances", false, true);
