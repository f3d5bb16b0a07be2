/**
 * The CRI server: `runtime.v1` RuntimeService and ImageService served with
 * Connect over the gRPC protocol (only gRPC: no Connect or gRPC-Web), on
 * HTTP/2 cleartext over a unix socket (how the kubelet, crictl and grpc-js
 * connect: HTTP/2 with prior knowledge), and optionally on TCP with TLS.
 *
 * Lifetime:
 * ```
 *   new ──listen()──▶ listening ──close()──▶ closing ──▶ closed
 *                         │                    ▲            ▲
 *                         └──────destroy()─────┴────────────┘
 * ```
 * - `listen()` binds the socket (see `unix-socket.ts`); calling it again
 *   returns the same promise.
 * - Calls answer Unavailable "runtime is not ready: <reason>" until
 *   `setReady()` or the `ready` option's promise resolves.
 * - `close()` stops accepting connections, sends GOAWAY on every open HTTP/2
 *   session, answers new calls with Unavailable "runtime is shutting down",
 *   ends server streams (their handler signal aborts with that error), lets
 *   unary calls in flight finish for up to `drainTimeoutMs`, then aborts the
 *   handler signals of those left and drops their connections. Last, the
 *   socket file is removed. Idempotent: every call returns the same promise.
 * - `destroy()` does all of that at once: it aborts every handler signal,
 *   gives handlers 50 ms to answer (so those that honour the signal send
 *   Unavailable), then drops every connection. Idempotent; it also cuts
 *   short a `close()` in progress.
 *
 * Every connection passes the authority gate first (`authority-gate.ts`):
 * clients whose `:authority` node:http2 would refuse (grpc-go on a unix
 * socket sends the socket path: crictl, kubelets up to 1.30) are served
 * through a rewriter; the others get the socket itself, at no cost per call.
 *
 * Unary calls are served by the transport's own unary path
 * (`unary-fast-path.ts`: the same handlers and interceptors without
 * connect's streaming pipeline) unless `unaryFastPath` is `false`; streaming
 * calls and anything that path does not handle go through connect
 * (`cri-dispatch.ts`).
 *
 * Interceptor order, outermost first: request id, metrics, diagnostics
 * channel (`crikit:transport:call-end`), logging, stream
 * shutdown link, readiness gate, error conversion, then the `interceptors`
 * option, then the handler. So the log and the metrics see the final code of
 * every call, the gate covers unary and streaming calls alike, and errors
 * thrown by user interceptors are converted too.
 *
 * Handler signal: each method gets connect's `HandlerContext`; its `signal`
 * aborts when the client's deadline (`grpc-timeout`) passes, the client
 * cancels or disconnects, the call completes, or the server shuts down
 * (server streams at the start of `close()`, other calls when the drain
 * times out). Forward it to every waiting operation.
 *
 * Messages larger than `writeMaxBytes` (responses) or `readMaxBytes`
 * (requests) fail with ResourceExhausted. An oversized response is detected
 * when connect serializes it, after the interceptors have seen the handler
 * succeed; the server then reads the final trailer, moves the call's metric
 * from OK to the real code and logs a warning (the kubelet hits this with
 * very long container lists).
 *
 * @packageDocumentation
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { installAuthorityGate } from "./authority-gate.js";
import type { AuthorityGateOptions } from "./authority-gate.js";
import { CrikitError } from "../errors.js";
import { createCriDispatch } from "./cri-dispatch.js";
import { defaultMaxMessageBytes } from "./cri-server-options.js";
import type { CriServerCloseOptions, CriServerOptions } from "./cri-server-options.js";
import { defaultLogger } from "./logger.js";
import type { TransportLogger } from "./logger.js";
import { TransportMetrics } from "./metrics.js";
import { ReadinessGate } from "./readiness-gate.js";
import { listenUnixSocket, removeUnixSocket } from "./unix-socket.js";
import type { BoundUnixSocket } from "./unix-socket.js";

export { defaultMaxMessageBytes } from "./cri-server-options.js";
export type { CriServerCloseOptions, CriServerOptions, CriServerTcpOptions } from "./cri-server-options.js";

/** How long aborted handlers get to answer before their connections are dropped, after a drain timeout. */
const abortGraceMs = 250;
/** The same for `destroy()`: just long enough for handlers that honour their signal to send Unavailable. */
const destroyGraceMs = 50;

const shuttingDown = (): ConnectError => new ConnectError("runtime is shutting down", Code.Unavailable);

/**
 * A CRI gRPC server on a unix socket (and optionally TCP with TLS), gRPC
 * only (no Connect or gRPC-Web protocol).
 *
 * Lifetime: `new` → `listen()` → listening → `close()` → closed, or
 * `destroy()` from any state.
 * - `listen()` binds the socket ({@link listenUnixSocket}); calling it again
 *   returns the same promise.
 * - Calls answer Unavailable "runtime is not ready: <reason>" until
 *   {@link CriServer.setReady} or the `ready` option's promise resolves.
 * - `close()` stops accepting connections, sends GOAWAY, answers new calls
 *   with Unavailable "runtime is shutting down", ends server streams, lets
 *   unary calls in flight finish for up to `drainTimeoutMs`, then aborts the
 *   rest and removes the socket file. Idempotent.
 * - `destroy()` aborts every handler signal at once, gives handlers 50 ms to
 *   answer, then drops every connection. Idempotent.
 *
 * Each handler's `signal` aborts when the client's deadline passes, the
 * client cancels or disconnects, the call completes, or the server shuts
 * down. Messages over `readMaxBytes` or `writeMaxBytes` fail with
 * ResourceExhausted. Interceptors, outermost first: request id, metrics,
 * diagnostics channel, logging, readiness gate, error conversion, then the
 * `interceptors` option.
 *
 * @example
 * ```ts
 * await using server = new CriServer({ socketPath: "/run/crikit/crikit.sock", runtime, image, logger });
 * await server.listen();
 * await recover();
 * server.setReady();
 * ```
 *
 * @public
 */
export class CriServer {
  /** The call metrics registry. */
  readonly metrics: TransportMetrics;
  readonly #options: CriServerOptions;
  readonly #logger: TransportLogger;
  readonly #gate: ReadinessGate;
  readonly #shutdown = new AbortController();
  readonly #endStreams = new AbortController();
  readonly #sessions = new Set<http2.ServerHttp2Session>();
  readonly #handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;
  readonly #drainTimeoutMs: number;
  #servers: http2.Http2Server[] = [];
  #tcpServer: http2.Http2SecureServer | undefined;
  #bound: BoundUnixSocket | undefined;
  #listening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #forceClose: (() => void) | undefined;
  #forced = false;

  constructor(options: CriServerOptions) {
    if (typeof options.socketPath !== "string" || options.socketPath === "") {
      throw new CrikitError("InvalidArgument", "socketPath is required", { details: { field: "socketPath" } });
    }
    if (options.tcp !== undefined) {
      const { key, cert, port } = options.tcp;
      if (key === undefined || cert === undefined || key.length === 0 || cert.length === 0) {
        throw new CrikitError("InvalidArgument", "the TCP listener requires TLS: set tcp.key and tcp.cert (plain-text TCP is refused)", {
          details: { field: "tcp" },
        });
      }
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new CrikitError("InvalidArgument", `tcp.port must be an integer from 0 to 65535, got ${String(port)}`, {
          details: { field: "tcp.port" },
        });
      }
    }
    const max = options.maxMessageBytes ?? defaultMaxMessageBytes;
    const readMaxBytes = options.readMaxBytes ?? max;
    const writeMaxBytes = options.writeMaxBytes ?? max;
    for (const [field, v] of [
      ["readMaxBytes", readMaxBytes],
      ["writeMaxBytes", writeMaxBytes],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) {
        throw new CrikitError("InvalidArgument", `${field} must be an integer from 1 to 4294967295, got ${String(v)}`, { details: { field } });
      }
    }
    this.#options = options;
    this.#logger = options.logger ?? defaultLogger();
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.metrics = options.metrics ?? new TransportMetrics();
    this.#gate = new ReadinessGate({ ready: options.ready === true, reason: options.notReadyReason ?? "recovering" });

    this.#handler = createCriDispatch({
      services: { ...(options.runtime === undefined ? {} : { runtime: options.runtime }), ...(options.image === undefined ? {} : { image: options.image }) },
      logger: this.#logger,
      metrics: this.metrics,
      gate: this.#gate,
      shutdownSignal: this.#shutdown.signal,
      endStreamsSignal: this.#endStreams.signal,
      readMaxBytes,
      writeMaxBytes,
      compressMinBytes: options.compressMinBytes ?? Number.POSITIVE_INFINITY,
      interceptors: options.interceptors ?? [],
      unaryFastPath: options.unaryFastPath !== false,
    });

    const ready = options.ready;
    if (ready !== undefined && typeof ready !== "boolean" && typeof ready !== "function") this.#openWhen(ready);
  }

  /** Open the gate when `ready` resolves; if it rejects, keep it closed and log why. */
  #openWhen(ready: PromiseLike<unknown>): void {
    Promise.resolve(ready).then(
      () => this.setReady(),
      (err: unknown) => {
        this.#gate.setNotReady("recovery failed; see the runtime's log");
        this.#logger.error({ err }, "recovery failed: the CRI server stays not ready");
      },
    );
  }

  /** The unix socket path. */
  get socketPath(): string {
    return this.#options.socketPath;
  }

  /** The TCP listener's address once listening, else `undefined`. */
  get tcpAddress(): AddressInfo | undefined {
    const a = this.#tcpServer?.address();
    return a !== null && typeof a === "object" ? a : undefined;
  }

  /** Whether calls are served (ready and not closing). */
  get isReady(): boolean {
    return this.#gate.isReady;
  }

  /** Resolves once the server is ready (or closing). */
  whenReady(): Promise<void> {
    return this.#gate.whenReady();
  }

  /** Open the readiness gate: calls are served from now on. No effect once closing. */
  setReady(): void {
    if (!this.#gate.isReady && this.#gate.state === "not-ready") this.#logger.info({}, "CRI server is ready");
    this.#gate.setReady();
  }

  /** Close the readiness gate again; clients see `runtime is not ready: <reason>`. */
  setNotReady(reason: string): void {
    this.#gate.setNotReady(reason);
  }

  /**
   * Bind the unix socket (and the TLS listener). Idempotent: later calls
   * return the first call's promise.
   *
   * @throws CrikitError `AlreadyExists` when a live server holds the socket,
   * `FailedPrecondition` when the path is not a socket or the server was closed.
   */
  listen(): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new CrikitError("FailedPrecondition", "the CRI server was closed; create a new one"));
    }
    if (this.#listening !== undefined) return this.#listening;
    this.#listening = this.#doListen();
    return this.#listening;
  }

  async #doListen(): Promise<void> {
    const h2 = { maxSessionMemory: 64, settings: { maxConcurrentStreams: 1000 } };
    const gate: AuthorityGateOptions = { onHandover: (how, authority) => this.#logger.debug({ how, authority }, "HTTP/2 connection") };
    const unix = http2.createServer(h2);
    installAuthorityGate(unix, "connection", gate);
    unix.on("stream", this.#handler);
    this.#track(unix);
    this.#bound = await listenUnixSocket(unix, this.#options.socketPath, this.#options.socket);
    if (this.#bound.replacedStale) this.#logger.warn({ socket: this.#bound.path }, "replaced a stale socket left by a server that is gone");
    this.#servers.push(unix);
    const tcp = this.#options.tcp;
    if (tcp !== undefined) {
      const secure = http2.createSecureServer(
        {
          ...h2,
          key: tcp.key,
          cert: tcp.cert,
          ...(tcp.ca === undefined ? {} : { ca: tcp.ca }),
          requestCert: tcp.requireClientCert === true,
          rejectUnauthorized: tcp.requireClientCert === true,
          allowHTTP1: false,
        },
      );
      installAuthorityGate(secure, "secureConnection", gate);
      secure.on("stream", this.#handler);
      this.#track(secure);
      try {
        await new Promise<void>((resolve, reject) => {
          secure.once("error", reject);
          secure.listen(tcp.port, tcp.host ?? "127.0.0.1", () => {
            secure.off("error", reject);
            resolve();
          });
        });
      } catch (e) {
        await closeServer(unix);
        await removeUnixSocket(this.#bound);
        throw e;
      }
      this.#servers.push(secure);
      this.#tcpServer = secure;
    }
    this.#logger.info({ socket: this.#options.socketPath, tcp: this.tcpAddress }, "CRI server listening");
    const ready = this.#options.ready;
    if (typeof ready === "function") this.#openWhen(new Promise((resolve) => resolve(ready())));
  }

  #track(server: http2.Http2Server | http2.Http2SecureServer): void {
    server.on("session", (session: http2.ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once("close", () => this.#sessions.delete(session));
      session.on("error", (err) => this.#logger.debug({ err }, "HTTP/2 session error"));
      if (this.#closing !== undefined) session.close();
    });
    server.on("sessionError", (err) => this.#logger.debug({ err }, "HTTP/2 session error"));
    server.on("error", (err) => this.#logger.error({ err }, "CRI server error"));
  }

  /**
   * Shut down gracefully (see {@link CriServer} for the steps). Idempotent: every call
   * returns the same promise.
   */
  close(options: CriServerCloseOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#gate.setClosing();
    this.#closing = this.#doClose(options.timeoutMs ?? this.#drainTimeoutMs);
    return this.#closing;
  }

  /**
   * Shut down at once: abort every handler signal, give handlers 50 ms to
   * answer, drop every connection, remove the socket. Idempotent; also cuts short a `close()` in progress.
   */
  destroy(reason?: unknown): Promise<void> {
    this.#forced = true;
    this.#gate.setClosing();
    const err = reason instanceof ConnectError ? reason : shuttingDown();
    if (!this.#endStreams.signal.aborted) this.#endStreams.abort(err);
    if (!this.#shutdown.signal.aborted) this.#shutdown.abort(err);
    for (const s of this.#sessions) if (!s.closed) s.close();
    this.#forceClose?.();
    return this.close({ timeoutMs: 0 });
  }

  /** `await using` support: same as {@link CriServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #doClose(timeoutMs: number): Promise<void> {
    await this.#listening?.catch(() => {});
    this.#logger.info({ sessions: this.#sessions.size }, "CRI server closing");
    if (!this.#endStreams.signal.aborted) this.#endStreams.abort(shuttingDown());
    const drained = Promise.all(this.#servers.map(closeServer));
    for (const s of this.#sessions) if (!s.closed) s.close();
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<"forced">((resolve) => {
      this.#forceClose = () => resolve("forced");
      timer = setTimeout(() => resolve("forced"), this.#forced ? 0 : timeoutMs);
    });
    const outcome = await Promise.race([drained.then(() => "drained" as const), forced]);
    clearTimeout(timer);
    if (outcome !== "drained") {
      if (this.#sessions.size > 0) {
        this.#logger.warn({ sessions: this.#sessions.size, timeoutMs }, "CRI server drain timed out; aborting calls in flight");
      }
      if (!this.#shutdown.signal.aborted) this.#shutdown.abort(shuttingDown());
      if (this.#sessions.size > 0) await Promise.race([drained, sleep(this.#forced ? destroyGraceMs : abortGraceMs)]);
      for (const s of this.#sessions) s.destroy();
      await drained;
    }
    if (this.#bound !== undefined) await removeUnixSocket(this.#bound);
    this.#logger.info({}, "CRI server closed");
  }
}

function closeServer(server: http2.Http2Server | http2.Http2SecureServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
