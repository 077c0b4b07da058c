/**
 * A loopback HTTP proxy in front of a real server (LocalStack), for the failures a network and a server cause:
 * per request it can cut the connection after some bytes of the answer's body, rewrite the body (a listing page),
 * answer itself, or hold the request unanswered (and see when the client gives up); and it can close any connection
 * that has been idle for a while (as S3 closes connections it waits on). Requests go upstream byte for byte: the raw
 * path, every header (so signatures stay valid). Test-only code: it uses node:http.
 *
 * ```ts
 * const proxy = await httpProxy(4566, (r) => (r.method === "GET" && r.attempt <= 2 ? { cutAfter: 1000 } : undefined));
 * const s3 = new S3({ credentials, region, endpoint: proxy.url });
 * await proxy.close();
 * ```
 */
import { createServer, request as upstream, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";

export interface Seen {
  method: string;
  /** The raw request target: path and query as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** How many times this method and path (without query) has been requested, this one included. */
  attempt: number;
  /** The status and headers of the answer passed on (set once it starts). */
  answered?: { status: number; headers: IncomingHttpHeaders };
  /** A held request (`hold`) whose client closed the connection: it gave up waiting (an aborted fetch). */
  clientClosed?: boolean;
}

export interface Misbehaviour {
  /** Close the connection after this many bytes of the body. */
  cutAfter?: number;
  /** Replace the whole body (Content-Length adjusted). */
  rewrite?: (body: string) => string;
  /** Answer this instead of asking upstream. */
  answer?: { status: number; headers?: Record<string, string>; body?: string };
  /** Never answer: the request waits until the client closes the connection (or the proxy closes). */
  hold?: boolean;
}

export interface Proxy {
  url: string;
  seen: Seen[];
  /** Connections closed for idling. */
  idleClosed: number;
  close(): Promise<void>;
}

export async function httpProxy(targetPort: number, policy: (request: Seen) => Misbehaviour | undefined = () => undefined, options: { idleCloseMs?: number } = {}): Promise<Proxy> {
  const seen: Seen[] = [];
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const proxy: Proxy = { url: "", seen, idleClosed: 0, close: async () => {} };
  const server = createServer((req, res) => {
    const path = `${req.method} ${(req.url ?? "").split("?")[0]}`;
    const attempt = (attempts.get(path) ?? 0) + 1;
    attempts.set(path, attempt);
    const info: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, attempt };
    seen.push(info);
    const misbehave = policy(info);
    if (misbehave?.hold) {
      req.resume();
      res.on("close", () => (info.clientClosed = true));
      return;
    }
    if (misbehave?.answer) {
      req.resume();
      res.writeHead(misbehave.answer.status, misbehave.answer.headers ?? {});
      res.end(misbehave.answer.body ?? "");
      return;
    }
    const forward = upstream({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer: IncomingMessage) => {
      if (misbehave?.rewrite) {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => {
          const body = Buffer.from(misbehave.rewrite!(Buffer.concat(chunks).toString("utf8")), "utf8");
          info.answered = { status: answer.statusCode ?? 502, headers: answer.headers };
          res.writeHead(answer.statusCode ?? 502, { ...answer.headers, "content-length": String(body.length) });
          res.end(body);
        });
        return;
      }
      info.answered = { status: answer.statusCode ?? 502, headers: answer.headers };
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (misbehave?.cutAfter === undefined) return void answer.pipe(res);
      let sent = 0;
      const limit = misbehave.cutAfter;
      answer.on("data", (chunk: Buffer) => {
        if (sent >= limit) return;
        const part = chunk.subarray(0, limit - sent);
        sent += part.length;
        const socket = res.socket;
        // mid-body, once the bytes before the cut are on their way: the client sees the connection end early
        res.write(part, () => sent >= limit && socket?.destroy());
        if (sent >= limit) answer.destroy();
      });
      answer.on("end", () => res.end());
    });
    forward.on("error", () => res.socket?.destroy());
    req.pipe(forward);
  });
  const activity = new Map<Socket, { read: number; flushed: number; since: number }>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    activity.set(socket, { read: 0, flushed: 0, since: Date.now() });
    socket.on("close", () => (sockets.delete(socket), activity.delete(socket)));
  });
  // idle: nothing read from the client and nothing flushed to it (a body it does not read, or keep-alive)
  const watch = options.idleCloseMs
    ? setInterval(() => {
        const now = Date.now();
        for (const [socket, last] of activity) {
          const read = socket.bytesRead;
          const flushed = socket.bytesWritten - socket.writableLength;
          if (read !== last.read || flushed !== last.flushed) activity.set(socket, { read, flushed, since: now });
          else if (now - last.since > options.idleCloseMs!) {
            proxy.idleClosed++;
            activity.delete(socket);
            socket.destroy();
          }
        }
      }, 50)
    : undefined;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      clearInterval(watch);
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
