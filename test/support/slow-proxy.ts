/**
 * An HTTP proxy to the engine that holds each `_bulk` request `delayMs` before passing it on (other requests go at
 * once), so that a run lasts long enough to be watched or interrupted. Test-only code: it uses node:http.
 *
 * ```ts
 * const proxy = await slowProxy(stack.search, 120);   // ES_URL: proxy.url
 * proxy.bulkRequests;                                  // how many _bulk requests came
 * await proxy.close();
 * ```
 */
import { createServer, request } from "node:http";

export interface SlowProxy {
  url: string;
  readonly bulkRequests: number;
  close(): Promise<void>;
}

export function slowProxy(target: string, delayMs: number): Promise<SlowProxy> {
  const to = new URL(target);
  const timers = new Set<NodeJS.Timeout>();
  const upstreams = new Set<ReturnType<typeof request>>();
  let bulkRequests = 0;
  const server = createServer((req, res) => {
    const bulk = req.url?.startsWith("/_bulk") ?? false;
    if (bulk) bulkRequests++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (res.destroyed) return;
      const upstream = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, connection: "close" }, agent: false }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstreams.add(upstream);
      upstream.on("close", () => upstreams.delete(upstream));
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    }, bulk ? delayMs : 0);
    timers.add(timer);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        get bulkRequests() {
          return bulkRequests;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const timer of timers) clearTimeout(timer);
            for (const upstream of upstreams) upstream.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
