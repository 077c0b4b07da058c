/**
 * CloudTrail digest files: their keys, their JSON, and the string CloudTrail signs.
 *
 *   [<prefix>/]AWSLogs/[<o-orgid>/]<account>/CloudTrail-Digest/<source region>/YYYY/MM/DD/
 *     <account>_CloudTrail-Digest_<source region>_<trail name>_<home region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz
 *
 * One digest per hour per trail, account and source region lists the SHA-256 of every log file delivered in
 * its window and points to the previous digest. Its signature is not in the file but in the object's S3
 * metadata (`x-amz-meta-signature`, hex), over `stringToSign` below, exactly as the AWS CLI builds it.
 *
 * ```ts
 * const key = parseDigestKey("AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/03/04/…_20240304T110000Z.json.gz");
 * const digest = parseDigest(gunzippedBytes); // throws DigestFormatError
 * const signed = stringToSign(digest, await sha256Hex(gunzippedBytes));
 * ```
 */

export class DigestFormatError extends Error {}

export interface DigestKey {
  key: string;
  /** Key prefix before `AWSLogs/` ("" or ending in "/"). */
  prefix: string;
  orgId: string | undefined;
  account: string;
  sourceRegion: string;
  trailName: string;
  homeRegion: string;
  /** `YYYYMMDDTHHMMSSZ`, the digest's end time as its name gives it. */
  stamp: string;
  backfill: boolean;
}

const KEY =
  /^(.*?)AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail-Digest\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/\3_CloudTrail-Digest_\4_(.+)_([a-z]{2}(?:-[a-z]+)+-\d{1,2})_(\d{8}T\d{6}Z)(_backfill)?\.json\.gz$/;

/** What a digest key says; undefined for anything that is not a digest key. */
export function parseDigestKey(key: string): DigestKey | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  return {
    key,
    prefix: m[1]!,
    orgId: m[2] || undefined,
    account: m[3]!,
    sourceRegion: m[4]!,
    trailName: m[8]!,
    homeRegion: m[9]!,
    stamp: m[10]!,
    backfill: Boolean(m[11]),
  };
}

/** The date part of a digest key as the AWS CLI cuts it (`key[-24:-8]`, backfill `key[-33:-17]`). */
export function keyStamp(key: string): string {
  return key.endsWith("_backfill.json.gz") ? key.slice(-33, -17) : key.slice(-24, -8);
}

/** `20240304T110000Z` → epoch ms; NaN when it is not such a stamp. */
export function stampTime(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

/** epoch ms → `20240304T110000Z` */
export function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** The folder-and-name of a trail's digests: `[prefix/]AWSLogs/[org/]<account>/CloudTrail-Digest/<source region>` */
export function digestFolder(trail: { prefix: string; orgId?: string; account: string; sourceRegion: string }): string {
  return `${trail.prefix}AWSLogs/${trail.orgId ? `${trail.orgId}/` : ""}${trail.account}/CloudTrail-Digest/${trail.sourceRegion}`;
}

/** The key a digest ending at `ms` would have (the AWS CLI lists from the one for start − 1 minute). */
export function digestKeyAt(trail: { prefix: string; orgId?: string; account: string; sourceRegion: string; trailName: string; homeRegion: string }, ms: number): string {
  const stamp = formatStamp(ms);
  const ymd = `${stamp.slice(0, 4)}/${stamp.slice(4, 6)}/${stamp.slice(6, 8)}`;
  return `${digestFolder(trail)}/${ymd}/${trail.account}_CloudTrail-Digest_${trail.sourceRegion}_${trail.trailName}_${trail.homeRegion}_${stamp}.json.gz`;
}

export interface LogFileEntry {
  s3Bucket: string;
  s3Object: string;
  hashValue: string;
  hashAlgorithm?: string;
  oldestEventTime?: string | null;
  newestEventTime?: string | null;
}

/**
 * A digest as the AWS CLI needs it before checking its signature: the six required fields, with the rest of the
 * JSON kept as it is (`logFiles` is only trusted once the signature holds, see `logFilesOf`).
 */
export interface Digest {
  digestPublicKeyFingerprint: unknown;
  digestS3Bucket: unknown;
  digestS3Object: unknown;
  previousDigestSignature: unknown;
  digestEndTime: unknown;
  digestStartTime: unknown;
  previousDigestS3Bucket?: unknown;
  previousDigestS3Object?: unknown;
  logFiles?: unknown;
  [field: string]: unknown;
}

export const REQUIRED_FIELDS = ["digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object", "previousDigestSignature", "digestEndTime", "digestStartTime"] as const;

/** The digest's JSON from its gunzipped bytes: strict UTF-8 (a BOM is not JSON). Throws DigestFormatError. */
export function parseDigestJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (error) {
    throw new DigestFormatError(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** A digest is a JSON object with the six fields the AWS CLI requires; DigestFormatError otherwise. */
export function asDigest(value: unknown): Digest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DigestFormatError("not a JSON object");
  const missing = REQUIRED_FIELDS.filter((f) => !Object.hasOwn(value, f));
  if (missing.length) throw new DigestFormatError(`missing ${missing.join(", ")}`);
  return value as Digest;
}

/** `parseDigestJson` and `asDigest` in one. */
export function parseDigest(bytes: Uint8Array): Digest {
  return asDigest(parseDigestJson(bytes));
}

/**
 * `digestEndTime \n digestS3Bucket/digestS3Object \n sha256(gunzipped digest) \n previousDigestSignature`, with
 * `null` for a starting digest (the AWS CLI: "to match the Java implementation"); no trailing newline.
 */
export function stringToSign(digest: Digest, gunzippedSha256Hex: string): string {
  const previous = digest.previousDigestSignature ?? "null";
  return `${text(digest.digestEndTime)}\n${text(digest.digestS3Bucket)}/${text(digest.digestS3Object)}\n${gunzippedSha256Hex}\n${text(previous)}`;
}

/** The listed log files of a digest whose signature holds; DigestFormatError when they are not well-formed. */
export function logFilesOf(digest: Digest): LogFileEntry[] {
  const files = digest.logFiles;
  if (!Array.isArray(files)) throw new DigestFormatError("logFiles is not an array");
  files.forEach((f, i) => {
    const ok = typeof f === "object" && f !== null && typeof f.s3Bucket === "string" && typeof f.s3Object === "string" && typeof f.hashValue === "string";
    if (!ok) throw new DigestFormatError(`logFiles[${i}] lacks s3Bucket, s3Object or hashValue`);
  });
  return files as LogFileEntry[];
}

/** A digest time (`2024-03-04T11:00:00Z`) → epoch ms, reading the wall clock as UTC as the AWS CLI does; NaN if unreadable. */
export function digestTime(value: unknown): number {
  if (typeof value !== "string") return NaN;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return NaN;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  return new Date(ms).getUTCDate() === +m[3]! ? ms : NaN;
}

/** epoch ms → `2024-03-04T11:00:00Z`, the AWS CLI's display format. */
export function displayTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Strings as they are, anything else as JSON would show it (the signature covers only what CloudTrail wrote). */
function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}
