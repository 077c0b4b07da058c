/**
 * Files as log objects whose bodies are read as they are consumed, 1 MiB at a time: a file of any size takes the
 * memory of a chunk. (platform.ts's `fileObjects` reads each file whole.) Reads are synchronous: on local files
 * they cost less than the hand-offs of asynchronous ones, and a chunk is all that is read at a time.
 *
 * ```ts
 * for await (const object of iterate(streamedFileObjects(["a.json.gz", "b.json.gz"]))) …
 * ```
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { LogObject } from "../../lib/streams/log-object.ts";

const CHUNK = 1 << 16;

export function streamedFileObjects(files: string[]): ReadableStream<LogObject> {
  let i = 0;
  return new ReadableStream<LogObject>(
    {
      pull(controller) {
        if (i >= files.length) return controller.close();
        const name = files[i++]!;
        controller.enqueue({ name, body: fileBody(name) });
      },
    },
    { highWaterMark: 0 },
  );
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
