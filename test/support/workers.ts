/**
 * Worker processes for integration tests: started as a user starts them (node --import tsx scripts/worker.ts, or
 * Deno), their stderr captured, waited for, signalled. Plus the queue set-up every worker test needs.
 *
 * ```ts
 * const queue = await setUpQueue(stack, bucket);                  // setup.ts, for real
 * const worker = startWorker(["--exit-when-idle", "3"], { CLOUDTRAIL_QUEUE_URL: queue.url, … });
 * assert.equal(await worker.exit, 0, worker.output());
 * ```
 */
import { spawn, type ChildProcess } from "node:child_process";
import { SQS } from "../../lib/aws/sqs.ts";
import { runScript } from "./run.ts";
import { repoRoot, type TestStack } from "./stack.ts";
import { TEST_SECRETS } from "./secrets.ts";

export interface Worker {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  output(): string;
  /** Its exit code (null when killed by a signal). */
  exit: Promise<number | null>;
  /** Resolves once its output matches (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function startWorker(args: string[], env: Record<string, string | undefined>, options: { runtime?: "node" | "deno" } = {}): Worker {
  const path = `${repoRoot}scripts/worker.ts`;
  const [command, prefix] = options.runtime === "deno"
    ? [`${repoRoot}node_modules/.bin/deno`, ["run", "--allow-all", "--quiet", path]]
    : [process.execPath, ["--import", import.meta.resolve("tsx"), path]];
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  const child = spawn(command, [...prefix, ...args], { cwd: repoRoot, env: merged, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (d: Buffer) => {
    output += d;
    for (const l of listeners) l();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exit,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(output)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`worker output did not match ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        void exit.then(() => setTimeout(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`worker exited before its output matched ${pattern}:\n${output}`));
          }
        }, 50));
        check();
      });
    },
  };
}

/** Environment for scripts against the local stack, with test secrets that must never show in any output. */
export function stackEnv(stack: TestStack, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_ENDPOINT_URL: stack.aws,
    AWS_ENDPOINT_URL_S3: undefined,
    AWS_ENDPOINT_URL_SQS: undefined,
    AWS_ACCESS_KEY_ID: "AKIDTRAILPOSTTEST",
    AWS_SECRET_ACCESS_KEY: TEST_SECRETS.awsSecretAccessKey,
    AWS_REGION: stack.region,
    AWS_PROFILE: undefined,
    ES_URL: stack.search,
    ES_API_KEY: TEST_SECRETS.apiKey,
    CLOUDTRAIL_QUEUE_URL: undefined,
    CLOUDTRAIL_BUCKET: undefined,
    ...extra,
  };
}

export interface TestQueue {
  url: string;
  dlqUrl: string;
  sqs: SQS;
  /** Messages visible + in flight + delayed, in the queue and in its dead-letter queue. */
  depths(): Promise<{ queue: number; dlq: number }>;
}

/** setup.ts --bucket … --queue …, for real; the queue URL from its last line. */
export async function setUpQueue(stack: TestStack, bucket: string, queue: string, extraArgs: string[] = []): Promise<TestQueue & { stderr: string }> {
  const result = await runScript("setup.ts", ["--bucket", bucket, "--queue", queue, ...extraArgs], stackEnv(stack));
  if (result.code !== 0) throw new Error(`setup.ts failed (${result.code}): ${result.stderr}`);
  const url = /^CLOUDTRAIL_QUEUE_URL=(\S+)$/m.exec(result.stdout)?.[1];
  if (!url) throw new Error(`setup.ts printed no queue URL: ${result.stdout}`);
  const sqs = new SQS({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  const dlqUrl = (await sqs.queueUrl(`${queue}-dlq`))!;
  const total = async (u: string) => {
    const d = await sqs.depth(u);
    return d.visible + d.inFlight + d.delayed;
  };
  return { url, dlqUrl, sqs, stderr: result.stderr, depths: async () => ({ queue: await total(url), dlq: await total(dlqUrl) }) };
}
