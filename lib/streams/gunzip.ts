/**
 * `gzip -d` for log objects: each object's body is decompressed as it is read. A body that does not start with
 * the gzip magic bytes is an error naming the object, unless the transport already decoded it (see
 * `LogObject.transportDecoded`). A corrupt or truncated gzip fails that object only.
 *
 * ```ts
 * objects.pipeThrough(gunzip()).pipeThrough(select(".Records[]"))
 * ```
 *
 * The decompressor is a parameter: the runtime's `DecompressionStream` by default (edge runtimes, Deno), with every
 * gzip member decoded the same everywhere (see gzip-members.ts), while a Node entry point can hand in zlib, which
 * is several times faster there and must decode the same (scripts/runtime/platform.ts).
 */
import { gunzipMembers } from "./gzip-members.ts";
import { ObjectError, message, wholeObject, type LogObject } from "./log-object.ts";
import { concatBytes } from "../bytes.ts";

export type Decompress = ((gzip: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>) & {
  /**
   * Inflates a whole small gzip body at once, when the decompressor can (Node's zlib can; DecompressionStream
   * cannot): the output, or undefined when it will not (too large, or not valid gzip: the stream then tells why).
   */
  whole?: (gzip: Uint8Array) => Uint8Array | undefined;
};

export const decompressionStream: Decompress = (gzip) => gzip.pipeThrough(gunzipMembers());

export function gunzip(options: { decompress?: Decompress } = {}): TransformStream<LogObject, LogObject> {
  const decompress = options.decompress ?? decompressionStream;
  return new TransformStream({
    transform(object, controller) {
      controller.enqueue(gunzipObject(object, decompress));
    },
  });
}

/**
 * The object with its body decompressed: inflated at once when its whole body is in memory and the decompressor
 * can (`bytes` then holds the output), streamed by `gunzipBody` otherwise (and for every error, so that errors
 * read the same either way).
 */
export function gunzipObject(object: LogObject, decompress: Decompress = decompressionStream): LogObject {
  const bytes = object.bytes;
  if (bytes && bytes.length >= 2) {
    const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
    if (!gzipped && object.transportDecoded) return wholeObject(object.name, bytes);
    const inflated = gzipped ? decompress.whole?.(bytes) : undefined;
    if (inflated) return wholeObject(object.name, inflated);
  }
  return { name: object.name, body: gunzipBody(object, decompress) };
}

/** The decompressed body of one object; errors name the object. */
export function gunzipBody(object: LogObject, decompress: Decompress = decompressionStream): ReadableStream<Uint8Array> {
  const reader = object.body.getReader();
  let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let passThrough = false;
  const fail = (reason: string) => new ObjectError(object.name, reason);
  return new ReadableStream<Uint8Array>({
    async start() {
      let head: Uint8Array = new Uint8Array(0);
      while (head.length < 2) {
        const { done, value } = await reader.read().catch((e) => Promise.reject(fail(message(e))));
        if (done) break;
        head = concatBytes([head, value]);
      }
      const gzipped = head[0] === 0x1f && head[1] === 0x8b;
      if (!gzipped && !object.transportDecoded) {
        await reader.cancel().catch(() => {});
        throw fail(head.length === 0 ? "empty object (expected gzip)" : "not gzip (no gzip magic bytes 1f 8b at the start)");
      }
      const rest = new ReadableStream<Uint8Array>({
        start(c) {
          if (head.length) c.enqueue(head);
        },
        async pull(c) {
          const { done, value } = await reader.read();
          if (done) c.close();
          else c.enqueue(value);
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      });
      if (gzipped) inner = decompress(rest).getReader();
      else {
        passThrough = true;
        inner = rest.getReader();
      }
    },
    async pull(controller) {
      try {
        const { done, value } = await inner!.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        throw passThrough ? fail(message(error)) : fail(`corrupt or truncated gzip (${message(error)})`);
      }
    },
    cancel(reason) {
      return inner ? inner.cancel(reason) : reader.cancel(reason);
    },
  });
}

/**
 * The inverse, for request bodies and re-compressing: gzip with CompressionStream. The bytes are written to it as
 * they are (a Blob of them would be one more copy of every bulk body, measured: 10-20 MB of peak RSS with ES_GZIP).
 */
export async function gzip(data: Uint8Array | string): Promise<Uint8Array> {
  const compress = new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
  const writer = compress.writable.getWriter();
  const written = Promise.all([writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data), writer.close()]);
  const [bytes] = await Promise.all([new Response(compress.readable).arrayBuffer(), written]);
  return new Uint8Array(bytes);
}
