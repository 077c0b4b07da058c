/**
 * make up | make down | make status: the local emulator stack (LocalStack with S3 and SQS, and a search engine
 * with the Elasticsearch REST API) on 127.0.0.1. See emulators/config.ts for the settings.
 *
 *   npx tsx scripts/emulators.ts up|down|status
 */
import process from "node:process";
import { ConfigError, readStackConfig } from "../emulators/config.ts";
import { down, install, status, up } from "../emulators/stack.ts";

const USAGE = `usage: emulators.ts install|up|down|status

  install install what the host-process stack needs (LocalStack venv, OpenSearch Maven build), start nothing
  up      start LocalStack (S3, SQS) and a search engine on 127.0.0.1, or reuse them; wait until ready
  down    stop what 'up' started
  status  show both services, with versions

Settings (environment): EMULATORS=auto|host|docker, LOCALSTACK_PORT (4566), SEARCH_PORT (9200),
LOCALSTACK_VERSION (4.14.0), OPENSEARCH_VERSION (2.19.6), LOCALSTACK_IMAGE, ELASTICSEARCH_IMAGE,
EMULATORS_DIR (.emulators), EMULATORS_TIMEOUT (60 s), OPENSEARCH_HEAP (1g), PYTHON (>= 3.13).`;

const command = process.argv[2];
if (command === "--help" || command === "-h") {
  console.log(USAGE);
  process.exit(0);
}
if (command !== "install" && command !== "up" && command !== "down" && command !== "status") {
  console.error(USAGE);
  process.exit(2);
}

const log = (line: string) => console.error(line);
let config;
try {
  config = readStackConfig(process.env, process.cwd());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`emulators: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

try {
  if (command === "install") {
    await install(config, log);
    console.log("installed");
  } else if (command === "up") {
    const started = Date.now();
    const endpoints = await up(config, log);
    console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: AWS_ENDPOINT_URL=${endpoints.aws} ES_URL=${endpoints.search}`);
  } else if (command === "down") {
    await down(config, log);
    console.log("stopped");
  } else {
    let allRunning = true;
    for (const s of await status(config)) {
      allRunning &&= s.running;
      console.log(`${s.service.padEnd(10)} ${s.running ? "up  " : "down"}  ${s.url.padEnd(22)}  ${s.detail}  (${s.startedByUs})`);
    }
    process.exitCode = allRunning ? 0 : 1;
  }
} catch (error) {
  console.error(`emulators ${command}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
