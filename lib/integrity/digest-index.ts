/**
 * What the digests of some days say about each log file, for `ingest --validate`: every digest in the days'
 * digest folders (and the next day's, where the last hour's digests land) is checked as validate-logs checks it
 * (lib/integrity/chain.ts), and each log file then gets one of four verdicts:
 *
 * | status     | when                                                                                           |
 * |------------|------------------------------------------------------------------------------------------------|
 * | `valid`    | a valid digest lists it with the SHA-256 of its content                                        |
 * | `invalid`  | listed with another hash; or not listed, delivered in the hour of a digest that is invalid or  |
 * |            | missing from the chain (the digest that should list it cannot be trusted or was deleted)       |
 * | `pending`  | not listed, and its hour's digest has not arrived yet (no digest of its account and region     |
 * |            | started after it, and it is younger than `settleAfterMs`)                                     |
 * | `unsigned` | not listed although its hour's digests are there: added later, or validation was off          |
 *
 * ```ts
 * const index = await DigestIndex.load({ store, keys, location: { bucket }, days: ["2024-03-04"] });
 * index.verdict("s3://bucket/AWSLogs/…/123456789012_CloudTrail_us-east-1_20240304T1005Z_x.json.gz", sha256Hex);
 * // { status: "valid", digest: "s3://bucket/AWSLogs/…/…_20240304T110031Z.json.gz" }
 * ```
 */
import { keyStamp, stampTime } from "../cloudtrail/digest.ts";
import { parseKey } from "../cloudtrail/layout.ts";
import { DigestChecker, NoPublicKeysError, type Trail } from "./chain.ts";
import type { PublicKeySource } from "./public-keys.ts";
import type { ObjectStore } from "./store.ts";
import { digestKeys, type TrailFilter } from "./trails.ts";

export type IntegrityStatus = "valid" | "invalid" | "pending" | "unsigned";

export interface Integrity {
  status: IntegrityStatus;
  /** Why it is invalid or unsigned. */
  reason?: string;
  /** The digest that lists it (or should), `s3://bucket/key`. */
  digest?: string;
}

export interface DigestIndexOptions {
  store: ObjectStore;
  keys: PublicKeySource;
  location: Omit<TrailFilter, "trail">;
  /** The delivery days of the logs (YYYY-MM-DD). */
  days: string[];
  /** Epoch ms; default now. */
  now?: number;
  /** A log not listed by any digest is pending until it is this old (unless later digests show it should be listed). Default 3 h. */
  settleAfterMs?: number;
  /** Digests checked at once. Default 8. */
  concurrency?: number;
}

interface Window {
  stream: string;
  from: number;
  to: number;
  digest: string;
  reason: string;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

export class DigestIndex {
  /** Invalid and missing digests, each named: a run that finds one has not been validated clean. */
  readonly problems: { subject: string; reason: string }[] = [];
  readonly counts = { valid: 0, invalid: 0, missing: 0 };
  readonly #listed = new Map<string, { hashValue: string; digest: string }[]>();
  readonly #untrusted: Window[] = [];
  /** Per account/region: the latest start of a digest there, epoch ms. */
  readonly #latest = new Map<string, number>();

  private constructor(
    readonly now: number,
    readonly settleAfterMs: number,
  ) {}

  static async load(options: DigestIndexOptions): Promise<DigestIndex> {
    if (!options.days.length) throw new TypeError("DigestIndex needs days");
    const index = new DigestIndex(options.now ?? Date.now(), options.settleAfterMs ?? 3 * HOUR);
    const days = [...options.days].sort();
    const lastDay = Date.parse(`${days.at(-1)}T00:00:00Z`);
    const folders = [...days, new Date(lastDay + 24 * HOUR).toISOString().slice(0, 10)];
    const range = { from: Date.parse(`${days[0]}T00:00:00Z`) - HOUR, to: lastDay + 26 * HOUR + 2 * HOUR };

    const found: { key: string; trail: Trail }[] = [];
    for await (const d of digestKeys(options.store, options.location, folders)) found.push(d);
    const present = new Set(found.map((d) => d.key));
    const checkers = new Map<string, Promise<DigestChecker | Error>>();
    const checkerFor = (trail: Trail) => {
      const id = `${trail.sourceRegion} ${trail.homeRegion}`;
      if (!checkers.has(id)) {
        const checker = new DigestChecker(options.keys, trail.sourceRegion, trail.homeRegion);
        checkers.set(id, checker.loadKeys(range.from, range.to).then(() => checker, (e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
      }
      return checkers.get(id)!;
    };

    const queue = [...found];
    const work = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await index.#check(options.store, next, await checkerFor(next.trail), present, folders);
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, work));
    return index;
  }

  async #check(store: ObjectStore, { key, trail }: { key: string; trail: Trail }, checker: DigestChecker | Error, present: Set<string>, folders: string[]): Promise<void> {
    const url = `s3://${trail.bucket}/${key}`;
    const stream = `${trail.account}/${trail.sourceRegion}`;
    const stamp = stampTime(keyStamp(key));
    const outcome = checker instanceof Error
      ? { type: "invalid" as const, reason: checker instanceof NoPublicKeysError ? checker.message : `public keys: ${checker.message}` }
      : await checker.check(store, trail.bucket, key);
    if (outcome.type === "valid") {
      this.counts.valid++;
      this.#later(stream, outcome.startTime);
      for (const f of outcome.logFiles) {
        const log = `s3://${f.s3Bucket}/${f.s3Object}`;
        if (!this.#listed.has(log)) this.#listed.set(log, []);
        this.#listed.get(log)!.push({ hashValue: f.hashValue, digest: url });
      }
      // the previous digest should be there if its day was listed
      const previous = outcome.digest.previousDigestS3Object;
      if (typeof previous === "string" && outcome.digest.previousDigestS3Bucket === trail.bucket && !present.has(previous)) {
        const previousStamp = stampTime(keyStamp(previous));
        const day = Number.isNaN(previousStamp) ? "" : new Date(previousStamp).toISOString().slice(0, 10);
        if (folders.includes(day)) {
          this.counts.missing++;
          const missing = `s3://${trail.bucket}/${previous}`;
          this.problems.push({ subject: missing, reason: `not found (${url} follows it)` });
          this.#untrusted.push({ stream, from: Math.max(previousStamp - HOUR, 0), to: previousStamp, digest: missing, reason: "is missing" });
        }
      }
      return;
    }
    if (outcome.type === "missing") return; // listed a moment ago, deleted since: the next run sees the gap
    this.counts.invalid++;
    this.problems.push({ subject: url, reason: outcome.reason });
    if (!Number.isNaN(stamp)) {
      this.#later(stream, stamp - HOUR);
      this.#untrusted.push({ stream, from: stamp - HOUR, to: stamp, digest: url, reason: `is INVALID: ${outcome.reason}` });
    }
  }

  #later(stream: string, start: number): void {
    if (start > (this.#latest.get(stream) ?? -Infinity)) this.#latest.set(stream, start);
  }

  /** The verdict on a log object (`s3://bucket/key`) whose content has this SHA-256. */
  verdict(object: string, sha256: string): Integrity {
    const entries = this.#listed.get(object);
    if (entries) {
      const match = entries.find((e) => e.hashValue === sha256);
      return match ? { status: "valid", digest: match.digest } : { status: "invalid", reason: "hash value doesn't match", digest: entries[0]!.digest };
    }
    const key = object.replace(/^s3:\/\/[^/]+\//, "");
    const parsed = parseKey(key);
    const delivered = deliveryTime(key);
    if (!parsed || parsed.kind !== "log" || Number.isNaN(delivered)) return { status: "unsigned", reason: "not a CloudTrail log file key, so no digest lists it" };
    const stream = `${parsed.account}/${parsed.region}`;
    // delivered within the minute of its key's stamp
    const window = this.#untrusted.find((w) => w.stream === stream && delivered < w.to && delivered + MINUTE > w.from);
    if (window) return { status: "invalid", reason: `not listed; the digest for its hour ${window.reason}`, digest: window.digest };
    const settled = (this.#latest.get(stream) ?? -Infinity) >= delivered + MINUTE || this.now >= delivered + this.settleAfterMs;
    return settled ? { status: "unsigned", reason: "no digest lists it" } : { status: "pending" };
  }
}

/** `…_20240304T1005Z_unique.json.gz` → epoch ms of 10:05; NaN when the key has no such stamp. */
export function deliveryTime(key: string): number {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) : NaN;
}
