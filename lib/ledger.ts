/**
 * What happened to every object and every record of a run. It must balance: each record read was indexed,
 * found already there (a duplicate), or written to the dead-letter file. Scripts print it as their summary
 * and derive the exit code from it.
 */

export interface Failure {
  /** The object (`s3://bucket/key` or a path), line or record the problem is about. */
  subject: string;
  reason: string;
}

/**
 * Line and record problems kept with their reasons, at most. Past it they are only counted (`unlisted`): each is in
 * the dead-letter file already, and a file of a million lines that are not JSON must not take a million failures
 * of memory. Failed objects are always kept (their names are what a rerun needs, and they are as many as the
 * objects at most).
 */
export const MAX_PROBLEMS_LISTED = 1000;

export class Ledger {
  readonly objects = { listed: 0, read: 0, failed: 0, skipped: { digest: 0, insight: 0, other: 0, refused: 0 } };
  readonly records = { read: 0, indexed: 0, duplicates: 0, deadLettered: 0, retried: 0 };
  readonly bytes = { read: 0 };
  /**
   * What the run expects to read, once known (objects after listing, bytes from file sizes): progress shows
   * done/total and an ETA from it. Undefined while unknown; never part of the balance.
   */
  readonly expected: { objects?: number; bytes?: number } = {};
  readonly failures: Failure[] = [];
  /** Problems past MAX_PROBLEMS_LISTED: counted, not kept. */
  unlisted = 0;
  #problems = 0;
  /** Documents landed per index. */
  readonly perIndex = new Map<string, number>();

  objectFailed(subject: string, reason: string): void {
    this.objects.failed++;
    this.failures.push({ subject, reason });
  }

  /** Problems that are not a whole object: a dead-lettered record, a bad input line. */
  problem(subject: string, reason: string): void {
    if (this.#problems === MAX_PROBLEMS_LISTED) {
      this.unlisted++;
      return;
    }
    this.#problems++;
    this.failures.push({ subject, reason });
  }

  landed(index: string): void {
    this.records.indexed++;
    this.perIndex.set(index, (this.perIndex.get(index) ?? 0) + 1);
  }

  /** indexed + duplicates + dead-lettered = read */
  get balanced(): boolean {
    const r = this.records;
    return r.indexed + r.duplicates + r.deadLettered === r.read;
  }

  /** Everything landed and nothing failed. */
  get clean(): boolean {
    return this.objects.failed === 0 && this.records.deadLettered === 0 && this.balanced;
  }
}
