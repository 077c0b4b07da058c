/**
 * A listing counted as it goes: the log objects and their bytes. When it is complete, the number of objects is
 * the run's expected total (progress: ledger.expected.objects); before that, `enough` tells whether the input
 * reaches a size (is it worth starting worker threads?) as soon as the listing shows it, without waiting for all
 * of it.
 *
 * ```ts
 * const listed = countListing(listDayObjects(s3, location, days), ledger, signal);
 * const input = await listed.enough(8 << 20);   // { bytes, objects } so far: at least 8 MiB, or all there is
 * ```
 */
import type { Ledger } from "../ledger.ts";

export interface Listed {
  /** Resolves when the listing has shown `bytes` of log objects, or has ended: what it counted by then. */
  enough(bytes: number): Promise<{ bytes: number; objects: number }>;
}

export function countListing(listing: AsyncIterable<{ kind: string; size: number }>, ledger: Ledger, signal?: AbortSignal): Listed {
  let bytes = 0;
  let objects = 0;
  let ended = false;
  const waiting: { bytes: number; resolve: (v: { bytes: number; objects: number }) => void }[] = [];
  const settle = () => {
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (ended || bytes >= waiting[i]!.bytes) waiting.splice(i, 1)[0]!.resolve({ bytes, objects });
    }
  };
  void (async () => {
    try {
      for await (const object of listing) {
        if (signal?.aborted) return;
        if (object.kind !== "log") continue;
        objects++;
        bytes += object.size;
        settle();
      }
      ledger.expected.objects = objects; // only a complete count: a partial one would make a wrong ETA
    } catch {
      // a listing that fails leaves the total unknown: the pipeline's own listing reports the error
    } finally {
      ended = true;
      settle();
    }
  })();
  return {
    enough(want) {
      return new Promise((resolve) => {
        waiting.push({ bytes: want, resolve });
        settle();
      });
    },
  };
}
