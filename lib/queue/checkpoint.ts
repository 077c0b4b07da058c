/**
 * Which day folders a backfill (`enqueue --checkpoint`) may mark finished: only those whose day is over. CloudTrail
 * keeps delivering into a day's folder (`…/YYYY/MM/DD/`) after the day, within about 15 minutes, so a folder is
 * final only an hour after the next midnight UTC (`LATE_DELIVERY_MS`); a folder that is not dated like CloudTrail's
 * is never final.
 *
 * ```ts
 * if (folderIsFinal("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/04/", Date.now())) await checkpoint.write(…);
 * ```
 */

/** How long after midnight UTC a day's folder may still receive log files. */
export const LATE_DELIVERY_MS = 60 * 60 * 1000;

/** True when nothing more can be delivered into `folder` at `now` (ms since the epoch). */
export function folderIsFinal(folder: string, now: number): boolean {
  const day = /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\/$/.exec(folder);
  if (!day) return false;
  const start = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
  if (Number.isNaN(start)) return false;
  return now >= start + 24 * 60 * 60 * 1000 + LATE_DELIVERY_MS;
}
