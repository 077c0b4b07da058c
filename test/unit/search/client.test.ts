import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { errorReason, redactUrl, SearchClient, SearchError, type SearchTarget } from "../../../lib/search/client.ts";

interface Captured {
  request: Request;
  body: Uint8Array;
}

function capturing(target: Omit<SearchTarget, "fetch">, answer: () => Response = () => new Response('{"ok":true}', { status: 200 })) {
  const captured: Captured[] = [];
  const stub = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    captured.push({ request, body: new Uint8Array(await request.clone().arrayBuffer()) });
    return answer();
  }) as typeof fetch;
  return { client: new SearchClient({ ...target, fetch: stub }), captured };
}

const CREDS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

describe("SearchClient: URLs and auth", () => {
  test("requests go to base + path, with accept and content-type", async () => {
    const { client, captured } = capturing({ url: "http://search.local:9200" });
    await client.request("POST", "/_bulk?refresh=false", "{}\n", "application/x-ndjson");
    const { request, body } = captured[0]!;
    assert.equal(request.url, "http://search.local:9200/_bulk?refresh=false");
    assert.equal(request.method, "POST");
    assert.equal(request.headers.get("content-type"), "application/x-ndjson");
    assert.equal(request.headers.get("accept"), "application/json");
    assert.equal(request.headers.get("authorization"), null);
    assert.equal(new TextDecoder().decode(body), "{}\n");
  });

  test("plainAnswer asks for an uncompressed answer, unless the request is signed; other requests leave it to fetch", async () => {
    const { client, captured } = capturing({ url: "http://search.local:9200" });
    await client.request("POST", "/_bulk", "{}\n", "application/x-ndjson", true);
    await client.request("POST", "/_bulk", "{}\n", "application/x-ndjson");
    assert.equal(captured[0]!.request.headers.get("accept-encoding"), "identity");
    assert.equal(captured[1]!.request.headers.get("accept-encoding"), null);
    const signed = capturing({ url: "https://search-domain.eu-west-1.es.amazonaws.com", aws: { credentials: CREDS, region: "eu-west-1", service: "es" } });
    await signed.client.request("POST", "/_bulk", "{}\n", "application/x-ndjson", true);
    assert.equal(signed.captured[0]!.request.headers.get("accept-encoding"), null);
    assert.doesNotMatch(signed.captured[0]!.request.headers.get("authorization")!, /accept-encoding/);
  });

  test("a base path is kept", async () => {
    const { client, captured } = capturing({ url: "https://proxy.local/search" });
    await client.request("GET", "/_cluster/health");
    assert.equal(captured[0]!.request.url, "https://proxy.local/search/_cluster/health");
  });

  test("ApiKey header", async () => {
    const { client, captured } = capturing({ url: "http://search.local:9200", apiKey: "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==" });
    await client.request("GET", "/");
    assert.equal(captured[0]!.request.headers.get("authorization"), "ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
  });

  test("basic auth from username and password", async () => {
    const { client, captured } = capturing({ url: "http://search.local:9200", username: "elastic", password: "pä:ss" });
    await client.request("GET", "/");
    const auth = captured[0]!.request.headers.get("authorization")!;
    assert.match(auth, /^Basic /);
    assert.equal(Buffer.from(auth.slice(6), "base64").toString("utf8"), "elastic:pä:ss");
  });

  test("basic auth from the URL: decoded, removed from the URL sent, absent from describe()", async () => {
    const { client, captured } = capturing({ url: "https://user:pa%40ss@search.local:9200/" });
    await client.request("GET", "/_cat/indices");
    const { request } = captured[0]!;
    assert.equal(request.url, "https://search.local:9200/_cat/indices");
    assert.ok(!request.url.includes("pa"), request.url);
    const auth = request.headers.get("authorization")!;
    assert.equal(Buffer.from(auth.slice("Basic ".length), "base64").toString("utf8"), "user:pa@ss");
    assert.equal(client.describe(), "https://search.local:9200");
    assert.equal(!client.describe().includes("user"), true);
    assert.equal(!client.base.href.includes("pa%40ss"), true);
  });

  test("explicit username/password win over the URL's", async () => {
    const { client, captured } = capturing({ url: "https://urluser:urlpass@search.local/", username: "u", password: "p" });
    await client.request("GET", "/");
    assert.equal(Buffer.from(captured[0]!.request.headers.get("authorization")!.slice(6), "base64").toString(), "u:p");
    assert.equal(!captured[0]!.request.url.includes("urlpass"), true);
  });

  test("an API key wins over basic auth", async () => {
    const { client, captured } = capturing({ url: "https://u:p@search.local/", apiKey: "k" });
    await client.request("GET", "/");
    assert.equal(captured[0]!.request.headers.get("authorization"), "ApiKey k");
  });

  test("a non-http URL throws without the password", () => {
    for (const url of ["ftp://user:s3cretpw@search.local/", "notaurl", "https://user:s3cretpw@search.local:99999/", "file:///etc/passwd"]) {
      assert.throws(() => new SearchClient({ url }), (e: unknown) => {
        assert.ok(e instanceof TypeError, `expected TypeError, got ${String(e)}`);
        assert.match(e.message, /ES_URL must be/);
        assert.ok(!e.message.includes("s3cretpw"), e.message);
        return true;
      });
    }
  });
  test("a URL whose password holds an unencoded '/' is refused without echoing the password", () => {
    assert.throws(() => new SearchClient({ url: "https://elastic:s3cret/pw@search.local:9200/" }), (e: unknown) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.ok(!e.message.includes("s3cret"), e.message);
      return true;
    });
  });
});

describe("SearchClient: gzip", () => {
  const body = JSON.stringify({ query: { match_all: {} }, pad: "x".repeat(5000) });

  test("bodies at or above gzipAbove are gzipped and marked", async () => {
    const { client, captured } = capturing({ url: "http://search.local:9200", gzipAbove: 1000 });
    await client.request("POST", "/_search", body);
    const { request, body: sent } = captured[0]!;
    assert.equal(request.headers.get("content-encoding"), "gzip");
    assert.equal(request.headers.get("content-type"), "application/json");
    assert.equal(sent.length < body.length, true);
    assert.equal(gunzipSync(sent).toString("utf8"), body);
  });

  test("smaller bodies, and every body without gzipAbove, go plain", async () => {
    const small = capturing({ url: "http://search.local:9200", gzipAbove: 1_000_000 });
    await small.client.request("POST", "/_search", body);
    assert.equal(small.captured[0]!.request.headers.get("content-encoding"), null);
    assert.equal(new TextDecoder().decode(small.captured[0]!.body), body);
    const never = capturing({ url: "http://search.local:9200" });
    await never.client.request("POST", "/_search", body);
    assert.equal(never.captured[0]!.request.headers.get("content-encoding"), null);
  });
});

describe("SearchClient: SigV4", () => {
  test("service es: Authorization with the region and service in the credential scope", async () => {
    const { client, captured } = capturing({ url: "https://search-domain.eu-west-1.es.amazonaws.com", aws: { credentials: CREDS, region: "eu-west-1", service: "es" } });
    await client.request("POST", "/_bulk", '{"create":{}}\n{}\n', "application/x-ndjson");
    const { request } = captured[0]!;
    const auth = request.headers.get("authorization")!;
    assert.match(auth, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
    const signed = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(";");
    assert.equal(signed.includes("host"), true);
    assert.equal(signed.includes("x-amz-date"), true);
    assert.notEqual(request.headers.get("x-amz-date"), null);
    assert.equal(!auth.includes(CREDS.secretAccessKey), true);
  });

  test("session token is sent", async () => {
    const { client, captured } = capturing({ url: "https://search.local", aws: { credentials: { ...CREDS, sessionToken: "TOKEN" }, region: "us-east-1", service: "es" } });
    await client.request("GET", "/");
    assert.equal(captured[0]!.request.headers.get("x-amz-security-token"), "TOKEN");
  });

  test("service aoss: x-amz-content-sha256 is the hex SHA-256 of the body sent", async () => {
    const { client, captured } = capturing({ url: "https://abc.us-east-1.aoss.amazonaws.com", aws: { credentials: CREDS, region: "us-east-1", service: "aoss" } });
    const body = '{"create":{"_index":"cloudtrail-2013.12.07"}}\n{"a":1}\n';
    await client.request("POST", "/_bulk", body, "application/x-ndjson");
    const { request } = captured[0]!;
    assert.equal(request.headers.get("x-amz-content-sha256"), createHash("sha256").update(body).digest("hex"));
    const auth = request.headers.get("authorization")!;
    assert.match(auth, /\/us-east-1\/aoss\/aws4_request/);
    assert.ok(/SignedHeaders=[^,]*x-amz-content-sha256/.test(auth), auth);
  });

  test("service aoss with gzip: the hash is of the gzipped bytes", async () => {
    const { client, captured } = capturing({ url: "https://abc.us-east-1.aoss.amazonaws.com", gzipAbove: 10, aws: { credentials: CREDS, region: "us-east-1", service: "aoss" } });
    const body = JSON.stringify({ pad: "y".repeat(1000) });
    await client.request("PUT", "/_index_template/t", body);
    const { request, body: sent } = captured[0]!;
    assert.equal(request.headers.get("content-encoding"), "gzip");
    assert.equal(gunzipSync(sent).toString(), body);
    assert.equal(request.headers.get("x-amz-content-sha256"), createHash("sha256").update(sent).digest("hex"));
  });

  test("service aoss without a body: the hash of the empty string", async () => {
    const { client, captured } = capturing({ url: "https://abc.us-east-1.aoss.amazonaws.com", aws: { credentials: CREDS, region: "us-east-1", service: "aoss" } });
    await client.request("GET", "/_cat/indices");
    assert.equal(captured[0]!.request.headers.get("x-amz-content-sha256"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("SearchClient: responses", () => {
  test("request resolves with any status and the text", async () => {
    const { client } = capturing({ url: "http://search.local:9200" }, () => new Response('{"error":"x"}', { status: 500, headers: { "x-a": "b" } }));
    const r = await client.request("GET", "/");
    assert.equal(r.status, 500);
    assert.equal(r.text, '{"error":"x"}');
    assert.equal(r.headers.get("x-a"), "b");
  });

  test("json parses a 2xx and throws a SearchError with the reason otherwise, without credentials", async () => {
    const ok = capturing({ url: "http://search.local:9200" }, () => new Response('{"acknowledged":true}'));
    assert.deepEqual(await ok.client.json("PUT", "/_index_template/x", { a: 1 }), { acknowledged: true });
    assert.equal(new TextDecoder().decode(ok.captured[0]!.body), '{"a":1}');
    const bad = capturing({ url: "https://u:s3cretpw@search.local:9200" }, () => new Response('{"error":{"type":"security_exception","reason":"missing authentication"},"status":401}', { status: 401 }));
    await assert.rejects(bad.client.json("GET", "/"), (e: unknown) => {
      assert.ok(e instanceof SearchError, `expected SearchError, got ${String(e)}`);
      assert.equal(e.status, 401);
      assert.match(e.message, /HTTP 401 security_exception: missing authentication/);
      assert.equal(!e.message.includes("s3cretpw"), true);
      return true;
    });
  });

  test("network errors reject", async () => {
    const client = new SearchClient({ url: "http://search.local:9200", fetch: (async () => { throw new TypeError("fetch failed"); }) as typeof fetch });
    await assert.rejects(client.request("GET", "/"), /fetch failed/);
  });
});

describe("errorReason and redactUrl", () => {
  test("errorReason: type and reason, a string error, a message, or the start of the text", () => {
    assert.equal(errorReason('{"error":{"type":"mapper_parsing_exception","reason":"failed to parse"}}'), "mapper_parsing_exception: failed to parse");
    assert.equal(errorReason('{"error":{"reason":"only reason"}}'), "only reason");
    assert.equal(errorReason('{"error":"plain"}'), "plain");
    assert.equal(errorReason('{"message":"Forbidden"}'), "Forbidden");
    assert.equal(errorReason("<html>" + "x".repeat(500)), ("<html>" + "x".repeat(500)).slice(0, 200));
    assert.equal(errorReason(""), "");
  });

  test("redactUrl hides user and password", () => {
    assert.equal(redactUrl("https://user:secret@host:9200/path"), "https://***@host:9200/path");
    assert.equal(redactUrl("http://user@host"), "http://***@host");
    assert.equal(redactUrl("https://host:9200/a@b"), "https://host:9200/a@b");
    assert.equal(redactUrl("https://host:9200"), "https://host:9200");
  });
});

describe("SearchClient: redirects", () => {
  test("a redirect is never followed: the credentials and session token never reach the other host", async () => {
    const { createServer } = await import("node:http");
    const seen: string[] = [];
    const other = createServer((req, res) => {
      seen.push(JSON.stringify(req.headers));
      res.end("{}");
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const otherPort = (other.address() as { port: number }).port;
    const first = createServer((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/_bulk` });
      res.end();
    });
    await new Promise<void>((r) => first.listen(0, "127.0.0.1", r));
    const port = (first.address() as { port: number }).port;
    try {
      for (const target of [
        { url: `http://127.0.0.1:${port}`, apiKey: "secret-api-key" },
        { url: `http://127.0.0.1:${port}`, aws: { credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "s", sessionToken: "secret-token" }, region: "us-east-1", service: "es" as const } },
      ]) {
        const client = new SearchClient(target);
        await assert.rejects(client.request("POST", "/_bulk", "{}\n"), /answered HTTP 302 \(to http:\/\/127\.0\.0\.1:\d+\/_bulk\): trailpost does not follow redirects/);
      }
      assert.deepEqual(seen, [], "nothing reached the other host");
    } finally {
      first.close();
      other.close();
    }
  });
});
