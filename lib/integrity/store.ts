/**
 * Where integrity checks read digests and log files: S3 (over lib/aws/s3.ts), or objects in memory for tests and
 * offline runs. Reading a digest needs its S3 metadata (the signature is there), and a missing object is an
 * answer (`undefined`, S3's NoSuchKey), not an error: it is what a deleted log or digest looks like.
 *
 * ```ts
 * const store = s3Store(new S3({ credentials, region }));
 * const object = await store.get("my-trail-bucket", key); // { bytes, metadata: { signature: "…" } } or undefined
 * ```
 */
import { S3, S3Error, transportDecoded } from "../aws/s3.ts";

export interface StoredObject {
  bytes: Uint8Array;
  /** `x-amz-meta-*` headers, by name without the prefix, lower-case (`signature`, `signature-algorithm`). */
  metadata: Record<string, string>;
  /** The transport already undid a stored `Content-Encoding: gzip`: `bytes` are the content, not the gzip. */
  transportDecoded?: boolean;
}

export interface ObjectStore {
  /** The object, or undefined when there is no such key. Other failures throw. */
  get(bucket: string, key: string): Promise<StoredObject | undefined>;
  /** Keys under `prefix` in key order, after `startAfter` when given. */
  list(bucket: string, prefix: string, startAfter?: string): AsyncIterable<string>;
  /** The "folders" directly under `prefix` (ending in "/"). */
  folders(bucket: string, prefix: string): Promise<string[]>;
}

export function s3Store(s3: S3): ObjectStore {
  return {
    async get(bucket, key) {
      let response: Response;
      try {
        response = await s3.get(bucket, key);
      } catch (error) {
        if (error instanceof S3Error && (error.code === "NoSuchKey" || (error.status === 404 && error.code !== "NoSuchBucket"))) return undefined;
        throw error;
      }
      const metadata: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name.toLowerCase().startsWith("x-amz-meta-")) metadata[name.toLowerCase().slice("x-amz-meta-".length)] = value;
      });
      const decoded = transportDecoded(response);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return { bytes, metadata, transportDecoded: decoded };
    },
    async *list(bucket, prefix, startAfter) {
      for await (const object of s3.list(bucket, prefix, startAfter ? { startAfter } : {})) yield object.key;
    },
    folders: (bucket, prefix) => s3.folders(bucket, prefix),
  };
}

export interface MemoryObject {
  bucket: string;
  key: string;
  bytes: Uint8Array;
  metadata?: Record<string, string>;
}

/** A store over objects in memory (fixtures, tests). Keys are listed in S3's order (UTF-8 byte order). */
export function memoryStore(objects: Iterable<MemoryObject>): ObjectStore {
  const byBucket = new Map<string, Map<string, MemoryObject>>();
  for (const o of objects) {
    if (!byBucket.has(o.bucket)) byBucket.set(o.bucket, new Map());
    byBucket.get(o.bucket)!.set(o.key, o);
  }
  const sortedKeys = (bucket: string) => [...(byBucket.get(bucket)?.keys() ?? [])].sort(compareUtf8);
  return {
    async get(bucket, key) {
      const o = byBucket.get(bucket)?.get(key);
      return o && { bytes: o.bytes, metadata: { ...(o.metadata ?? {}) } };
    },
    async *list(bucket, prefix, startAfter) {
      for (const key of sortedKeys(bucket)) {
        if (key.startsWith(prefix) && (startAfter === undefined || compareUtf8(key, startAfter) > 0)) yield key;
      }
    },
    async folders(bucket, prefix) {
      const out = new Set<string>();
      for (const key of sortedKeys(bucket)) {
        if (!key.startsWith(prefix)) continue;
        const slash = key.indexOf("/", prefix.length);
        if (slash >= 0) out.add(key.slice(0, slash + 1));
      }
      return [...out];
    },
  };
}

/** S3 lists keys in the order of their UTF-8 bytes; for UTF-16 strings that differs above U+FFFF only. */
function compareUtf8(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(ea.length, eb.length); i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return ea.length - eb.length;
}
