/**
 * The streaming server of Exec, Attach and PortForward: an HTTP (or HTTPS)
 * server on its own address that the RPCs' URLs point to.
 *
 * ```
 * RPC (validated) ── getExec/getAttach/getPortForward ──▶ <base>/exec|attach|portforward/<token>
 * client ── HTTP upgrade of that URL ──▶ token taken (single use)
 *        ├─ Upgrade: SPDY/3.1   X-Stream-Protocol-Version negotiated → 101 → SPDY session
 *        └─ Upgrade: websocket  Sec-WebSocket-Protocol negotiated (ws) → channels
 *        ──▶ StreamingRuntime.exec / attach / portForward with plain Node streams
 * ```
 *
 * HTTP answers before any stream: an unknown or already used token 404, an
 * expired one 410, a token of another kind (an exec token on `/attach/`)
 * 404, a request without an upgrade 400, no common sub-protocol 403 with
 * `X-Accepted-Stream-Protocol-Versions` (SPDY) or the handshake refused
 * (WebSocket). The token is spent by the first request that names it,
 * whatever becomes of it.
 *
 * Timeouts: the client must open its streams within
 * `streamCreationTimeoutMs` (30 s); a connection with no traffic for
 * `idleTimeoutMs` (4 h) is closed. `close()` stops listening, aborts every
 * session (the runtime's `signal` fires), waits for them to settle (at
 * most `closeTimeoutMs`, 10 s) and closes the connections.
 *
 * Its options and the RPC fields it takes are in ./streaming-options.ts.
 *
 * @packageDocumentation
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type * as Ws from "ws";
import type { WebSocketServer } from "ws";
import { lazyRequire } from "../lazy.js";

/** ws, loaded by the first WebSocket upgrade. */
const ws = lazyRequire<typeof Ws>("ws");
import { CrikitError, invalidArgument } from "../errors.js";
import { validateStreams, type AttachInit, type ExecInit, type PortForwardInit, type StreamingServerOptions, type StreamingTlsOptions } from "./streaming-options.js";
import { silentLogger, type StreamingLogger } from "./logger.js";
import {
  AsyncQueue,
  SPDY_PORT_FORWARD_PROTOCOL,
  SPDY_REMOTE_COMMAND_PROTOCOLS,
  negotiateProtocol,
  type StreamAttachRequest,
  type StreamExecRequest,
  type StreamPortForwardRequest,
  type StreamRequest,
} from "./protocol.js";
import { RequestCache } from "./request-cache.js";
import type { StreamingRuntime } from "./runtime.js";
import { serveSpdyPortForward, serveSpdyRemoteCommand, type SessionContext } from "./spdy-handlers.js";
import { SpdySession, type SpdyStream } from "./spdy-session.js";
import { selectWebSocketProtocol, serveWebSocket } from "./websocket-handlers.js";

const KIND_PATHS = { exec: "exec", attach: "attach", portforward: "portforward" } as const;

function rejectHttp(socket: Duplex, status: number, reason: string, body: string, headers: Record<string, string> = {}): void {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  const text = `${body}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n${extra}\r\n${text}`);
  socket.once("finish", () => socket.destroy());
}

/**
 * The streaming server (see the file header).
 *
 * @example
 * ```ts
 * const streaming = new StreamingServer({ runtime: myStreamingRuntime });
 * await streaming.listen();
 * const { url } = streaming.getExec({ containerId, cmd: ["sh"], stdin: true, stdout: true, tty: true });
 * ```
 *
 * @public
 */
export class StreamingServer {
  readonly #runtime: StreamingRuntime;
  readonly #address: string;
  readonly #port: number;
  readonly #tls: StreamingTlsOptions | undefined;
  readonly #baseUrlOption: string | undefined;
  readonly #cache: RequestCache<StreamRequest>;
  readonly #streamCreationTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #log: StreamingLogger;
  readonly #server: Server;
  readonly #chosen = new WeakMap<IncomingMessage, string>();
  #wssInstance: WebSocketServer | undefined;

  /** The WebSocket side, made with the first WebSocket upgrade. */
  #wss(): WebSocketServer {
    this.#wssInstance ??= new (ws().WebSocketServer)({ noServer: true, perMessageDeflate: false, handleProtocols: (_offered, req) => this.#chosen.get(req) || false });
    return this.#wssInstance;
  }
  readonly #sockets = new Set<Duplex>();
  readonly #sessions = new Set<Promise<void>>();
  readonly #lifetime = new AbortController();
  #baseUrl: string | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: StreamingServerOptions) {
    this.#runtime = options.runtime;
    this.#address = options.address ?? "127.0.0.1";
    this.#port = options.port ?? 0;
    this.#tls = options.tls;
    this.#baseUrlOption = options.baseUrl?.replace(/\/+$/, "");
    this.#cache = new RequestCache({ ttlMs: options.tokenTtlMs ?? 60_000, maxPending: options.maxPendingTokens ?? 1000 });
    this.#streamCreationTimeoutMs = options.streamCreationTimeoutMs ?? 30_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 4 * 60 * 60 * 1000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.#log = options.logger ?? silentLogger;
    const server = this.#tls ? createHttpsServer({ cert: this.#tls.cert, key: this.#tls.key }) : createHttpServer();
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    if (this.#tls) {
      server.on("secureConnection", (socket: Socket) => {
        this.#sockets.add(socket);
        socket.once("close", () => this.#sockets.delete(socket));
      });
    }
    server.on("request", (req, res) => {
      const { status, reason, body } = this.#plainAnswer(req.url ?? "/");
      res.writeHead(status, reason, { "Content-Type": "text/plain; charset=utf-8", Connection: "close" }).end(`${body}\n`);
    });
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    server.on("clientError", (_err, socket: Duplex) => socket.destroy());
    this.#server = server;
  }

  /** Starts listening; resolves once bound. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#port, this.#address, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    const addr = this.#server.address() as AddressInfo;
    let host = addr.address;
    if (host === "0.0.0.0") host = "127.0.0.1";
    if (host === "::") host = "::1";
    if (host.includes(":")) host = `[${host}]`;
    this.#baseUrl = this.#baseUrlOption ?? `${this.#tls ? "https" : "http"}://${host}:${addr.port}`;
    this.#log.info({ url: this.#baseUrl }, "streaming server listening");
  }

  /** The base URL (`http://127.0.0.1:PORT`); set once listening. */
  get baseUrl(): string {
    if (this.#baseUrl === undefined) throw new Error("the streaming server is not listening yet");
    return this.#baseUrl;
  }

  /** The port it listens on (once listening). */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /**
   * A URL for an exec session.
   * @throws `InvalidArgument` for an empty command, no stream, or tty with stderr; `ResourceExhausted` when too many tokens wait.
   */
  getExec(req: ExecInit): { url: string } {
    if (req.containerId === "") throw invalidArgument("container_id is empty", "container_id");
    if (req.cmd.length === 0) throw invalidArgument("cmd is empty", "cmd");
    validateStreams(req);
    const r: StreamExecRequest = { kind: "exec", containerId: req.containerId, cmd: [...req.cmd], tty: !!req.tty, stdin: !!req.stdin, stdout: !!req.stdout, stderr: !!req.stderr && !req.tty };
    return { url: this.#url("exec", r) };
  }

  /** A URL for an attach session (validation as {@link StreamingServer.getExec}). */
  getAttach(req: AttachInit): { url: string } {
    if (req.containerId === "") throw invalidArgument("container_id is empty", "container_id");
    validateStreams(req);
    const r: StreamAttachRequest = { kind: "attach", containerId: req.containerId, tty: !!req.tty, stdin: !!req.stdin, stdout: !!req.stdout, stderr: !!req.stderr && !req.tty };
    return { url: this.#url("attach", r) };
  }

  /** A URL for a port-forward session. @throws `InvalidArgument` for a port outside 1-65535. */
  getPortForward(req: PortForwardInit): { url: string } {
    if (req.podSandboxId === "") throw invalidArgument("pod_sandbox_id is empty", "pod_sandbox_id");
    const ports = [...(req.port ?? [])];
    for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidArgument(`port ${p} is not in 1-65535`, "port");
    const r: StreamPortForwardRequest = { kind: "portforward", podSandboxId: req.podSandboxId, ports };
    const url = this.#url("portforward", r);
    // The client connects next: let the runtime warm up meanwhile (its failures show on the connections).
    void Promise.resolve()
      .then(() => this.#runtime.preparePortForward?.(req.podSandboxId))
      .catch((err: unknown) => this.#log.debug({ podSandboxId: req.podSandboxId, err: String(err) }, "streaming: port-forward warm-up failed"));
    return { url };
  }

  /** Sessions running now. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Open connections (sessions and plain requests). */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** Tokens held (pending, and expired ones not yet swept). */
  get pendingTokens(): number {
    return this.#cache.size;
  }

  /**
   * Stops listening, aborts every session, waits for them to settle (at
   * most `closeTimeoutMs`) and closes every connection; idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const listening = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#lifetime.abort(new Error("the streaming server is closing"));
      this.#cache.clear();
      // The runtime settles on abort; one that does not gets its connections cut after closeTimeoutMs anyway.
      let timer: NodeJS.Timeout | undefined;
      const settled = Promise.allSettled([...this.#sessions]);
      await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#closeTimeoutMs)))]);
      clearTimeout(timer);
      for (const s of this.#sockets) s.destroy();
      this.#wssInstance?.close();
      await listening;
    })();
    return this.#closed;
  }

  /** Same as {@link StreamingServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #url(kind: keyof typeof KIND_PATHS, r: StreamRequest): string {
    if (this.#closed) throw new CrikitError("Unavailable", "the streaming server is closed");
    const token = this.#cache.insert(r);
    return `${this.baseUrl}/${KIND_PATHS[kind]}/${token}`;
  }

  /** Parses `/kind/token`; the token is spent. */
  #take(url: string): { ok: true; req: StreamRequest } | { ok: false; status: number; reason: string; body: string } {
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)\/?(?:\?.*)?$/.exec(url);
    if (!m) return { ok: false, status: 404, reason: "Not Found", body: "not found" };
    const t = this.#cache.take(m[2] as string);
    if (!t.ok) {
      return t.reason === "expired"
        ? { ok: false, status: 410, reason: "Gone", body: "the streaming token has expired" }
        : { ok: false, status: 404, reason: "Not Found", body: "unknown or already used streaming token" };
    }
    if (t.value.kind !== m[1]) return { ok: false, status: 404, reason: "Not Found", body: "unknown or already used streaming token" };
    return { ok: true, req: t.value };
  }

  #plainAnswer(url: string): { status: number; reason: string; body: string } {
    const t = this.#take(url);
    if (!t.ok) return t;
    return { status: 400, reason: "Bad Request", body: "an upgrade to SPDY/3.1 or websocket is required" };
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => {});
    const t = this.#take(req.url ?? "/");
    if (!t.ok) {
      rejectHttp(socket, t.status, t.reason, t.body);
      return;
    }
    const upgrade = (req.headers.upgrade ?? "").toLowerCase();
    if (upgrade === "websocket") {
      this.#upgradeWebSocket(req, socket, head, t.req);
      return;
    }
    if (!upgrade.startsWith("spdy/3")) {
      rejectHttp(socket, 400, "Bad Request", `unsupported upgrade ${JSON.stringify(req.headers.upgrade ?? "")}`);
      return;
    }
    const offered = (req.headersDistinct["x-stream-protocol-version"] ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
    const supported: readonly string[] = t.req.kind === "portforward" ? [SPDY_PORT_FORWARD_PROTOCOL] : SPDY_REMOTE_COMMAND_PROTOCOLS;
    const protocol = offered.length === 0 ? supported[supported.length - 1] : negotiateProtocol(offered, supported);
    if (protocol === undefined) {
      rejectHttp(socket, 403, "Forbidden", `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(supported)}`, {
        "X-Accepted-Stream-Protocol-Versions": supported.join(", "),
      });
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
    const streams = new AsyncQueue<SpdyStream>();
    const session = new SpdySession(socket, {
      isServer: true,
      onStream: (s) => {
        // Stream failures surface through the session and the runtime's streams.
        s.on("error", () => {});
        streams.push(s);
      },
    });
    session.once("close", () => streams.end());
    const ctx = this.#sessionContext(socket, () => session.destroy());
    const run =
      t.req.kind === "portforward" ? serveSpdyPortForward(t.req, ctx.ctx, streams) : serveSpdyRemoteCommand(session, protocol, t.req, ctx.ctx, streams);
    session.feed(head);
    this.#track(
      run.finally(() => {
        ctx.done();
        session.destroy();
      }),
      t.req,
      `spdy ${protocol}`,
    );
  }

  #upgradeWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, r: StreamRequest): void {
    const offered = (req.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    const protocol = selectWebSocketProtocol(r.kind, offered);
    if (protocol === undefined) {
      rejectHttp(socket, 400, "Bad Request", `unable to negotiate a WebSocket sub-protocol among ${JSON.stringify(offered)}`);
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    this.#chosen.set(req, protocol);
    this.#wss().handleUpgrade(req, socket, head, (ws) => {
      const ctx = this.#sessionContext(socket, () => ws.terminate());
      const run = serveWebSocket(ws, protocol, r, url.searchParams, ctx.ctx);
      this.#track(
        run.finally(() => {
          ctx.done();
          ws.terminate();
        }),
        r,
        `websocket ${protocol || "(none)"}`,
      );
    });
  }

  /** The per-session abort signal: client gone, idle, or server closing. */
  #sessionContext(socket: Duplex, kill: () => void): { ctx: SessionContext; done: () => void } {
    const ac = new AbortController();
    const onServerClose = (): void => {
      ac.abort(this.#lifetime.signal.reason);
      kill();
    };
    this.#lifetime.signal.addEventListener("abort", onServerClose, { once: true });
    const onClose = (): void => ac.abort(new Error("the client went away"));
    socket.once("close", onClose);
    const s = socket as Socket;
    if (typeof s.setTimeout === "function") {
      s.setTimeout(this.#idleTimeoutMs, () => {
        this.#log.info({}, "streaming: closing an idle connection");
        ac.abort(new Error("idle timeout"));
        kill();
      });
    }
    return {
      ctx: { runtime: this.#runtime, signal: ac.signal, streamCreationTimeoutMs: this.#streamCreationTimeoutMs, log: this.#log },
      done: () => {
        this.#lifetime.signal.removeEventListener("abort", onServerClose);
        socket.off("close", onClose);
        if (typeof s.setTimeout === "function") s.setTimeout(0);
        if (!ac.signal.aborted) ac.abort(new Error("session over"));
      },
    };
  }

  #track(run: Promise<void>, r: StreamRequest, how: string): void {
    const id = r.kind === "portforward" ? r.podSandboxId : r.containerId;
    this.#log.debug({ kind: r.kind, id, how }, "streaming session started");
    const p = run.then(
      () => this.#log.debug({ kind: r.kind, id }, "streaming session ended"),
      (err: unknown) => this.#log.warn({ kind: r.kind, id, err: String(err) }, "streaming session failed"),
    );
    this.#sessions.add(p);
    void p.finally(() => this.#sessions.delete(p));
  }
}
