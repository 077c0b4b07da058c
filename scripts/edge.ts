/**
 * The edge handler (lib/edge) as a server, configured from the environment: an SNS HTTPS subscription's endpoint
 * that indexes the S3 objects its notifications name.
 *
 *   deno serve -A --port 8080 scripts/edge.ts                 # Deno (also Deno Deploy: this file is the entry point)
 *   npx tsx scripts/edge.ts --port 8080                       # Node (or deno run -A), with node:http
 *
 * Settings as for the worker (AWS_*, CLOUDTRAIL_*, ES_*, INDEX_*), plus SNS_TOPIC_ARNS (topics accepted) and,
 * for the local stack only, SNS_LOCAL_CERT_ORIGIN. A bad setting exits 2 before anything is served.
 */
import { createServer } from "node:http";
import { ConfigError, usage } from "../lib/config.ts";
import type { FetchHandler } from "../lib/edge/handler.ts";
import { EDGE_FLAGS, EDGE_SETTINGS, edgeHandler } from "../lib/edge/main.ts";
import { args, decompress, env, exit } from "./runtime/platform.ts";

const HELP = `usage: deno serve -A --port PORT scripts/edge.ts   |   npx tsx scripts/edge.ts --port PORT [--host HOST]

An endpoint for an SNS HTTPS subscription carrying the trail bucket's S3 event notifications (or CloudTrail's
own SNS notifications): verifies each message's signature, confirms the subscription, and indexes the objects
notifications name. 200 when every record is accounted for, 500/503 so that SNS delivers again otherwise.`;

const SERVE_FLAGS = {
  port: { env: "", flag: "--port", help: "serve on this port with node:http (not with deno serve, which has its own --port)" },
  host: { env: "", flag: "--host", help: "address to listen on with --port (default 127.0.0.1)" },
};

const argv = args();
if (argv.includes("--help") || argv.includes("-h")) {
  console.log(usage(HELP, EDGE_SETTINGS, { ...EDGE_FLAGS, ...SERVE_FLAGS }));
  exit(0);
}

let handler: FetchHandler & { describe: string };
try {
  handler = edgeHandler(env(), { decompress, log: (line) => console.error(`edge: ${line}`) });
} catch (error) {
  for (const problem of error instanceof ConfigError ? error.problems : [String(error)]) console.error(`edge: ${problem}`);
  exit(2);
}

export default { fetch: (request: Request) => handler.fetch(request) };

const port = flag("--port");
if (port !== undefined) {
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    console.error(`edge: --port must be a TCP port, not ${JSON.stringify(port)}`);
    exit(2);
  }
  const host = flag("--host") ?? "127.0.0.1";
  serve(handler, Number(port), host);
}

/** A minimal node:http adapter for the fetch handler (Node has no fetch-style server). */
function serve(h: FetchHandler, portNumber: number, host: string): void {
  const hostPart = host.includes(":") ? `[${host}]` : host;
  let origin = `${hostPart}:${portNumber}`;
  const server = createServer(async (req, res) => {
    try {
      const chunks: Uint8Array[] = [];
      for await (const chunk of req) chunks.push(chunk as Uint8Array);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
      const request = new Request(`http://${req.headers.host ?? origin}${req.url ?? "/"}`, {
        method: req.method,
        headers,
        body: hasBody ? new Blob(chunks as BlobPart[]) : undefined,
      });
      const response = await h.fetch(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(new Uint8Array(await response.arrayBuffer()));
    } catch (error) {
      console.error(`edge: ${error instanceof Error ? error.message : String(error)}`);
      res.writeHead(500).end();
    }
  });
  server.listen(portNumber, host, () => {
    // the port bound, which --port 0 leaves to the system
    const bound = server.address();
    if (typeof bound === "object" && bound) origin = `${hostPart}:${bound.port}`;
    console.error(`edge: listening on http://${origin} → ${handler.describe}`);
  });
}

function flag(name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i]!.startsWith(`${name}=`)) return argv[i]!.slice(name.length + 1);
  }
  return undefined;
}
