/** What answers on a port: LocalStack, a search engine, something else, or nothing. */
import { getJson, portInUse } from "./processes.ts";

export interface LocalStackHealth {
  version: string;
  s3: string;
  sqs: string;
  ready: boolean;
}

export async function probeLocalStack(port: number): Promise<LocalStackHealth | undefined> {
  const answer = await getJson(`http://127.0.0.1:${port}/_localstack/health`);
  const body = answer?.body as { version?: unknown; services?: Record<string, unknown> } | undefined;
  if (!body || typeof body.version !== "string" || typeof body.services !== "object" || body.services === null) return undefined;
  const s3 = String(body.services.s3 ?? "missing");
  const sqs = String(body.services.sqs ?? "missing");
  const usable = (s: string) => s === "available" || s === "running";
  return { version: body.version, s3, sqs, ready: usable(s3) && usable(sqs) };
}

export interface SearchHealth {
  distribution: "opensearch" | "elasticsearch";
  version: string;
  status: string | undefined;
}

export async function probeSearch(port: number): Promise<SearchHealth | undefined> {
  const root = await getJson(`http://127.0.0.1:${port}/`);
  const body = root?.body as { version?: { number?: unknown; distribution?: unknown }; tagline?: unknown } | undefined;
  if (!root || root.status !== 200 || !body?.version || typeof body.version.number !== "string") return undefined;
  const distribution = body.version.distribution === "opensearch" ? "opensearch" : "elasticsearch";
  const health = await getJson(`http://127.0.0.1:${port}/_cluster/health?wait_for_status=yellow&timeout=1s`, 5000);
  const status = (health?.body as { status?: unknown } | undefined)?.status;
  return {
    distribution,
    version: body.version.number,
    status: health?.status === 200 && typeof status === "string" ? status : undefined,
  };
}

export type PortState = "free" | "ours" | "foreign";

/** Free, answering as the expected service, or taken by another program. */
export async function portState(port: number, answersAsExpected: () => Promise<boolean>): Promise<PortState> {
  if (!(await portInUse(port))) return "free";
  return (await answersAsExpected()) ? "ours" : "foreign";
}
