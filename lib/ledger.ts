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
  /** Documents landed per index. */
  readonly perIndex = new Map<string, number>();

  objectFailed(subject: string, reason: string): void {
    this.objects.failed++;
    this.failures.push({ subject, reason });
  }

  /** Problems that are not a whole object: a dead-lettered record, a bad input line. */
  problem(subject: string, reason: string): void {
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
