/**
 * S3 event notifications carry object keys form-URL-encoded: `red flower.json.gz` arrives as
 * `red+flower.json.gz`, `:` as `%3A`, a real `+` as `%2B`. Forgetting to decode gives NoSuchKey.
 *
 * ```ts
 * decodeKey("AWSLogs/a+b%3Ac.json.gz"); // "AWSLogs/a b:c.json.gz"
 * encodeKey("AWSLogs/a b:c.json.gz");   // "AWSLogs/a+b%3Ac.json.gz" (how S3 writes it; enqueue.ts writes keys so)
 * ```
 */

export class KeyError extends Error {}

/** The key as stored in S3. A malformed escape (`%E0%A4%A`, `%zz`) throws a KeyError naming the key. */
export function decodeKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
  } catch {
    throw new KeyError(`object key ${JSON.stringify(encoded)} is not validly URL-encoded`);
  }
}

/** The key as S3 writes it into an event: form-URL-encoding, `/` kept, space as `+`. */
export function encodeKey(key: string): string {
  return key
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, "+"))
    .join("/");
}
