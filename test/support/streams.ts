/** Small stream helpers for unit tests. */

/** A ReadableStream of the given items, pulled one at a time. */
export function streamOf<T>(items: T[]): ReadableStream<T> {
  let i = 0;
  return new ReadableStream<T>({
    pull(controller) {
      if (i < items.length) controller.enqueue(items[i++]!);
      else controller.close();
    },
  });
}
