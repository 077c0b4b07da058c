/**
 * The edge handler configured from settings given as environment variables (the same names as the scripts:
 * AWS_*, CLOUDTRAIL_*, ES_*, INDEX_*, BULK_*), plus `SNS_TOPIC_ARNS` (topics accepted) and `SNS_LOCAL_CERT_ORIGIN`
 * (LocalStack's origin, whose signing certificate is then trusted; never set it in production).
 *
 * ```ts
 * export default edgeHandler(Deno.env.toObject());              // Deno: scripts/edge.ts does this
 * export default { fetch: (request, env) => … }                 // this module's default: settings as bindings
 * ```
 *
 * This module's default export is `{ fetch(request, env) }` for hosts that hand the settings to each request as
 * its second argument (Cloudflare Workers' bindings); the handler is built once per settings object.
 */
import { ConfigError, type Setting } from "../config.ts";
import { INDEXER_SETTINGS, indexerFromSettings, type IndexerPlatform } from "../queue/settings.ts";
import { DEFAULT_PROGRAM } from "../streams/select.ts";
import { snsHandler, type FetchHandler } from "./handler.ts";
import { SnsVerifier } from "./sns-signature.ts";

export const EDGE_SETTINGS = INDEXER_SETTINGS;

export const EDGE_FLAGS = {
  topicArns: {
    env: "SNS_TOPIC_ARNS",
    flag: "--sns-topic-arns",
    help: "comma-separated SNS topic ARNs accepted (default: any topic whose messages verify)",
    check: (v: string) => (v.split(",").every((a) => /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]{1,256}$/.test(a.trim())) ? undefined : `SNS_TOPIC_ARNS must be comma-separated SNS topic ARNs, not ${JSON.stringify(v)}`),
  },
  localCertOrigin: {
    env: "SNS_LOCAL_CERT_ORIGIN",
    flag: "--sns-local-cert-origin",
    help: "LocalStack's origin (http://127.0.0.1:4566): trust its SNS signing certificate (local stack only)",
    check: (v: string) => (/^https?:\/\/[^/@]+$/.test(v.replace(/\/$/, "")) ? undefined : `SNS_LOCAL_CERT_ORIGIN must be an origin like http://127.0.0.1:4566, not ${JSON.stringify(v)}`),
  },
  select: { env: "EDGE_SELECT", flag: "--select", help: `jq program choosing the records (default ${DEFAULT_PROGRAM})` },
} satisfies Record<string, Setting>;

export interface EdgePlatform extends IndexerPlatform {
  log?: (line: string) => void;
}

/** The handler for these settings; a ConfigError lists every problem. */
export function edgeHandler(env: Record<string, string | undefined>, platform: EdgePlatform = {}): FetchHandler & { describe: string } {
  const { indexer, prepare, describe, extra } = indexerFromSettings(env, platform, EDGE_FLAGS, "EDGE_SELECT");
  const list = (v: string | undefined) => v?.split(",").map((s) => s.trim()).filter(Boolean);
  const verifier = new SnsVerifier({ topicArns: list(extra.topicArns), trustedCertOrigins: extra.localCertOrigin ? [extra.localCertOrigin] : [], fetch: platform.fetch });
  const handler = snsHandler({ indexer, verifier, log: platform.log, prepare });
  return { ...handler, describe };
}

const built = new WeakMap<object, FetchHandler>();

export default {
  /** `env`: the settings as bindings (Cloudflare Workers style). */
  fetch(request: Request, env?: Record<string, unknown>): Promise<Response> {
    if (!env || typeof env !== "object") {
      return Promise.resolve(new Response("trailpost edge handler: no settings were given (see lib/edge/main.ts)\n", { status: 500 }));
    }
    let handler = built.get(env);
    if (!handler) {
      const strings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"));
      try {
        handler = edgeHandler(strings);
      } catch (error) {
        const problems = error instanceof ConfigError ? error.problems : [String(error)];
        return Promise.resolve(new Response(`trailpost edge handler is misconfigured:\n${problems.join("\n")}\n`, { status: 500 }));
      }
      built.set(env, handler);
    }
    return handler.fetch(request);
  },
};

