/**
 * Endpoints of the local emulator stack for integration tests. Starts the stack when it is not running and
 * reuses it when it is (the same code as `make up`), so every integration test talks to real LocalStack and a
 * real search engine over HTTP.
 *
 * ```ts
 * const stack = await localStack();
 * const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
 * ```
 *
 * The settings are `make up`'s: the engine matrix (test/integration/engines.test.ts) runs the scenario files
 * against another engine by giving them its SEARCH_PORT, SEARCH_ENGINE and SEARCH_VERSION (up reuses it; extra
 * engines are then of that kind too), with the shared LOCALSTACK_PORT.
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import { readStackConfig } from "../../emulators/config.ts";
import type { EngineSpec } from "../../emulators/engines.ts";
import { startExtraEngine, up, type Endpoints, type ExtraEngine } from "../../emulators/stack.ts";
import type { Credentials } from "../../lib/aws/credentials.ts";
import type { S3 } from "../../lib/aws/s3.ts";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Throwaway engines of the tests boot with this heap: small, so that a few fit beside the stack. */
export const TEST_ENGINE_HEAP = "512m";

let started: Promise<Endpoints> | undefined;

export interface TestStack extends Endpoints {
  credentials: Credentials;
}

export async function localStack(): Promise<TestStack> {
  started ??= up(readStackConfig(process.env, repoRoot), (line) => process.stderr.write(`${line}\n`));
  const endpoints = await started;
  return { ...endpoints, credentials: { accessKeyId: endpoints.accessKeyId, secretAccessKey: endpoints.secretAccessKey } };
}

/**
 * A second engine with its own node settings; stop it when done. With `home`, its data stays there after stop,
 * so that a later engine on the same home (e.g. with a raised limit) sees it. It is the stack's engine (as `up`
 * chooses it), or `engine`.
 */
export function extraEngine(settings: Record<string, string>, options: { home?: string; engine?: EngineSpec } = {}): Promise<ExtraEngine> {
  return startExtraEngine(readStackConfig(process.env, repoRoot), settings, (line) => process.stderr.write(`${line}\n`), { heap: TEST_ENGINE_HEAP, ...options });
}

/** What a script needs to reach this stack (S3 at LocalStack, the engine), with `extra` added or overriding. */
export function scriptEnv(stack: TestStack, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_ENDPOINT_URL: stack.aws,
    AWS_ACCESS_KEY_ID: stack.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.secretAccessKey,
    AWS_REGION: stack.region,
    ES_URL: stack.search,
    ...extra,
  };
}

/** Puts every object in the bucket (created first), eight at a time. */
export async function uploadAll(s3: S3, bucket: string, objects: { key: string; body: Uint8Array; headers?: Record<string, string> }[]): Promise<void> {
  await s3.createBucket(bucket);
  const queue = [...objects];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let o = queue.shift(); o; o = queue.shift()) await s3.put(bucket, o.key, o.body, o.headers);
  }));
}

/** A name no other test run uses, for buckets, queues and index prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
