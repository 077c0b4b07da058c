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
 *
 * Fetching ahead, with bounded memory and no idle sockets. A GET whose body waits unread keeps a connection open
 * that a server closes after a while, so the old "start 8 GETs ahead" lost objects behind a slow engine. Now:
 * - an object of at most `wholeObjectBytes` (8 MiB, as listed) is read whole into memory ahead of the consumer, up
 *   to `prefetch` (8) objects and `prefetchBytes` (64 MiB) in all; its connection closes as soon as it is read. Its
 *   bytes leave the budget when the consumer has read them;
 * - a bigger object is only listed ahead: its GET starts when the consumer reaches it, and it streams at the
 *   consumer's pace, so a 1 GB object is never held whole;
 * - every body resumes after a reset, a stall or a closed connection (lib/aws/download.ts: Range from the byte
 *   reached, If-Match its ETag), which also covers a big object whose connection idles while the consumer is busy,
 *   and an object that turns out bigger than listed while prefetched (buffering stops, the connection is closed,
 *   the rest is fetched when read).
 */
import { S3, S3Error, type S3Object } from "../aws/s3.ts";
import { openObject, type DownloadOptions } from "../aws/download.ts";
import type { Ledger } from "../ledger.ts";
import { ObjectError, wholeObject, type LogObject } from "../streams/log-object.ts";
import { concatBytes } from "../bytes.ts";
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
  /** Objects fetched (or, when big, listed) ahead of the consumer. Default 8. */
  prefetch?: number;
  /** Bytes all prefetched objects may hold in memory together. Default 64 MiB. */
  prefetchBytes?: number;
  /** Objects up to this size are prefetched whole; bigger ones start when the consumer reaches them. Default 8 MiB. */
  wholeObjectBytes?: number;
  /** Resuming broken downloads (see lib/aws/download.ts). */
  download?: DownloadOptions;
  /** Called for each listed object that is skipped (digest, insight, other). */
  onSkip?: (object: ListedObject) => void;
}

/**
 * The log objects of the days, in listing order; skipped kinds are counted in the ledger, objects that cannot be
 * fetched are failed in it with the reason. Small objects are fetched whole ahead, big ones when reached (see the
 * top of this file).
 */
export function s3Objects(s3: S3, location: TrailLocation, days: string[], options: S3ObjectsOptions): ReadableStream<LogObject> {
  const { ledger } = options;
  const prefetch = Math.max(1, options.prefetch ?? 8);
  const budget = Math.max(1, options.prefetchBytes ?? 64 * 1024 * 1024);
  const wholeLimit = Math.min(budget, options.wholeObjectBytes ?? 8 * 1024 * 1024);
  const listing = listDayObjects(s3, location, days);
  const queue: Entry[] = [];
  let held: ListedObject | undefined;
  let exhausted = false;
  let reserved = 0;
  const release = (entry: Entry) => {
    reserved -= entry.reserved;
    entry.reserved = 0;
  };

  const nextLog = async (): Promise<ListedObject | undefined> => {
    if (held) {
      const object = held;
      held = undefined;
      return object;
    }
    while (!exhausted) {
      const next = await listing.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const object = next.value;
      ledger.objects.listed++;
      if (object.kind === "log") return object;
      ledger.objects.skipped[object.kind]++;
      options.onSkip?.(object);
    }
    return undefined;
  };

  const fill = async () => {
    while (queue.length < prefetch) {
      const object = await nextLog();
      if (!object) return;
      const name = `s3://${location.bucket}/${object.key}`;
      if (object.size > wholeLimit) {
        queue.push({ name, object, reserved: 0 });
        continue;
      }
      if (reserved > 0 && reserved + object.size > budget) {
        held = object; // wait until the consumer has read what is held
        return;
      }
      const entry: Entry = { name, object, reserved: object.size };
      reserved += object.size;
      entry.ready = readWhole(s3, location.bucket, object, wholeLimit, options.download, () => release(entry)).catch((error: unknown) => {
        release(entry);
        ledger.objectFailed(name, reasonOf(error));
        return undefined;
      });
      queue.push(entry);
    }
  };

  return new ReadableStream<LogObject>(
    {
      async pull(controller) {
        for (;;) {
          await fill();
          const entry = queue.shift();
          if (!entry) {
            controller.close();
            return;
          }
          let object: LogObject | undefined;
          if (entry.ready) {
            object = await entry.ready;
            if (object?.bytes) release(entry); // handed on whole: it is the consumer's now
          }
          else {
            try {
              const download = await openObject(s3, location.bucket, entry.object.key, options.download);
              object = { name: entry.name, body: download.body, transportDecoded: download.transportDecoded };
            } catch (error) {
              ledger.objectFailed(entry.name, reasonOf(error));
            }
          }
          if (object) {
            controller.enqueue(object);
            return;
          }
        }
      },
      async cancel() {
        await listing.return(undefined);
        for (const entry of queue.splice(0)) void entry.ready?.then((o) => o?.body.cancel());
      },
    },
    { highWaterMark: 0 },
  );
}

interface Entry {
  name: string;
  object: ListedObject;
  /** Bytes of the budget this entry holds. */
  reserved: number;
  /** Small objects: being read whole. Big ones: undefined, opened when reached. */
  ready?: Promise<LogObject | undefined>;
}

/**
 * Reads an object whole (at most `limit` bytes; beyond that the connection is closed and the rest resumes when
 * read). `done` is called once the consumer has read or cancelled the body.
 */
async function readWhole(s3: S3, bucket: string, object: ListedObject, limit: number, options: DownloadOptions | undefined, done: () => void): Promise<LogObject> {
  const download = await openObject(s3, bucket, object.key, options);
  const reader = download.body.getReader();
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  let complete = false;
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) {
      complete = true;
      break;
    }
    chunks.push(value);
    buffered += value.length;
    if (buffered > limit) {
      download.suspend();
      break;
    }
  }
  if (complete) {
    // all of it is here: the stages take it whole (its share of the budget is freed when the consumer takes it)
    return wholeObject(download.name, concatBytes(chunks), download.transportDecoded);
  }
  let finished = false;
  const finish = () => {
    if (!finished) (finished = true), done();
  };
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = chunks.shift();
          if (chunk) return controller.enqueue(chunk);
          if (complete) return finish(), controller.close();
          const { done: end, value } = await reader.read();
          if (end) return finish(), controller.close();
          controller.enqueue(value);
        } catch (error) {
          finish();
          throw error;
        }
      },
      cancel(reason) {
        chunks.length = 0;
        finish();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { name: download.name, body, transportDecoded: download.transportDecoded };
}

function reasonOf(error: unknown): string {
  if (error instanceof ObjectError) return error.reason;
  if (error instanceof S3Error) return error.reason;
  return error instanceof Error ? error.message : String(error);
}
