/**
 * Bytes to lines (`\n` or `\r\n`), like Deno std's TextLineStream: the last line needs no newline.
 *
 * ```ts
 * file.pipeThrough(new TextDecoderStream()).pipeThrough(lines())
 * ```
 */
export function lines(): TransformStream<string, string> {
  let partial = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const line of parts) controller.enqueue(line.endsWith("\r") ? line.slice(0, -1) : line);
    },
    flush(controller) {
      if (partial) controller.enqueue(partial.endsWith("\r") ? partial.slice(0, -1) : partial);
    },
  });
}
