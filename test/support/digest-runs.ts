/**
 * What the `ingest --validate` integration files share: the local stack, a work folder (removed after), the TEST
 * public keys in a file for `--public-keys`, an upload of fixture objects with their CloudTrail headers, and the
 * scripts' environment for a bucket and an index prefix (with a dead-letter file of its own).
 *
 * ```ts
 * const runs = digestRuns("ingest-validate");
 * await runs.upload(bucket, day.objects);
 * await runScript("ingest.ts", ["--date", day.date, "--validate", "--public-keys", runs.keysFile], runs.envFor(bucket, prefix));
 * ```
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { putHeaders, testPublicKeys, type FixtureObject } from "../../fixtures/digests.ts";
import { S3 } from "../../lib/aws/s3.ts";
import { localStack, scriptEnv, uploadAll, type TestStack } from "./stack.ts";

export interface DigestRuns {
  /** The local stack (set once the file's `before` has run). */
  readonly stack: TestStack;
  readonly work: string;
  readonly keysFile: string;
  upload(bucket: string, objects: FixtureObject[]): Promise<void>;
  envFor(bucket: string, prefix: string): Record<string, string | undefined>;
}

/** Registers the file's `before` and `after`; `extraEnv` goes into every `envFor`. */
export function digestRuns(name: string, extraEnv: Record<string, string> = {}): DigestRuns {
  const work = mkdtempSync(join(tmpdir(), `trailpost-${name}-`));
  const keysFile = join(work, "keys.json");
  let stack: TestStack | undefined;
  let s3: S3 | undefined;
  before(async () => {
    stack = await localStack();
    s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
    writeFileSync(keysFile, JSON.stringify(testPublicKeys()));
  });
  after(() => rmSync(work, { recursive: true, force: true }));
  return {
    get stack() {
      if (!stack) throw new Error("digestRuns: the stack is set in the file's before()");
      return stack;
    },
    work,
    keysFile,
    upload: (bucket, objects) => uploadAll(s3!, bucket, objects.map((o) => ({ key: o.key, body: o.body, headers: putHeaders(o) }))),
    envFor: (bucket, prefix) => scriptEnv(stack!, { CLOUDTRAIL_BUCKET: bucket, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: join(work, `${prefix}.dead-letter.ndjson`), ...extraEnv }),
  };
}
