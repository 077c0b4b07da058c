/**
 * Where CloudTrail puts things in its bucket:
 *
 *   [<prefix>/]AWSLogs/[<o-orgid>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz
 *
 * Digest files live beside them under `CloudTrail-Digest/`, Insights events under `CloudTrail-Insight/`.
 * Only `CloudTrail/` objects are logs.
 */

export type ObjectKind = "log" | "digest" | "insight" | "other";

export interface TrailKey {
  kind: ObjectKind;
  prefix: string;
  orgId: string | undefined;
  account: string;
  region: string;
  /** YYYY-MM-DD of the folder (delivery day, UTC). */
  day: string;
}

const KEY = /^(.*?)AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/(CloudTrail|CloudTrail-Digest|CloudTrail-Insight)\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/([^/]+)$/;

/** What an object key is; `undefined` when it is not under an `AWSLogs/<account>/` tree at all. */
export function parseKey(key: string): TrailKey | undefined {
  const m = KEY.exec(key);
  if (!m) return undefined;
  const [, prefix, orgId, account, folder, region, y, mo, d, file] = m as unknown as string[];
  const kind: ObjectKind =
    folder === "CloudTrail-Digest" ? "digest"
    : folder === "CloudTrail-Insight" ? "insight"
    : /\.json(\.gz)?$/.test(file!) ? "log"
    : "other";
  return { kind, prefix: prefix!, orgId: orgId || undefined, account: account!, region: region!, day: `${y}-${mo}-${d}` };
}

/** The kind of any key: log, digest, insight, or other (anything else, including keys outside AWSLogs/). */
export function kindOf(key: string): ObjectKind {
  return parseKey(key)?.kind ?? "other";
}

/** `my/prefix` → `my/prefix/`; empty stays empty. */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  return trimmed ? `${trimmed}/` : "";
}

/** `[<prefix>/]AWSLogs/[<org>/]` */
export function logsRoot(prefix: string, orgId?: string): string {
  return `${normalizePrefix(prefix)}AWSLogs/${orgId ? `${orgId}/` : ""}`;
}

/** The folder of one account's logs of one kind in one region on one day, e.g. `AWSLogs/1234…/CloudTrail/us-east-1/2013/12/07/`. */
export function dayFolder(root: string, account: string, region: string, day: string, folder: "CloudTrail" | "CloudTrail-Digest" | "CloudTrail-Insight" = "CloudTrail"): string {
  return `${root}${account}/${folder}/${region}/${day.replaceAll("-", "/")}/`;
}

/**
 * The key as a relative local path, or a reason to refuse it: no absolute paths, no `.` or `..` segments, no
 * empty segments, no backslashes or NUL, so that nothing is ever written outside the target directory.
 */
export function safeRelativePath(key: string): { path: string } | { refused: string } {
  if (key.startsWith("/")) return { refused: "absolute path" };
  if (/[\\\0]/.test(key)) return { refused: "backslash or NUL in key" };
  const segments = key.split("/");
  if (segments.some((s) => s === "..")) return { refused: "'..' segment escapes the target directory" };
  if (segments.some((s) => s === "." || s === "")) return { refused: "empty or '.' segment" };
  if (/^[a-zA-Z]:/.test(key)) return { refused: "drive-letter path" };
  return { path: key };
}
