/**
 * The emulators as Docker containers, through testcontainers, where a Docker engine answers
 * (`EMULATORS=docker`, or `auto` with a working engine):
 * - `@testcontainers/localstack` with `localstack/localstack:4.14.0` (the last image that runs without an account).
 *   `LOCALSTACK_AUTH_TOKEN` is forwarded when set, so `LOCALSTACK_IMAGE` can name a newer image.
 * - `@testcontainers/elasticsearch` with the Elasticsearch version the host launcher runs (emulators/engines.ts:
 *   9.2.0, or SEARCH_VERSION), security disabled (a throwaway local container). OpenSearch runs on the host only.
 *
 * `make up` outlives its own process, so the containers are started with `withReuse()` and a label, bound to the
 * same host ports as the host-process stack, and `make down` stops them by label. Tests' extra engines
 * (`startDockerEngine`) get a random port and are stopped by the caller.
 *
 * testcontainers is imported lazily: host-process users (and Deno) never load it.
 */
import type { StackConfig } from "./config.ts";
import type { Log, ServiceEndpoint } from "./host.ts";
import { StackError } from "./processes.ts";
import { probeLocalStack, probeSearch } from "./probes.ts";

const LABEL = "dev.trailpost.emulator";

/** Resolves when a container runtime answers; rejects with testcontainers' reason otherwise. */
export async function probeDocker(): Promise<void> {
  const { getContainerRuntimeClient } = await import("testcontainers");
  await getContainerRuntimeClient();
}

export async function startDockerLocalStack(config: StackConfig, log: Log): Promise<ServiceEndpoint> {
  const { port, image, authToken } = config.localstack;
  if ((await probeLocalStack(port))?.ready) return { url: `http://127.0.0.1:${port}`, reused: true };
  const { LocalstackContainer } = await import("@testcontainers/localstack");
  log(`starting ${image} in Docker`);
  const container = new LocalstackContainer(image)
    .withExposedPorts({ container: 4566, host: port })
    .withEnvironment({
      SERVICES: "s3,sqs,sns",
      EAGER_SERVICE_LOADING: "1",
      SQS_ENDPOINT_STRATEGY: "path",
      LOCALSTACK_HOST: `127.0.0.1:${port}`,
      ...(authToken ? { LOCALSTACK_AUTH_TOKEN: authToken } : {}),
    })
    .withLabels({ [LABEL]: "localstack" })
    .withReuse();
  const started = await container.start();
  return { url: started.getConnectionUri(), reused: false };
}

export async function startDockerElasticsearch(config: StackConfig, log: Log, options: { port?: number; settings?: Record<string, string>; label?: string } = {}): Promise<ServiceEndpoint & { stop: () => Promise<void> }> {
  const { ElasticsearchContainer } = await import("@testcontainers/elasticsearch");
  const image = config.search.elasticsearchImage;
  log(`starting ${image} in Docker`);
  let container = new ElasticsearchContainer(image)
    .withEnvironment({
      "xpack.security.enabled": "false",
      "ES_JAVA_OPTS": `-Xms512m -Xmx${config.search.heap}`,
      ...options.settings,
    });
  if (options.port !== undefined) container = container.withExposedPorts({ container: 9200, host: options.port });
  if (options.label) container = container.withLabels({ [LABEL]: options.label }).withReuse();
  const started = await container.start();
  const url = started.getHttpUrl();
  const probePort = Number(new URL(url).port);
  if (!(await probeSearch(probePort))) throw new StackError(`Elasticsearch container ${image} does not answer on ${url}`);
  return { url, reused: false, stop: async () => void (await started.stop()) };
}

/** Stops the containers `make up` started (found by label). */
export async function stopDockerServices(log: Log): Promise<void> {
  const { getContainerRuntimeClient } = await import("testcontainers");
  const client = await getContainerRuntimeClient();
  for (const service of ["localstack", "search"]) {
    const container = await client.container.fetchByLabel(LABEL, service, { status: ["running"] });
    if (!container) continue;
    log(`stopping the ${service} container`);
    await client.container.stop(container, { timeout: 10 });
    await client.container.remove(container, { removeVolumes: true });
  }
}
