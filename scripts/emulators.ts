/**
 * make up | make down | make status: the local emulator stack (LocalStack with S3 and SQS, and Elasticsearch or
 * OpenSearch) on 127.0.0.1. See emulators/config.ts for the settings and emulators/engines.ts for the engines.
 *
 *   npx tsx scripts/emulators.ts up|down|status
 *   SEARCH_ENGINE=opensearch SEARCH_VERSION=3 npx tsx scripts/emulators.ts up
 *   npx tsx scripts/emulators.ts install --all      # every engine's launcher (CI)
 */
import process from "node:process";
import { ConfigError, readStackConfig } from "../emulators/config.ts";
import { down, install, status, up } from "../emulators/stack.ts";
import { DEFAULT_ELASTICSEARCH, DEFAULT_OPENSEARCH, describe, ENGINES } from "../emulators/engines.ts";

const USAGE = `usage: emulators.ts install [--all]|up|down|status

  install install what the host-process stack needs (LocalStack venv, the engine's launcher built with Maven),
          start nothing; --all builds the launcher of every engine
  up      start LocalStack (S3, SQS) and a search engine on 127.0.0.1, or reuse them; wait until ready
  down    stop what 'up' started
  status  show both services, with versions, and the JDK the engine runs on

Settings (environment): SEARCH_ENGINE=auto|elasticsearch|opensearch (auto: Elasticsearch ${DEFAULT_ELASTICSEARCH.version}
where a JDK ${DEFAULT_ELASTICSEARCH.minJava}+ is found, else OpenSearch ${DEFAULT_OPENSEARCH.version}), SEARCH_VERSION (${ENGINES.map((e) => e.version).join(", ")}),
SEARCH_PORT (9200), SEARCH_HEAP (1g), JAVA_HOME, JDK_DIRS (/usr/lib/jvm), EMULATORS=auto|host|docker,
LOCALSTACK_PORT (4566), LOCALSTACK_VERSION (4.14.0), LOCALSTACK_IMAGE, ELASTICSEARCH_IMAGE,
EMULATORS_DIR (.emulators), EMULATORS_TIMEOUT (60 s), PYTHON (>= 3.13).`;

const command = process.argv[2];
const flags = process.argv.slice(3);
if (command === "--help" || command === "-h") {
  console.log(USAGE);
  process.exit(0);
}
if ((command !== "install" && command !== "up" && command !== "down" && command !== "status") || flags.some((f) => !(command === "install" && f === "--all"))) {
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
    const engines = await install(config, log, { all: flags.includes("--all") });
    console.log(`installed: LocalStack ${config.localstack.version}, ${engines.map(describe).join(", ")}`);
  } else if (command === "up") {
    const started = Date.now();
    const endpoints = await up(config, log);
    console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s: AWS_ENDPOINT_URL=${endpoints.aws} ES_URL=${endpoints.search}`);
  } else if (command === "down") {
    await down(config, log);
    console.log("stopped");
  } else {
    let allRunning = true;
    const stack = await status(config);
    for (const s of stack.services) {
      allRunning &&= s.running;
      console.log(`${s.service.padEnd(10)} ${s.running ? "up  " : "down"}  ${s.url.padEnd(22)}  ${s.detail}  (${s.startedByUs})`);
    }
    console.log(`${"java".padEnd(10)}       ${stack.java}`);
    process.exitCode = allRunning ? 0 : 1;
  }
} catch (error) {
  console.error(`emulators ${command}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
