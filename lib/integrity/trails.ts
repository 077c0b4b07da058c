/**
 * Which digest chains a bucket holds for a time range: one per trail, account and source region, found from the
 * digest keys under `[prefix/]AWSLogs/[o-…/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/`. Accounts,
 * regions, the organization and the trail can be given; what is not given is discovered.
 *
 * ```ts
 * const trails = await findTrails(store, { bucket: "my-trail-bucket" }, start, end);
 * // [{ bucket, prefix: "", account: "123456789012", sourceRegion: "us-east-1", trailName: "main", homeRegion: "us-east-1" }, …]
 * ```
 */
import { parseDigestKey } from "../cloudtrail/digest.ts";
import type { Trail } from "./chain.ts";
import type { ObjectStore } from "./store.ts";

export interface TrailFilter {
  bucket: string;
  /** Key prefix before `AWSLogs/`. */
  prefix?: string;
  orgId?: string;
  accounts?: string[];
  regions?: string[];
  /** A given trail (from its ARN): its chains exist even where no digest is found, to say so. */
  trail?: { trailName: string; homeRegion: string; account: string };
}

const HOUR = 3_600_000;

export async function findTrails(store: ObjectStore, filter: TrailFilter, start: number, end: number): Promise<Trail[]> {
  const found = new Map<string, Trail>();
  const accountsSeen = new Set<string>();
  for await (const { trail } of digestKeys(store, filter, daysOf(start, end + HOUR))) {
    if (filter.trail && (trail.trailName !== filter.trail.trailName || trail.homeRegion !== filter.trail.homeRegion)) continue;
    found.set(JSON.stringify(trail), trail);
    accountsSeen.add(trail.account);
  }
  if (filter.trail && !filter.orgId && !accountsSeen.has(filter.trail.account)) {
    // a given trail with no digest in the range: validate its home region (or the given ones) to say so
    for (const region of filter.regions?.length ? filter.regions : [filter.trail.homeRegion]) {
      const trail: Trail = { bucket: filter.bucket, prefix: normalize(filter.prefix), account: filter.trail.account, sourceRegion: region, trailName: filter.trail.trailName, homeRegion: filter.trail.homeRegion };
      found.set(JSON.stringify(trail), trail);
    }
  }
  return [...found.values()].sort((a, b) => `${a.account} ${a.sourceRegion} ${a.trailName}`.localeCompare(`${b.account} ${b.sourceRegion} ${b.trailName}`));
}

/** Every digest key in the day folders of the days (all trails, accounts, source regions), with its trail. */
export async function* digestKeys(store: ObjectStore, filter: TrailFilter, days: string[]): AsyncGenerator<{ key: string; trail: Trail }> {
  const prefix = normalize(filter.prefix);
  for (const root of await roots(store, filter, prefix)) {
    const orgId = /\/(o-[a-z0-9]{10,32})\/$/.exec(root)?.[1];
    // an organization trail's ARN names the management account; its chains are the member accounts'
    const accounts = filter.accounts?.length ? filter.accounts
      : filter.trail && !orgId ? [filter.trail.account]
      : names(await store.folders(filter.bucket, root), root).filter((a) => /^\d{12}$/.test(a));
    for (const account of accounts) {
      const digestRoot = `${root}${account}/CloudTrail-Digest/`;
      const regions = filter.regions?.length ? filter.regions : names(await store.folders(filter.bucket, digestRoot), digestRoot);
      for (const region of regions) {
        for (const day of days) {
          for await (const key of store.list(filter.bucket, `${digestRoot}${region}/${day.replaceAll("-", "/")}/`)) {
            const parsed = parseDigestKey(key);
            if (!parsed || parsed.account !== account || parsed.sourceRegion !== region) continue;
            const trail: Trail = { bucket: filter.bucket, prefix, ...(orgId ? { orgId } : {}), account, sourceRegion: region, trailName: parsed.trailName, homeRegion: parsed.homeRegion };
            yield { key, trail };
          }
        }
      }
    }
  }
}

/** `AWSLogs/` and, for organization trails, `AWSLogs/o-…/`. */
async function roots(store: ObjectStore, filter: TrailFilter, prefix: string): Promise<string[]> {
  const base = `${prefix}AWSLogs/`;
  if (filter.orgId) return [`${base}${filter.orgId}/`];
  const children = names(await store.folders(filter.bucket, base), base);
  const out: string[] = [];
  if (filter.accounts?.length || filter.trail || children.some((c) => /^\d{12}$/.test(c))) out.push(base);
  for (const org of children.filter((c) => /^o-[a-z0-9]{10,32}$/.test(c))) out.push(`${base}${org}/`);
  return out;
}

/** The UTC days touched by [start, end]. */
export function daysOf(start: number, end: number): string[] {
  const days: string[] = [];
  for (let t = Date.UTC(new Date(start).getUTCFullYear(), new Date(start).getUTCMonth(), new Date(start).getUTCDate()); t <= end; t += 24 * HOUR) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

function names(folders: string[], parent: string): string[] {
  return folders.map((p) => p.slice(parent.length).replace(/\/$/, ""));
}

function normalize(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  return trimmed ? `${trimmed}/` : "";
}
