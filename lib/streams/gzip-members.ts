/**
 * Gzip with any number of members (`cat a.gz b.gz`), decoded the same on every runtime with its own
 * DecompressionStream: every member in turn, then nothing but zero bytes (padding, ignored). Anything else after a
 * member (garbage, a member after the padding, a cut header) is an error naming the byte where it starts, and so
 * is a truncated or corrupt member (CRC and length are checked). That is exactly what `gzip -d` accepts with exit
 * code 0, with the same bytes out; where gzip only warns ("trailing garbage ignored", exit 2), this refuses.
 *
 * ```ts
 * const json = body.pipeThrough(gunzipMembers());
 * ```
 *
 * Runtimes differ, so how the runtime's DecompressionStream treats two members is found once, then:
 * - It decodes members itself (Node): but it stops at a zero byte after a member and drops the rest of that write
 *   silently. So the input's last non-zero byte is held back and written at the end, alone, followed by the zeros
 *   after it and an empty member, which then fail if anything before was dropped (see HeldBack; its one exception,
 *   padding followed only by empty members, loses no data).
 * - It stops after the first member (Deno 2): a write holding bytes past a member's end fails, and that write's
 *   output is lost. The member's compressed bytes are kept, up to `maxMemberBytes`; on that failure the member's
 *   end is found by decoding kept bytes again with fresh DecompressionStreams (first at the places where another
 *   member or padding could start, then by bisection), the output the failed write lost is emitted, and the
 *   next member starts there. A member larger than the cap that is followed by more data fails with a message
 *   that says so; a single member of any size decodes (past the cap its bytes are no longer kept).
 */
import { concatBytes } from "../bytes.ts";

export interface MemberOptions {
  /** Compressed bytes of one member kept to find its end on runtimes that need it (default 64 MiB). */
  maxMemberBytes?: number;
}

export const DEFAULT_MAX_MEMBER_BYTES = 64 * 1024 * 1024;

export function gunzipMembers(options: MemberOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const maxMemberBytes = options.maxMemberBytes ?? DEFAULT_MAX_MEMBER_BYTES;
  if (!Number.isSafeInteger(maxMemberBytes) || maxMemberBytes < 0) throw new RangeError(`maxMemberBytes must be a whole number of bytes, not ${maxMemberBytes}`);
  let decoder: Decoder | undefined;
  const ready = async (controller: TransformStreamDefaultController<Uint8Array>) => {
    decoder ??= (await runtimeBehaviour()) === "first-member-only" ? new MemberByMember(controller, maxMemberBytes) : new HeldBack(controller);
    return decoder;
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      if (chunk.length) await (await ready(controller)).write(chunk);
    },
    async flush(controller) {
      await (await ready(controller)).end();
    },
  });
}

/** How this runtime's DecompressionStream treats two members in one write: found once, by trying it. */
export type Behaviour = "members" | "first-member-only";

let behaviour: Promise<Behaviour> | undefined;

export function runtimeBehaviour(): Promise<Behaviour> {
  behaviour ??= decodeOnce(concatBytes([storedMember(new Uint8Array([0x61])), storedMember(new Uint8Array([0x62]))]), 0).then((r) =>
    r.status === "over" ? "first-member-only" : "members",
  );
  return behaviour;
}

interface Decoder {
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<void>;
}

/** One DecompressionStream, written to and read from at once; `emitted` counts the output passed on. */
class Inflater {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pump: Promise<void>;
  #error: unknown;
  emitted = 0;

  constructor(output: (chunk: Uint8Array) => void) {
    const ds = new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
    this.#writer = ds.writable.getWriter();
    const reader = ds.readable.getReader();
    this.#pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.emitted += value.length;
        output(value);
      }
    })().catch((error) => {
      this.#error ??= error;
    });
  }

  /** False when the decoder refused the chunk (its error is then `error`); output up to there has been passed on. */
  async write(chunk: Uint8Array): Promise<boolean> {
    try {
      await this.#writer.write(chunk);
      return true;
    } catch (error) {
      this.#error ??= error;
      await this.#pump;
      return false;
    }
  }

  /** Ends the input and waits for the last output; false when the decoder failed (truncated, bad CRC or length). */
  async close(): Promise<boolean> {
    try {
      await this.#writer.close();
    } catch (error) {
      this.#error ??= error;
    }
    await this.#pump;
    return this.#error === undefined;
  }

  get error(): Error {
    return this.#error instanceof Error ? this.#error : new Error(String(this.#error));
  }
}

/**
 * For runtimes that decode members themselves (Node): a zero byte after a member makes the decoder stop and
 * silently drop the rest of that write; a later write is decoded as a new member, and fails when it is not one or
 * when it has output. So the last non-zero byte of the input is held back and written alone after everything
 * else, then the zero bytes after it (the last member's trailer may end in zeros, then padding; counted, not
 * kept), then an empty member: after a stop anywhere before, the held byte starts a "member" that the zeros or the
 * empty member make fail. After a stop in the final zeros (padding, which is fine) the empty member decodes to
 * nothing. One case stays accepted here and refused elsewhere: zero padding followed only by empty members,
 * which hold no data.
 */
class HeldBack implements Decoder {
  readonly #inflater: Inflater;
  #last: Uint8Array | undefined;
  #zeros = 0;

  constructor(controller: TransformStreamDefaultController<Uint8Array>) {
    this.#inflater = new Inflater((chunk) => controller.enqueue(chunk));
  }

  async write(chunk: Uint8Array): Promise<void> {
    let last = chunk.length - 1;
    while (last >= 0 && chunk[last] === 0) last--;
    if (last < 0) {
      this.#zeros += chunk.length;
      return;
    }
    let first = 0;
    while (chunk[first] === 0) first++;
    if (this.#last) await this.#write(this.#last);
    await this.#writeZeros(this.#zeros + first);
    if (first < last) await this.#write(chunk.subarray(first, last));
    this.#last = chunk.slice(last, last + 1);
    this.#zeros = chunk.length - 1 - last;
  }

  async end(): Promise<void> {
    if (!this.#last) throw new Error(this.#zeros ? "not gzip (only zero bytes)" : "unexpected end of file");
    await this.#write(this.#last);
    await this.#writeZeros(this.#zeros);
    await this.#write(EMPTY_MEMBER);
    if (!(await this.#inflater.close())) throw this.#error();
  }

  async #writeZeros(n: number): Promise<void> {
    for (; n > 0; n -= ZEROS.length) await this.#write(n >= ZEROS.length ? ZEROS : ZEROS.subarray(0, n));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (!(await this.#inflater.write(bytes))) throw this.#error();
  }

  #error(): Error {
    const error = this.#inflater.error;
    if ((error as { code?: string }).code === "ERR_STREAM_PUSH_AFTER_EOF") return new Error("data after zero padding that follows a gzip member");
    return error;
  }
}

const ZEROS = new Uint8Array(1 << 16);
const EMPTY_MEMBER = storedMember(new Uint8Array(0));

/** A member being decoded: from byte `start`, `size` bytes so far, kept while `size` is within the cap. */
interface Member {
  inflater: Inflater;
  start: number;
  kept: Uint8Array[];
  size: number;
  over: boolean;
}

/** For runtimes that stop after one member: each member its own DecompressionStream, its end found by decoding. */
class MemberByMember implements Decoder {
  readonly #controller: TransformStreamDefaultController<Uint8Array>;
  readonly #max: number;
  #member: Member | undefined;
  #members = 0;
  #offset = 0;
  #padding: number | undefined;

  constructor(controller: TransformStreamDefaultController<Uint8Array>, maxMemberBytes: number) {
    this.#controller = controller;
    this.#max = maxMemberBytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    while (chunk.length) {
      if (this.#padding !== undefined) {
        const extra = chunk.findIndex((b) => b !== 0);
        if (extra >= 0) throw new Error(`data after the gzip data at byte ${this.#offset + extra}, past zero padding from byte ${this.#padding}`);
        this.#offset += chunk.length;
        return;
      }
      if (!this.#member) {
        if (this.#members && chunk[0] === 0) {
          this.#padding = this.#offset;
          continue;
        }
        if (this.#members && chunk[0] !== 0x1f) throw new Error(`data after the gzip data at byte ${this.#offset} (not a gzip member)`);
        this.#member = { inflater: new Inflater((c) => this.#controller.enqueue(c)), start: this.#offset, kept: [], size: 0, over: false };
      }
      const member = this.#member;
      if (await member.inflater.write(chunk)) {
        this.#keep(chunk);
        this.#offset += chunk.length;
        return;
      }
      const used = await this.#finish(member, chunk);
      this.#member = undefined;
      this.#members++;
      this.#offset += used;
      chunk = chunk.subarray(used);
    }
  }

  async end(): Promise<void> {
    const member = this.#member;
    if (member) {
      if (!(await member.inflater.close())) throw member.inflater.error;
      this.#members++;
    } else if (!this.#members) throw new Error("unexpected end of file");
  }

  #keep(chunk: Uint8Array): void {
    const member = this.#member!;
    member.size += chunk.length;
    if (member.over) return;
    if (member.size > this.#max) {
      member.over = true;
      member.kept = [];
    } else member.kept.push(chunk);
  }

  /**
   * The member's decoder refused `chunk`: the member ends inside it (or at its start), or the data is corrupt.
   * Emits what the decoder did not, and returns how many bytes of `chunk` belong to the member.
   */
  async #finish(member: Member, chunk: Uint8Array): Promise<number> {
    const refused = member.inflater.error;
    if (member.over) {
      throw new Error(`${refused.message} (in or after a gzip member of more than ${this.#max} bytes at byte ${member.start}: too large to find its end with this runtime's DecompressionStream)`);
    }
    const bytes = concatBytes([...member.kept, chunk]);
    const from = member.size;
    const tryEnd = async (end: number) => (end > 0 ? decodeOnce(bytes.subarray(0, end), member.inflater.emitted) : undefined);
    for (const end of likelyEnds(bytes, from)) {
      const probe = await tryEnd(end);
      if (probe?.status === "exact") return this.#emit(probe.output, end - from);
    }
    let low = from;
    let high = bytes.length;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const probe = middle > 0 ? await decodeOnce(bytes.subarray(0, middle), Infinity) : undefined;
      if (!probe || probe.status === "under") low = middle + 1;
      else high = middle;
    }
    const probe = await tryEnd(low);
    if (probe?.status === "exact") return this.#emit(probe.output, low - from);
    throw refused;
  }

  #emit(output: Uint8Array, used: number): number {
    if (output.length) this.#controller.enqueue(output);
    return used;
  }
}

/**
 * Where, from `from` on, the member most likely ends: where the next member's header (1f 8b 08, or the start of
 * it at the end) or the final run of zero bytes (padding) begins. A few places; bisection finds any other.
 */
function likelyEnds(bytes: Uint8Array, from: number): number[] {
  const out: number[] = [];
  const n = bytes.length;
  for (let i = from; i < n && out.length < 8; i++) {
    if (bytes[i] === 0x1f && (i + 1 === n || (bytes[i + 1] === 0x8b && (i + 2 === n || bytes[i + 2] === 8)))) out.push(i);
  }
  let zeros = n;
  while (zeros > from && bytes[zeros - 1] === 0) zeros--;
  if (zeros < n) out.push(zeros);
  return out;
}

/**
 * `bytes` through a fresh DecompressionStream in one write: "exact" when it decodes and ends cleanly, "over" when
 * the decoder refuses the write (bytes past a member's end, on a runtime that stops there, or corrupt data), "under"
 * when it needs more (truncated). `output` is the decoded bytes after the first `skip`.
 */
async function decodeOnce(bytes: Uint8Array, skip: number): Promise<{ status: "exact" | "over" | "under"; output: Uint8Array }> {
  const kept: Uint8Array[] = [];
  let seen = 0;
  const inflater = new Inflater((chunk) => {
    if (seen + chunk.length > skip) kept.push(seen >= skip ? chunk : chunk.subarray(skip - seen));
    seen += chunk.length;
  });
  const status = !(await inflater.write(bytes)) ? "over" : !(await inflater.close()) ? "under" : "exact";
  return { status, output: concatBytes(kept) };
}

/** A gzip member holding `data` in one stored (uncompressed) deflate block: `data` must be under 64 KiB. */
export function storedMember(data: Uint8Array): Uint8Array {
  const n = data.length;
  const crc = crc32(data);
  return concatBytes([
    new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]),
    new Uint8Array([1, n & 0xff, n >>> 8, ~n & 0xff, (~n >>> 8) & 0xff]),
    data,
    new Uint8Array([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24, n & 0xff, (n >>> 8) & 0xff, 0, 0]),
  ]);
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
