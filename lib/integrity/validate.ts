/**
 * `aws cloudtrail validate-logs` for one trail chain: the digests newest first, each valid digest's log files
 * right after it, then the backfill chain the same way; every verdict goes to the report, in the CLI's order.
 *
 * ```ts
 * const report = new ValidationReport({ trailArn: trailArn(trail), start, end, write });
 * report.header();
 * await validateTrail({ store, keys, trail, start, end }, report);
 * report.summary();
 * ```
 */
import { walkChain, type Trail, type WalkOptions } from "./chain.ts";
import { checkLogFile } from "./log-file.ts";
import type { ValidationReport } from "./report.ts";

export interface ValidateOptions extends Omit<WalkOptions, "backfill"> {
  /** Log files of a digest fetched at once. Default 8. */
  concurrency?: number;
}

/** Walks both chains into the report. A range without public keys throws NoPublicKeysError (the CLI stops too). */
export async function validateTrail(options: ValidateOptions, report: ValidationReport): Promise<void> {
  for (const backfill of [false, true]) {
    for await (const event of walkChain({ ...options, backfill })) {
      switch (event.type) {
        case "valid": {
          report.digestValid(event.bucket, event.key, event.startTime, event.endTime, backfill);
          // fetched a few at a time, reported in the digest's order
          const verdicts = await inOrder(event.logFiles, options.concurrency ?? 8, (log) => checkLogFile(options.store, log));
          event.logFiles.forEach((log, i) => {
            const verdict = verdicts[i]!;
            if (verdict.valid) report.logValid(log.s3Bucket, log.s3Object);
            else report.logInvalid(log.s3Bucket, log.s3Object, verdict.reason);
          });
          break;
        }
        case "invalid":
          report.digestInvalid(event.bucket, event.key, event.reason, backfill);
          break;
        case "missing":
          report.digestInvalid(event.bucket, event.key, "not found", backfill);
          break;
        case "gap":
          report.gap(event.nextEnd, event.lastStart, backfill);
          break;
      }
    }
  }
}

/** `arn:aws:cloudtrail:<home region>:<account>:trail/<name>` (aws-cn and aws-us-gov by region). */
export function trailArn(trail: Pick<Trail, "homeRegion" | "account" | "trailName">): string {
  const partition = trail.homeRegion.startsWith("cn-") ? "aws-cn" : trail.homeRegion.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return `arn:${partition}:cloudtrail:${trail.homeRegion}:${trail.account}:trail/${trail.trailName}`;
}

/** `arn:aws:cloudtrail:us-east-1:123456789012:trail/name` → its home region, account and name; undefined if not one. */
export function parseTrailArn(arn: string): { homeRegion: string; account: string; trailName: string } | undefined {
  const m = /^arn:[a-z-]+:cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/.exec(arn);
  return m ? { homeRegion: m[1]!, account: m[2]!, trailName: m[3]!.split("/").pop()! } : undefined;
}

/** `f` over the items, at most `limit` at a time; the results in the items' order. */
async function inOrder<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await f(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
