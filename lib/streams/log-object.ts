import { message } from "../errors.ts";

/** One log file on its way through the pipeline: where it came from, and its bytes. */
export interface LogObject {
  /** `s3://bucket/key` or a file path: every error about this object names it. */
  name: string;
  body: ReadableStream<Uint8Array>;
  /**
   * The whole body, when the source already holds it (a small file read at once, or inflated at once): stages may
   * take it instead of reading `body`, with no stream hand-off per chunk. The same bytes as `body`.
   */
  bytes?: Uint8Array;
  /** The transport already undid a `Content-Encoding: gzip` (fetch does this for S3 objects CloudTrail wrote). */
  transportDecoded?: boolean;
}

/** An object whose body is in memory: `bytes`, and a `body` stream of them, made only if someone reads it. */
export function wholeObject(name: string, bytes: Uint8Array, transportDecoded?: boolean): LogObject {
  let body: ReadableStream<Uint8Array> | undefined;
  return {
    name,
    bytes,
    ...(transportDecoded === undefined ? {} : { transportDecoded }),
    get body() {
      return (body ??= new ReadableStream<Uint8Array>({
        start(controller) {
          if (bytes.length) controller.enqueue(bytes);
          controller.close();
        },
      }));
    },
  };
}

/** A problem with one object. The pipeline reports it, skips the object and goes on with the others. */
export class ObjectError extends Error {
  constructor(
    readonly object: string,
    readonly reason: string,
  ) {
    super(`${object}: ${reason}`);
  }
}

/** The whole body as text (UTF-8; invalid sequences become U+FFFD, as jq reads them). */
export async function readText(object: LogObject): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    for await (const chunk of iterate(object.body)) text += decoder.decode(chunk, { stream: true });
  } catch (error) {
    throw error instanceof ObjectError ? error : new ObjectError(object.name, message(error));
  }
  return text + decoder.decode();
}

export async function* iterate<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export { message } from "../errors.ts";
