/**
 * Totals for progress: how many log objects a run will read, and how many bytes of its inputs have gone by.
 *
 * ```ts
 * // beside the pipeline, a second listing of the same days counts the log objects (ListObjectsV2 is cheap:
 * // 1,000 keys a request), so that the live line has a total and an ETA long before the pipeline has listed all
 * void expectObjects(listDayObjects(s3, location, days), ledger);
 * // bytes of NDJSON files as they are read, against the files' sizes
 * ledger.expected.bytes = totalSize;
 * fileStream(path).pipeThrough(countBytes(ledger));
 * ```
 */
import type { Ledger } from "../ledger.ts";

/**
 * Counts the log objects of a listing into `ledger.expected.objects`, once it is complete (a partial count
 * would make a wrong ETA). Objects of other kinds (digest, insight) are not read, so not counted. A listing
 * that fails leaves the total unknown: the pipeline's own listing reports the error.
 */
export async function expectObjects(listing: AsyncIterable<{ kind: string }>, ledger: Ledger, signal?: AbortSignal): Promise<number | undefined> {
  let n = 0;
  try {
    for await (const object of listing) {
      if (signal?.aborted) return undefined;
      if (object.kind === "log") n++;
    }
  } catch {
    return undefined;
  }
  ledger.expected.objects = n;
  return n;
}

/** Passes bytes through, adding their count to `ledger.bytes.read`; at the end counts one object read. */
export function countBytes(ledger: Ledger): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      ledger.bytes.read += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      ledger.objects.read++;
    },
  });
}
