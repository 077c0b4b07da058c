/**
 * botocore and the AWS CLI as reference implementations: the Python scripts in test/reference/botocore run with a
 * Python that has botocore (`$BOTOCORE_PYTHON`, else `python3`, else LocalStack's virtualenv, which ships it).
 * Test-only code: it uses node:child_process.
 *
 * ```ts
 * const answers = await botocore<Answer[]>("credentials.py", cases);
 * ```
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

let python: string | undefined;

/** A Python that imports botocore, or a thrown Error saying how to get one. */
export function botocorePython(): string {
  if (python) return python;
  const venvs = join(repoRoot, ".emulators");
  const candidates = [process.env.BOTOCORE_PYTHON, "python3", ...localStackPythons(venvs)].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    try {
      execFileSync(candidate, ["-c", "import botocore"], { stdio: "ignore" });
      return (python = candidate);
    } catch {
      // not this one
    }
  }
  throw new Error("no Python with botocore for the reference tests: install the AWS CLI (pip install awscli) or set BOTOCORE_PYTHON");
}

/** Runs test/reference/botocore/<script> with `input` as JSON on stdin; its JSON answer. */
export function botocore<T>(script: string, input: unknown, env: Record<string, string> = {}): Promise<T> {
  const path = join(repoRoot, "test", "reference", "botocore", script);
  return new Promise((resolve, reject) => {
    const child = execFile(botocorePython(), [path], { env: { PATH: process.env.PATH ?? "", ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} failed: ${stderr.split("\n").slice(-3).join(" ")}`));
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin!.end(JSON.stringify(input));
  });
}

/** The real AWS CLI: `aws <args>` with exactly `env` (plus PATH and HOME); exit code and output. */
export function awsCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile("aws", args, { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/", ...env } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(new Error(`the AWS CLI (aws) cannot be run: install it (pip install awscli): ${error.message}`));
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

function localStackPythons(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith("localstack-")).map((n) => join(dir, n, "venv", "bin", "python")).filter((p) => existsSync(p));
  } catch {
    return [];
  }
}
