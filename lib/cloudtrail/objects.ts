/**
 * The blog's `aws s3 cp --recursive`, as a stream of log objects: lists the CloudTrail objects of some days with
 * ListObjectsV2, only under the day folders it needs, and fetches the logs among them.
 *
 * ```ts
 * s3Objects(s3, { bucket: "my-trail-bucket" }, ["2013-12-07"], { ledger })
 *   .pipeThrough(gunzip()).pipeThrough(select(".Records[]"))
 * ```
 *
 * Accounts and regions are taken as given or discovered from the folders (`AWSLogs/<account>/CloudTrail/<region>/`),
 * including organization trails (`AWSLogs/o-…/<account>/`). Digest and Insights objects in the same days are
 * counted and skipped.
 */
import { S3, transportDecoded, type S3Object } from "../aws/s3.ts";
import type { Ledger } from "../ledger.ts";
import type { LogObject } from "../streams/log-object.ts";
import { dayFolder, kindOf, logsRoot, type ObjectKind } from "./layout.ts";

export interface TrailLocation {
  bucket: string;
  /** Key prefix before `AWSLogs/` (CLOUDTRAIL_PREFIX). */
  prefix?: string;
  /** Organization id for organization trails (CLOUDTRAIL_ORG_ID); discovered when absent. */
  orgId?: string;
  /** Accounts to read (CLOUDTRAIL_ACCOUNTS); discovered when absent. */
  accounts?: string[];
  /** Regions to read (CLOUDTRAIL_REGIONS); discovered when absent. */
  regions?: string[];
}

export interface ListedObject extends S3Object {
  kind: ObjectKind;
}

const FOLDERS = ["CloudTrail", "CloudTrail-Digest", "CloudTrail-Insight"] as const;

/** Every object in the day folders of the location, logs first per account and region, then digests and insights. */
export async function* listDayObjects(s3: S3, location: TrailLocation, days: string[]): AsyncGenerator<ListedObject> {
  for (const root of await roots(s3, location)) {
    const accounts = location.accounts?.length ? location.accounts : accountsIn(await s3.folders(location.bucket, root), root);
    const everythingGiven = Boolean(location.accounts?.length && location.regions?.length);
    for (const account of accounts) {
      const accountRoot = `${root}${account}/`;
      // with accounts and regions given, list the day folders directly; otherwise look which folders exist
      const folders = everythingGiven ? FOLDERS : await presentFolders(s3, location.bucket, accountRoot);
      for (const folder of folders) {
        const regions = location.regions?.length
          ? location.regions
          : names(await s3.folders(location.bucket, `${accountRoot}${folder}/`), `${accountRoot}${folder}/`);
        for (const region of regions) {
          for (const day of days) {
            for await (const object of s3.list(location.bucket, dayFolder(root, account, region, day, folder))) {
              yield { ...object, kind: kindOf(object.key) };
            }
          }
        }
      }
    }
  }
}

/** Which of CloudTrail/, CloudTrail-Digest/ and CloudTrail-Insight/ an account's folder holds. */
async function presentFolders(s3: S3, bucket: string, accountRoot: string): Promise<readonly (typeof FOLDERS)[number][]> {
  const children = names(await s3.folders(bucket, accountRoot), accountRoot);
  return FOLDERS.filter((f) => children.includes(f));
}

/** `AWSLogs/` and, for organization trails, `AWSLogs/o-…/`. */
async function roots(s3: S3, location: TrailLocation): Promise<string[]> {
  if (location.orgId) return [logsRoot(location.prefix ?? "", location.orgId)];
  const base = logsRoot(location.prefix ?? "");
  const children = names(await s3.folders(location.bucket, base), base);
  const out: string[] = [];
  if (location.accounts?.length || children.some((c) => /^\d{12}$/.test(c))) out.push(base);
  for (const org of children.filter((c) => /^o-[a-z0-9]{10,32}$/.test(c))) out.push(`${base}${org}/`);
  return out;
}

function accountsIn(folders: string[], root: string): string[] {
  return names(folders, root).filter((name) => /^\d{12}$/.test(name));
}

/** `["AWSLogs/1234/", …]` under `AWSLogs/` → `["1234", …]` */
function names(folders: string[], parent: string): string[] {
  return folders.map((p) => p.slice(parent.length).replace(/\/$/, ""));
}

export interface S3ObjectsOptions {
  ledger: Ledger;
  /** GetObject requests started ahead of the consumer. Default 8. */
  prefetch?: number;
  /** Called for each listed object that is skipped (digest, insight, other). */
  onSkip?: (object: ListedObject) => void;
}

/** The log objects of the days, fetched a few ahead; skipped kinds are counted in the ledger. */
export function s3Objects(s3: S3, location: TrailLocation, days: string[], options: S3ObjectsOptions): ReadableStream<LogObject> {
  const { ledger } = options;
  const listing = listDayObjects(s3, location, days);
  const queue: Promise<LogObject | undefined>[] = [];
  let exhausted = false;
  const prefetch = Math.max(1, options.prefetch ?? 8);

  const fill = async () => {
    while (!exhausted && queue.length < prefetch) {
      const next = await listing.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const object = next.value;
      ledger.objects.listed++;
      if (object.kind !== "log") {
        ledger.objects.skipped[object.kind]++;
        options.onSkip?.(object);
        continue;
      }
      const name = `s3://${location.bucket}/${object.key}`;
      queue.push(
        s3.get(location.bucket, object.key).then(
          (response) => ({ name, body: bodyOf(response), transportDecoded: transportDecoded(response) }),
          (error: unknown) => {
            ledger.objectFailed(name, error instanceof Error ? error.message : String(error));
            return undefined;
          },
        ),
      );
    }
  };

  return new ReadableStream<LogObject>(
    {
      async pull(controller) {
        for (;;) {
          await fill();
          const next = queue.shift();
          if (!next) {
            controller.close();
            return;
          }
          const object = await next;
          if (object) {
            controller.enqueue(object);
            return;
          }
        }
      },
      async cancel() {
        await listing.return(undefined);
        for (const pending of queue) void pending.then((o) => o?.body.cancel());
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The response's body, holding on to the response: undici cancels the body of a Response that is garbage
 * collected, and prefetched objects wait a while before they are read.
 */
function bodyOf(response: Response): ReadableStream<Uint8Array> {
  if (!response.body) return new Blob([]).stream();
  const reader = response.body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
      void response;
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
