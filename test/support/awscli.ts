/**
 * The AWS CLI as the reference for digest validation: runs its own `validate-logs` code through
 * test/reference/awscli/validate_logs.py, over a tree of objects in a manifest or over S3 at an endpoint.
 *
 * The CLI must be there: a missing one fails the test with the line that installs it (.ci/run installs it on a
 * machine without it); it never skips. `AWSCLI_PYTHON` names the Python that has it (default `python3`).
 *
 * ```ts
 * const [result] = await referenceValidateLogs([{ trailArn, start, end, bucket, region, publicKeys, tree: objects }]);
 * // result.stdout, result.stderr, result.code: what `aws cloudtrail validate-logs` prints and returns
 * ```
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { repoRoot } from "./stack.ts";

/** The awscli the tests were written against (the version .ci/run installs when none is there). */
export const AWSCLI_PIN = "awscli==1.45.11";

const DRIVER = join(repoRoot, "test", "reference", "awscli", "validate_logs.py");

let checked: string | undefined;

/** The Python that has the AWS CLI, and the CLI's version; throws with the install line when it is missing. */
export function awscliPython(): { python: string; version: string } {
  const python = process.env.AWSCLI_PYTHON || "python3";
  try {
    checked ??= execFileSync(python, ["-c", "import awscli, rsa, botocore; print(awscli.__version__)"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    throw new Error(
      `the AWS CLI reference implementation is missing (${python} cannot import awscli: ${(error as Error).message.split("\n")[0]}). ` +
        `Install it: ${python} -m pip install '${AWSCLI_PIN}'  (or set AWSCLI_PYTHON to a Python that has it)`,
    );
  }
  return { python, version: checked };
}

export interface TreeObject {
  bucket: string;
  key: string;
  body: Uint8Array;
  metadata?: Record<string, string>;
}

export interface ReferenceRun {
  trailArn: string;
  /** Epoch ms. */
  start: number;
  end: number;
  bucket: string;
  prefix?: string;
  accountId?: string;
  /** The CLI's --region: the source region whose digests it walks. */
  region: string;
  /** `aws cloudtrail list-public-keys` output. */
  publicKeys: unknown;
  /** Objects to serve instead of S3… */
  tree?: TreeObject[];
  /** …or a real S3 endpoint (LocalStack), with credentials in `env`. */
  s3Endpoint?: string;
  verbose?: boolean;
}

export interface ReferenceResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs each as `aws cloudtrail validate-logs` would, in one Python process. */
export async function referenceValidateLogs(runs: ReferenceRun[], env: Record<string, string> = {}): Promise<ReferenceResult[]> {
  const { python } = awscliPython();
  const dir = mkdtempSync(join(tmpdir(), "trailpost-awscli-"));
  try {
    const jobs = runs.map((run, i) => {
      const keys = join(dir, `keys-${i}.json`);
      writeFileSync(keys, JSON.stringify(run.publicKeys));
      const args = [
        "--trail-arn", run.trailArn,
        "--start-time", iso(run.start),
        "--end-time", iso(run.end),
        "--s3-bucket", run.bucket,
        "--region", run.region,
        "--public-keys", keys,
      ];
      if (run.prefix) args.push("--s3-prefix", run.prefix.replace(/\/$/, ""));
      if (run.accountId) args.push("--account-id", run.accountId);
      if (run.verbose) args.push("--verbose");
      if (run.tree) {
        const manifest = join(dir, `tree-${i}.json`);
        const objects = run.tree.map((o) => ({ bucket: o.bucket, key: o.key, body: Buffer.from(o.body).toString("base64"), metadata: o.metadata ?? {} }));
        writeFileSync(manifest, JSON.stringify({ objects }));
        args.push("--tree", manifest);
      } else if (run.s3Endpoint) args.push("--s3-endpoint", run.s3Endpoint);
      else throw new Error("referenceValidateLogs: give tree or s3Endpoint");
      return { args };
    });
    const batch = join(dir, "jobs.json");
    writeFileSync(batch, JSON.stringify(jobs));
    const { code, stdout, stderr } = await run(python, [DRIVER, "--batch", batch], env);
    if (code !== 0) throw new Error(`the AWS CLI reference driver failed (exit ${code}):\n${stderr}`);
    return JSON.parse(stdout) as ReferenceResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing trailpost's output with the CLI's. Known, deliberate differences:
// - a log with bytes after its gzip member: newer AWS CLIs (aws-cli PR #10326, May 2026) report
//   "unexpected data after end of compressed stream", as trailpost does; older ones hash the first member and
//   say valid. Which one is installed is detected, not assumed; with an older one such logs are compared file
//   by file (the runs must be --verbose).
// - a signature that is not even hex (odd length, other characters), or whose number is not below the key's
//   modulus: the CLI prints the Python exception ("Odd-length string", "Non-hexadecimal digit found", "The
//   message … is too long for n=…") as the reason; trailpost says "signature verification failed".
// ---------------------------------------------------------------------------------------------

/** Does the installed CLI reject bytes after a log's gzip member? (aws-cli PR #10326) */
export function cliRejectsAppendedData(): boolean {
  const { python } = awscliPython();
  const source = execFileSync(python, ["-c", "import inspect; from awscli.customizations.cloudtrail import validation as v; print(inspect.getsource(v))"], { encoding: "utf8", maxBuffer: 1 << 24 });
  return source.includes("unused_data");
}

/** The CLI's text with the known differences applied (see the file's comment). */
export function known(result: ReferenceResult): ReferenceResult {
  const signature = /\tINVALID: (The message \d+ is too long for n=\d+|Odd-length string|Non-hexadecimal digit found)$/gm;
  return { ...result, stderr: result.stderr.replace(signature, "\tINVALID: signature verification failed") };
}

const TRAILING = "unexpected data after end of compressed stream";

/**
 * Both outputs agree: byte for byte, or, where this CLI predates the check for data appended to a log, file by
 * file (every digest, log and gap line the same, except that such a log, valid or merely mismatched for the CLI,
 * is INVALID for trailpost because of what was appended).
 */
export function assertAgree(ours: ReferenceResult, theirsRaw: ReferenceResult, appended: string[], rejectsAppended: boolean, name: string): void {
  const theirs = known(theirsRaw);
  if (rejectsAppended || !appended.length) return assert.deepEqual(ours, theirs, `${name}: trailpost and the AWS CLI differ`);
  const lines = (r: ReferenceResult) => `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /^(\(backfill\) )?(Digest file|Log file|No log files)/.test(l));
  let substituted = 0;
  const expected = lines(theirs).map((line) => {
    const [kind, url, status] = line.split("\t");
    if (kind === "Log file" && appended.includes(url!) && (status === "valid" || status === "INVALID: hash value doesn't match")) {
      substituted++;
      return `${kind}\t${url}\tINVALID: ${TRAILING}`;
    }
    return line;
  });
  assert.deepEqual(lines(ours).sort(), expected.sort(), `${name}: trailpost and the AWS CLI differ on a file`);
  const code = substituted && theirs.code === 0 ? 1 : theirs.code;
  assert.equal(ours.code, code, `${name}: exit codes differ`);
}

/** The CLI's time format: `2024-03-04T00:00:00Z`. */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
