/**
 * gunzip with zlib, streaming: the fast path for lib/streams/gunzip.ts (`Decompress`) under Node, and under Deno,
 * whose node:zlib is also faster than its DecompressionStream; memory stays bounded whatever the object's size.
 * Small objects (up to 512 KiB of gzip and 4 MiB of output, which is most CloudTrail files) are inflated in one
 * call, into one buffer sized from the gzip trailer: measured, that is faster than a trip to the thread pool per
 * object. Larger ones are inflated as they arrive by zlib on libuv's thread pool, so the main thread splits
 * records meanwhile, with backpressure. Output goes on in 16 KiB pieces: fewer bytes are held at any moment, so
 * fewer outlive a garbage collection (measured: 64 KiB pieces cost Deno 100 MB more RSS on a 1 GB object).
 * Concatenated gzip members are read as `gzip -d` reads them: every member, then only zero bytes. zlib stops at a
 * zero byte after a member and ignores the rest, so what it did not read must be all zeros: a member after the
 * padding, or other data, is an error, never silently dropped (as lib/streams/gzip-members.ts decides too).
 *
 * ```ts
 * import { zlibStream } from "./zlib-stream.ts";
 * gunzipBody(object, zlibStream)          // or: objects.pipeThrough(gunzip({ decompress: zlibStream }))
 * ```
 *
 * Errors read like platform.ts's: "unexpected end of file" for a truncated member, zlib's message otherwise.
 */
import { createGunzip, gunzipSync } from "node:zlib";
import type { Decompress } from "../../lib/streams/gunzip.ts";
import { concatBytes } from "../../lib/bytes.ts";

/** Inputs up to this size are inflated in one call… */
export const SYNC_INPUT_LIMIT = 1 << 19;
/** …as long as their output stays under this. */
export const SYNC_OUTPUT_LIMIT = 4 << 20;
const CHUNK = 1 << 14;

export const zlibStream: Decompress = (gzip: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
  const reader = gzip.getReader();
  let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let whole: Uint8Array | undefined;
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      async start() {
        // read up to the limit: if the input ends there, inflate it at once
        const head: Uint8Array[] = [];
        let size = 0;
        let ended = false;
        while (size <= SYNC_INPUT_LIMIT) {
          const { done, value } = await reader.read();
          if (done) {
            ended = true;
            break;
          }
          head.push(value);
          size += value.length;
        }
        if (ended) {
          const input = concatBytes(head);
          try {
            whole = inflate(input);
            return;
          } catch (error) {
            if ((error as { code?: string }).code !== "ERR_BUFFER_TOO_LARGE") throw zlibError(error);
          }
        }
        inner = inflating(head, ended ? undefined : reader).getReader();
      },
      async pull(controller) {
        if (whole) {
          if (offset >= whole.length) return controller.close();
          controller.enqueue(whole.subarray(offset, (offset += CHUNK)));
          return;
        }
        try {
          const { done, value } = await inner!.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          throw zlibError(error);
        }
      },
      async cancel(reason) {
        await (inner ?? reader).cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
};

/** A whole small body in one call (lib/streams/gunzip.ts's `gunzipObject`); errors are left to the stream, which words them. */
zlibStream.whole = (input: Uint8Array): Uint8Array | undefined => {
  if (input.length > SYNC_INPUT_LIMIT) return undefined;
  try {
    return inflate(input);
  } catch {
    return undefined;
  }
};

/** All at once, into one buffer sized from the gzip trailer's ISIZE (the last member's length; more if not all). */
function inflate(input: Uint8Array): Uint8Array {
  const isize = input.length >= 18 ? new DataView(input.buffer, input.byteOffset + input.length - 4, 4).getUint32(0, true) : 0;
  const { buffer: out, engine } = gunzipSync(input, { info: true, maxOutputLength: SYNC_OUTPUT_LIMIT, chunkSize: Math.min(SYNC_OUTPUT_LIMIT, Math.max(CHUNK, isize + 64)) }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  const end = engine.bytesWritten;
  const extra = input.subarray(end).findIndex((b) => b !== 0);
  if (extra >= 0) throw afterPadding(end, end + extra);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function afterPadding(end: number, at: number): Error {
  return new Error(`data after the gzip data at byte ${at}, past zero padding from byte ${end}`);
}

/** zlib on the thread pool over the bytes read so far and the rest of the input, `CHUNK` bytes at a time. */
function inflating(head: Uint8Array[], rest: ReadableStreamDefaultReader<Uint8Array> | undefined): ReadableStream<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: CHUNK });
  let failed: unknown;
  // where the last non-zero byte fed was: at the end, zlib must have read past it
  let fed = 0;
  let lastNonZero = -1;
  const feed = async () => {
    const write = async (chunk: Uint8Array) => {
      for (let i = chunk.length - 1; i >= 0; i--) {
        if (chunk[i] !== 0) {
          lastNonZero = fed + i;
          break;
        }
      }
      fed += chunk.length;
      if (!gunzip.write(chunk)) await new Promise<void>((resolve) => gunzip.once("drain", resolve));
    };
    try {
      for (const chunk of head) await write(chunk);
      for (;;) {
        const next = await rest?.read();
        if (!next || next.done) break;
        await write(next.value);
      }
      gunzip.end();
    } catch (error) {
      failed = error;
      gunzip.destroy(error as Error);
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        gunzip.on("data", (out: Uint8Array) => {
          controller.enqueue(new Uint8Array(out.buffer, out.byteOffset, out.length));
          if ((controller.desiredSize ?? 0) <= 0) gunzip.pause();
        });
        gunzip.on("end", () => {
          const end = gunzip.bytesWritten;
          if (lastNonZero >= end) controller.error(afterPadding(end, lastNonZero));
          else controller.close();
        });
        gunzip.on("error", (error) => controller.error(failed ?? error));
        gunzip.pause();
        void feed();
      },
      pull() {
        gunzip.resume();
      },
      async cancel(reason) {
        gunzip.destroy();
        await rest?.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 4 },
  );
}

function zlibError(error: unknown): Error {
  const code = (error as { code?: string }).code;
  return new Error(code === "Z_BUF_ERROR" ? "unexpected end of file" : (error as Error).message ?? String(error));
}
