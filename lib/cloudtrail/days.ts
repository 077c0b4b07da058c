/** Days to work on: `DATE=YYYY-MM-DD`, or `FROM` and `TO` (inclusive), as real calendar days in UTC. */

export class DayError extends Error {}

const MAX_DAYS = 3660;

/** Validates a calendar day (`2013-12-07`); `2013-13-45` and anything else is refused with a clear message. */
export function parseDay(text: string, name = "DATE"): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== text) {
    throw new DayError(`${name} must be a calendar day as YYYY-MM-DD, not ${JSON.stringify(text)}`);
  }
  return text;
}

/** Every day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  parseDay(from, "FROM");
  parseDay(to, "TO");
  if (from > to) throw new DayError(`FROM (${from}) is after TO (${to})`);
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); ; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > to) break;
    days.push(day);
    if (days.length > MAX_DAYS) throw new DayError(`FROM..TO spans more than ${MAX_DAYS} days; split the range`);
  }
  return days;
}

/** The days of a `DATE`, or of `FROM`..`TO`; exactly one of the two forms must be given. */
export function selectDays(options: { date?: string; from?: string; to?: string }): string[] {
  const { date, from, to } = options;
  if (date && (from || to)) throw new DayError("give DATE, or FROM and TO, not both");
  if (date) return [parseDay(date)];
  if (from || to) {
    if (!from || !to) throw new DayError("FROM and TO go together");
    return daysBetween(from, to);
  }
  throw new DayError("no day given: set DATE=YYYY-MM-DD, or FROM and TO");
}
