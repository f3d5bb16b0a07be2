/**
 * Test support: an HTTP proxy on 127.0.0.1 in front of a test registry that
 * counts requests by path and can cut a response mid-body (the socket is
 * destroyed after half the bytes), to simulate a connection reset.
 */
import { createServer, request, type Server } from "node:http";

export interface TestProxy {
  host: string;
  /** GET counts by URL path. */
  counts: Map<string, number>;
  /** Paths whose next N responses are cut mid-body. */
  cut: Map<string, number>;
  /** Paths whose next N requests are answered 503 without reaching the registry. */
  unavailable: Map<string, number>;
  close(): Promise<void>;
}

export async function startProxy(upstream: string): Promise<TestProxy> {
  const counts = new Map<string, number>();
  const cut = new Map<string, number>();
  const unavailable = new Map<string, number>();
  const [uhost, uport] = upstream.split(":");
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET") counts.set(path, (counts.get(path) ?? 0) + 1);
    const fails = unavailable.get(path) ?? 0;
    if (fails > 0) {
      unavailable.set(path, fails - 1);
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("try again");
      return;
    }
    const up = request({ host: uhost, port: Number(uport), method: req.method, path: req.url, headers: { ...req.headers, host: upstream } }, (ur) => {
      const cutsLeft = cut.get(path) ?? 0;
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (cutsLeft > 0 && req.method === "GET" && ur.statusCode === 200) {
        cut.set(path, cutsLeft - 1);
        const total = Number(ur.headers["content-length"] ?? 0);
        let sent = 0;
        ur.on("data", (c: Buffer) => {
          if (sent >= total / 2) return;
          const part = c.subarray(0, Math.max(0, Math.ceil(total / 2) - sent));
          sent += part.byteLength;
          res.write(part);
          if (sent >= total / 2) {
            ur.destroy();
            setTimeout(() => res.socket?.destroy(), 20);
          }
        });
        return;
      }
      ur.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    counts,
    cut,
    unavailable,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
