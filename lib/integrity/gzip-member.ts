/**
 * The first gzip member of an object (RFC 1952), read the way the AWS CLI reads a CloudTrail log file before
 * hashing it: `zlib.decompressobj(MAX_WBITS | 16)` fed the whole object. What CloudTrail's `hashValue` covers
 * is this member's content; whatever follows it is reported (`trailing`), so that nothing appended to a log can
 * pass as signed.
 *
 * Like zlib: a wrong magic number, method, flag, header CRC, corrupt deflate data, or a trailer whose CRC-32 or
 * length does not match throws GzipError; input that ends early is not an error, it returns the content so far
 * with `complete: false` (a truncated log then fails its hash check, as it does for the AWS CLI).
 *
 * ```ts
 * const member = firstGzipMember(bytes);
 * if (member.trailing) reject("unexpected data after end of compressed stream");
 * const hash = await sha256Hex(member.content);
 * ```
 */
import { InflateError, inflateRaw } from "./inflate.ts";

export class GzipError extends Error {}

export interface GzipMember {
  /** The decompressed content (so far, when not complete). */
  content: Uint8Array;
  /** The member ended with a valid trailer. */
  complete: boolean;
  /** Bytes after the end of the member (0 when not complete). */
  trailing: number;
}

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

export function firstGzipMember(bytes: Uint8Array): GzipMember {
  const empty = { content: new Uint8Array(0), complete: false, trailing: 0 };
  if (bytes.length < 2) return empty;
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new GzipError("incorrect header check");
  if (bytes.length < 4) return empty; // zlib reads the method and the flags together
  if (bytes[2] !== 8) throw new GzipError("unknown compression method");
  const flags = bytes[3]!;
  if (flags & 0xe0) throw new GzipError("unknown header flags set");
  let at = 10;
  if (bytes.length < at) return empty;
  if (flags & FEXTRA) {
    if (bytes.length < at + 2) return empty;
    at += 2 + (bytes[at]! | (bytes[at + 1]! << 8));
    if (bytes.length < at) return empty;
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const zero = bytes.indexOf(0, at);
    if (zero < 0) return empty;
    at = zero + 1;
  }
  if (flags & FHCRC) {
    if (bytes.length < at + 2) return empty;
    const expected = bytes[at]! | (bytes[at + 1]! << 8);
    if ((crc32(bytes.subarray(0, at)) & 0xffff) !== expected) throw new GzipError("header crc mismatch");
    at += 2;
  }

  let inflated;
  try {
    // the last four bytes of a single-member file give the content's size: room for it from the start (a
    // trailer can lie, so no more than 64 times the compressed size; JSON compresses about 10 to 1)
    const hint = bytes.length >= at + 8 ? new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true) : 0;
    inflated = inflateRaw(bytes, at, Math.min(hint, (bytes.length - at) * 64));
  } catch (error) {
    if (error instanceof InflateError) throw new GzipError(error.message);
    throw error;
  }
  const content = inflated.output;
  const partial = { content, complete: false, trailing: 0 };
  // zlib checks the CRC-32 as soon as its four bytes are there, then the length
  if (!inflated.complete || bytes.length < inflated.end + 4) return partial;
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + inflated.end, Math.min(8, bytes.length - inflated.end));
  if (trailer.getUint32(0, true) !== crc32(content)) throw new GzipError("incorrect data check");
  if (bytes.length < inflated.end + 8) return partial;
  if (trailer.getUint32(4, true) !== content.length % 2 ** 32) throw new GzipError("incorrect length check");
  return { content, complete: true, trailing: bytes.length - inflated.end - 8 };
}

let tables: Uint32Array[] | undefined;

/** CRC-32 (ISO 3309, as gzip uses it), eight bytes a step ("slicing-by-8"). */
export function crc32(bytes: Uint8Array): number {
  const t = (tables ??= makeTables());
  const [t0, t1, t2, t3, t4, t5, t6, t7] = t as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = 0xffffffff;
  let i = 0;
  for (const stop = bytes.length - 7; i < stop; i += 8) {
    const a = (crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    crc = t7[a & 0xff]! ^ t6[(a >>> 8) & 0xff]! ^ t5[(a >>> 16) & 0xff]! ^ t4[a >>> 24]! ^ t3[bytes[i + 4]!]! ^ t2[bytes[i + 5]!]! ^ t1[bytes[i + 6]!]! ^ t0[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) crc = t0[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeTables(): Uint32Array[] {
  const out = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    out[0]![n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) for (let k = 1; k < 8; k++) out[k]![n] = (out[0]![out[k - 1]![n]! & 0xff]! ^ (out[k - 1]![n]! >>> 8)) >>> 0;
  return out;
}
