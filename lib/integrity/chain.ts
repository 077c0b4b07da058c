/**
 * The walk through one trail's chain of digests, newest first, as `aws cloudtrail validate-logs` walks it
 * (awscli/customizations/cloudtrail/validation.py, DigestTraverser), so that both reach the same verdict on
 * every digest:
 *
 * 1. list the trail's digest keys dated [start, end + 1 h] (backfill digests are a second chain);
 * 2. from the newest, while the last valid digest started at or after `start`: load and check it (gzip and JSON,
 *    signature metadata, required fields, read where it says it was written, a known key, the signature), then
 *    follow `previousDigestS3Object`; a starting digest (previous null) continues with the next older listed
 *    key and reports a gap when there is one; a missing or invalid digest also continues with the next older key.
 *
 * Each digest yields one event; the caller checks the log files of a valid one before asking for the next.
 * Where the AWS CLI stops with an exception (an S3 error other than NoSuchKey, a key not dated like CloudTrail's
 * keys), the digest is reported invalid or skipped here and the walk goes on.
 *
 * ```ts
 * for await (const event of walkChain({ store, keys, trail, start, end })) {
 *   if (event.type === "valid") for (const log of event.logFiles) await checkLogFile(store, log);
 * }
 * ```
 */
import { asDigest, digestFolder, digestKeyAt, digestTime, displayTime, DigestFormatError, keyStamp, logFilesOf, parseDigestJson, stampTime, stringToSign, type Digest, type LogFileEntry } from "../cloudtrail/digest.ts";
import { base64Decode, sha256Hex } from "./bytes.ts";
import { firstGzipMember } from "./gzip-member.ts";
import type { PublicKeyRecord, PublicKeySource } from "./public-keys.ts";
import { importPublicKey, verifySignature, type RsaPublicKey } from "./signature.ts";
import type { ObjectStore } from "./store.ts";

/** One trail's digests in one source region (one chain per account for organization trails). */
export interface Trail {
  bucket: string;
  /** "" or ending in "/". */
  prefix: string;
  orgId?: string;
  account: string;
  sourceRegion: string;
  trailName: string;
  homeRegion: string;
}

export type ChainEvent =
  | { type: "valid"; bucket: string; key: string; digest: Digest; logFiles: LogFileEntry[]; startTime: number; endTime: number; backfill: boolean }
  | { type: "invalid"; bucket: string; key: string; reason: string; backfill: boolean }
  | { type: "missing"; bucket: string; key: string; backfill: boolean }
  | { type: "gap"; nextEnd: number; lastStart: number; backfill: boolean };

export interface WalkOptions {
  store: ObjectStore;
  keys: PublicKeySource;
  trail: Trail;
  /** Epoch ms, inclusive. */
  start: number;
  end: number;
  backfill?: boolean;
}

/** There are no public keys for the range at all: the AWS CLI stops there, and so does this chain. */
export class NoPublicKeysError extends Error {}

const HOUR = 3_600_000;

export async function* walkChain(options: WalkOptions): AsyncGenerator<ChainEvent> {
  const { store, trail, start, end } = options;
  const backfill = options.backfill ?? false;
  if (!(start <= end)) throw new RangeError("walkChain: start must not be after end");
  let bucket = trail.bucket;
  let digests = await listDigestKeys(store, { ...trail, bucket }, start, end, backfill);
  const checker = new DigestChecker(options.keys, trail.sourceRegion, trail.homeRegion);
  if (!backfill) await checker.loadKeys(start, end + 2 * HOUR);

  let [key, endDate] = lastDigest(digests);
  let lastStart = endDate;
  while (key !== undefined && start <= lastStart) {
    const outcome = await checker.check(store, bucket, key, backfill);
    if (outcome.type === "valid") {
      lastStart = outcome.startTime;
      endDate = outcome.endTime;
      yield outcome;
      const previousBucket = outcome.digest.previousDigestS3Bucket;
      const previousKey = outcome.digest.previousDigestS3Object;
      if (previousBucket === null || previousBucket === undefined || previousKey === null || previousKey === undefined) {
        const before = key;
        [key, endDate] = lastDigest(digests, before);
        if (key !== undefined) yield { type: "gap", nextEnd: endDate, lastStart, backfill };
      } else {
        key = String(previousKey);
        if (String(previousBucket) !== bucket) {
          bucket = String(previousBucket);
          digests = await listDigestKeys(store, { ...trail, bucket }, start, endDate, backfill);
        }
      }
    } else {
      yield outcome.type === "missing" ? { type: "missing", bucket, key, backfill } : { type: "invalid", bucket, key, reason: outcome.reason, backfill };
      [key, endDate] = lastDigest(digests, key);
    }
  }
}

/** The trail's digest keys dated [start, end + 1 h], oldest first, standard or backfill. */
export async function listDigestKeys(store: ObjectStore, trail: Trail, start: number, end: number, backfill: boolean): Promise<string[]> {
  const marker = digestKeyAt(trail, start - 60_000);
  const pattern = keyPattern(trail);
  const from = formatStampOf(start);
  const to = formatStampOf(end + HOUR);
  const keys: string[] = [];
  for await (const key of store.list(trail.bucket, digestFolder(trail), marker)) {
    if (!pattern.test(key)) continue;
    const stamp = keyStamp(key);
    if (Number.isNaN(stampTime(stamp))) continue; // not dated as CloudTrail dates digests (the AWS CLI would crash on it)
    if (stamp > to) break; // key order is date order within a trail's folder
    if (stamp < from) continue;
    if (key.endsWith("_backfill.json.gz") === backfill) keys.push(key);
  }
  return keys;
}

export type DigestOutcome = Extract<ChainEvent, { type: "valid" }> | { type: "invalid"; reason: string } | { type: "missing" };

/**
 * One digest's checks, in the AWS CLI's order, with the public keys it has loaded: `loadKeys` for a standard
 * range first (NoPublicKeysError when there are none); backfill digests load theirs around their generation time.
 */
export class DigestChecker {
  readonly #ring: KeyRing;

  constructor(
    keys: PublicKeySource,
    sourceRegion: string,
    private readonly homeRegion: string,
  ) {
    this.#ring = new KeyRing(keys, sourceRegion);
  }

  loadKeys(from: number, to: number): Promise<void> {
    return this.#ring.load(from, to);
  }

  check(store: ObjectStore, bucket: string, key: string, backfill = key.endsWith("_backfill.json.gz")): Promise<DigestOutcome> {
    return loadAndCheck(store, this.#ring, this.homeRegion, bucket, key, backfill);
  }
}

async function loadAndCheck(store: ObjectStore, ring: KeyRing, homeRegion: string, bucket: string, key: string, backfill: boolean): Promise<DigestOutcome> {
  const invalid = (reason: string): DigestOutcome => ({ type: "invalid", reason });
  let object;
  try {
    object = await store.get(bucket, key);
  } catch (error) {
    return invalid(error instanceof Error ? error.message : String(error));
  }
  if (!object) return { type: "missing" };

  // the AWS CLI's order: gzip and JSON, the signature metadata, the backfill timestamp, the required fields
  let content: Uint8Array;
  let json: unknown;
  try {
    content = gunzipWhole(object.bytes, object.transportDecoded);
    json = parseDigestJson(content);
  } catch {
    return invalid("invalid format");
  }
  const signature = object.metadata.signature;
  if (signature === undefined || object.metadata["signature-algorithm"] === undefined) return invalid("signature verification failed");
  const backfillStamp = object.metadata["backfill-generation-timestamp"];
  if (key.endsWith("_backfill.json.gz") && backfillStamp === undefined) return invalid("invalid format");
  let digest: Digest;
  try {
    digest = asDigest(json);
  } catch {
    return invalid("invalid format");
  }
  if (digest.digestS3Bucket !== bucket || digest.digestS3Object !== key) return invalid("has been moved from its original location");

  const fingerprint = String(digest.digestPublicKeyFingerprint);
  try {
    if (!ring.has(fingerprint) && backfill) {
      const backfillTime = digestTime(backfillStamp);
      if (Number.isNaN(backfillTime)) return invalid(`Unable to parse date value: ${backfillStamp}`);
      await ring.load(backfillTime - HOUR, backfillTime + HOUR);
    }
  } catch (error) {
    return invalid(error instanceof Error ? error.message : String(error));
  }
  if (!ring.has(fingerprint)) return invalid(`public key not found in region ${homeRegion} for fingerprint ${fingerprint}`);
  const publicKey = await ring.key(fingerprint);
  if (!publicKey) return invalid(`Unable to load PKCS #1 key with fingerprint ${fingerprint}`);
  const signed = stringToSign(digest, await sha256Hex(content));
  if (!(await verifySignature(publicKey, signature, signed))) return invalid("signature verification failed");

  const endTime = digestTime(digest.digestEndTime);
  if (Number.isNaN(endTime)) return invalid(`Unable to parse date value: ${String(digest.digestEndTime)}`);
  const startTime = digestTime(digest.digestStartTime);
  if (Number.isNaN(startTime)) return invalid(`Unable to parse date value: ${String(digest.digestStartTime)}`);
  let logFiles: LogFileEntry[];
  try {
    logFiles = logFilesOf(digest);
  } catch (error) {
    return invalid(error instanceof DigestFormatError ? "invalid format" : String(error));
  }
  return { type: "valid", bucket, key, digest, logFiles, startTime, endTime, backfill };
}

/**
 * The whole content of a digest, as the AWS CLI's `zlib.decompress` reads it: one complete gzip member (bytes
 * after it are ignored there, and so here). Throws when it is not complete gzip.
 */
function gunzipWhole(bytes: Uint8Array, transportDecoded: boolean | undefined): Uint8Array {
  if (transportDecoded && !(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  const member = firstGzipMember(bytes);
  if (!member.complete) throw new DigestFormatError("incomplete or truncated gzip");
  return member.content;
}

/**
 * The public keys a chain has loaded, by fingerprint, and the imported keys. Loading a range that has no keys
 * at all is NoPublicKeysError, as in the AWS CLI.
 */
class KeyRing {
  readonly #records = new Map<string, PublicKeyRecord>();
  readonly #imported = new Map<string, Promise<RsaPublicKey | undefined>>();

  constructor(
    private readonly source: PublicKeySource,
    private readonly region: string,
  ) {}

  async load(from: number, to: number): Promise<void> {
    const records = await this.source.list(this.region, from, to);
    if (!records.length) throw new NoPublicKeysError(`No public keys found between ${displayTime(from)} and ${displayTime(to)}`);
    for (const r of records) this.#records.set(r.fingerprint, r);
  }

  has(fingerprint: string): boolean {
    return this.#records.has(fingerprint);
  }

  key(fingerprint: string): Promise<RsaPublicKey | undefined> {
    const record = this.#records.get(fingerprint)!;
    const id = `${fingerprint} ${record.value}`;
    let imported = this.#imported.get(id);
    if (!imported) {
      imported = (async () => {
        try {
          return await importPublicKey(base64Decode(record.value));
        } catch {
          return undefined;
        }
      })();
      this.#imported.set(id, imported);
    }
    return imported;
  }
}

/** The newest key (or the newest dated before `before`), taken off the list, with its date. */
function lastDigest(digests: string[], before?: string): [string | undefined, number] {
  if (before === undefined) {
    const key = digests.pop();
    return key === undefined ? [undefined, NaN] : [key, stampTime(keyStamp(key))];
  }
  const limit = stampTime(keyStamp(before));
  while (digests.length) {
    const key = digests.pop()!;
    const date = stampTime(keyStamp(key));
    if (date < limit) return [key, date];
  }
  return [undefined, NaN];
}

/** The AWS CLI's filter: the trail's account, source region, name and home region, any date, backfill or not. */
function keyPattern(trail: Trail): RegExp {
  const e = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  const org = trail.orgId ? `${e(trail.orgId)}/` : "";
  return new RegExp(
    `^${e(trail.prefix)}AWSLogs/${org}${e(trail.account)}/CloudTrail-Digest/${e(trail.sourceRegion)}/\\d+/\\d+/\\d+/` +
      `${e(trail.account)}_CloudTrail-Digest_${e(trail.sourceRegion)}_${e(trail.trailName)}_${e(trail.homeRegion)}_.+\\.json\\.gz$`,
    "s",
  );
}

function formatStampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
