/**
 * Files as log objects whose bodies are read as they are consumed, 64 KiB at a time: a file of any size takes the
 * memory of a chunk. A small file (up to 512 KiB: nearly every CloudTrail file) is read at once instead, into the
 * object's `bytes`, so that the stages take it whole, with no stream per file. Reads are synchronous: on local
 * files they cost less than the hand-offs of asynchronous ones, and a chunk (or a small file) is all that is read
 * at a time.
 *
 * ```ts
 * for await (const object of iterate(streamedFileObjects(["a.json.gz", "b.json.gz"]))) …
 * ```
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { wholeObject, type LogObject } from "../../lib/streams/log-object.ts";

const CHUNK = 1 << 16;
/** Files up to this size are read at once. */
export const WHOLE_FILE_LIMIT = 1 << 19;

export function streamedFileObjects(files: string[]): ReadableStream<LogObject> {
  let i = 0;
  return new ReadableStream<LogObject>(
    {
      pull(controller) {
        if (i >= files.length) return controller.close();
        const name = files[i++]!;
        controller.enqueue(smallFile(name) ?? { name, body: fileBody(name) });
      },
    },
    { highWaterMark: 0 },
  );
}

/** The small file as a whole object, or undefined: larger, or unreadable (`fileBody` then reports it, as for any file). */
function smallFile(path: string): LogObject | undefined {
  let fd = -1;
  try {
    fd = openSync(path, "r");
    const size = fstatSync(fd).size;
    if (size > WHOLE_FILE_LIMIT) return undefined;
    // one byte more than the size: a file that grew since is read by the stream instead
    const buffer = new Uint8Array(size + 1);
    let length = 0;
    for (let read; length < buffer.length && (read = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += read;
    return length > size ? undefined : wholeObject(path, buffer.subarray(0, length));
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** The file's bytes, read on demand; the file is open only while it is being read. */
export function fileBody(path: string): ReadableStream<Uint8Array> {
  let fd = -1;
  let left = 0;
  const release = () => {
    if (fd >= 0) closeSync(fd);
    fd = -1;
  };
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        try {
          if (fd < 0) {
            fd = openSync(path, "r");
            left = fstatSync(fd).size;
          }
          const buffer = new Uint8Array(Math.max(1, Math.min(left, CHUNK)));
          const bytesRead = left > 0 ? readSync(fd, buffer, 0, buffer.length, null) : 0;
          left -= bytesRead;
          if (bytesRead > 0) controller.enqueue(bytesRead < buffer.length ? buffer.subarray(0, bytesRead) : buffer);
          if (bytesRead === 0 || left <= 0) {
            release();
            controller.close();
          }
        } catch (error) {
          release();
          throw error;
        }
      },
      cancel: release,
    },
    { highWaterMark: 0 },
  );
}
