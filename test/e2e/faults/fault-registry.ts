/**
 * A loopback registry of the fault tests' own: it serves one OCI layout
 * (manifests by tag or digest, blobs by digest) and, when told, cuts the
 * connection half-way through one blob (`cut`) or stops listening at that
 * point (`gone`), as a registry that goes away in the middle of a pull.
 */
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** What the server does when the chosen blob is asked for. */
export type FaultMode = "ok" | "cut" | "gone";

/** A running fault registry. */
export interface FaultRegistry {
  /** `127.0.0.1:PORT`. */
  host: string;
  mode: FaultMode;
  /** The blob the faults hit. */
  faultBlob: string;
  /** How many times the fault blob was asked for. */
  faultHits: number;
  /** Listens again on the same port (after `gone`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Serves the OCI layout at `layoutDir`; tags are read from its index.json. */
export async function startFaultRegistry(layoutDir: string, faultBlob: string): Promise<FaultRegistry> {
  const index = JSON.parse(await readFile(join(layoutDir, "index.json"), "utf8")) as { manifests: { digest: string; mediaType: string; annotations?: Record<string, string> }[] };
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const reg: FaultRegistry = {
    host: "",
    mode: "ok",
    faultBlob,
    faultHits: 0,
    async restart() {
      await listen();
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const blob = (digest: string): Promise<Buffer> => readFile(join(layoutDir, "blobs", "sha256", digest.replace(/^sha256:/, "")));
  const handler = async (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): Promise<void> => {
    const url = req.url ?? "/";
    if (url === "/v2/" || url === "/v2") {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/?]+)$/.exec(url);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [, , kind, ref = ""] = m;
    if (kind === "manifests") {
      const desc = index.manifests.find((d) => d.digest === ref || d.annotations?.["org.opencontainers.image.ref.name"] === ref);
      if (!desc) {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "unknown" }] }));
        return;
      }
      const body = await blob(desc.digest);
      res.writeHead(200, { "content-type": desc.mediaType, "content-length": body.byteLength, "docker-content-digest": desc.digest });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    let body: Buffer;
    try {
      body = await blob(ref);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.byteLength, "docker-content-digest": ref });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    if (ref !== faultBlob || reg.mode === "ok") {
      res.end(body);
      return;
    }
    reg.faultHits++;
    // Half the blob, then the connection (and for "gone" the whole server) goes away.
    res.write(body.subarray(0, body.byteLength >> 1), () => {
      setTimeout(() => {
        if (reg.mode === "gone") void reg.stop();
        else req.socket.destroy();
      }, 50);
    });
  };
  const listen = async (): Promise<void> => {
    server = createServer((req, res) => {
      handler(req, res).catch(() => res.destroy());
    });
    server.on("connection", (s) => {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    port = (server.address() as import("node:net").AddressInfo).port;
    reg.host = `127.0.0.1:${port}`;
  };
  await listen();
  return reg;
}
