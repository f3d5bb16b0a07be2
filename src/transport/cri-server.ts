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
import { Code, ConnectError, createConnectRouter, createContextValues } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { serveStream } from "./h2-stream-adapter.js";
import { installAuthorityGate } from "./authority-gate.js";
import type { AuthorityGateOptions } from "./authority-gate.js";
import { CrikitError } from "../errors.js";
import { createCriRoutes } from "./cri-routes.js";
import type { CriServices } from "./cri-routes.js";
import { createDiagnosticsInterceptor } from "./diagnostics.js";
import { createErrorInterceptor } from "./error-interceptor.js";
import { createLoggingInterceptor } from "./logging-interceptor.js";
import { defaultLogger } from "./logger.js";
import type { TransportLogger } from "./logger.js";
import { TransportMetrics, createMetricsInterceptor, grpcTypeOf, handledCodeKey } from "./metrics.js";
import { ReadinessGate, createReadinessInterceptor } from "./readiness-gate.js";
import { createRequestIdInterceptor, requestIdKey } from "./request-id.js";
import { listenUnixSocket, removeUnixSocket } from "./unix-socket.js";
import type { BoundUnixSocket, UnixSocketOptions } from "./unix-socket.js";

/**
 * The default maximum message size: 16 MiB, as the kubelet's CRI client and
 * containerd use.
 *
 * @public
 */
export const defaultMaxMessageBytes = 16 * 1024 * 1024;

/**
 * The optional TCP listener. It always uses TLS: plain-text TCP is refused,
 * since the CRI gives full control of the node.
 *
 * @public
 */
export interface CriServerTcpOptions {
  /** Port; 0 picks a free one (see {@link CriServer.tcpAddress}). */
  port: number;
  /**
   * Address to bind.
   * @defaultValue `"127.0.0.1"`
   */
  host?: string;
  /** PEM private key. Required. */
  key: string | Buffer;
  /** PEM certificate chain. Required. */
  cert: string | Buffer;
  /** PEM CA bundle to verify client certificates against (with `requireClientCert`). */
  ca?: string | Buffer;
  /**
   * Require and verify a client certificate (mutual TLS).
   * @defaultValue `false`
   */
  requireClientCert?: boolean;
}

/**
 * Options for {@link CriServer}.
 *
 * @public
 */
export interface CriServerOptions extends CriServices {
  /** Path of the unix socket, for instance `/run/crikit/crikit.sock`. */
  socketPath: string;
  /**
   * Mode and owner of the socket.
   * @defaultValue mode `0o660`, owner root:root when running as root
   */
  socket?: UnixSocketOptions;
  /**
   * Compress responses of at least this many bytes with gzip when the client
   * accepts it. Off by default: on a unix socket compression only costs CPU
   * on both ends (a 1,000-container ListContainers spent more time in gzip
   * than in the handler), and grpc-go clients such as the kubelet do not ask
   * for it. Compressed requests are accepted either way.
   * @defaultValue `Infinity` (never compress)
   */
  compressMinBytes?: number;
  /**
   * Largest request and response message, in bytes (sets both limits below
   * unless they are given).
   * @defaultValue {@link defaultMaxMessageBytes} (16 MiB)
   */
  maxMessageBytes?: number;
  /**
   * Largest request message, in bytes.
   * @defaultValue `maxMessageBytes`
   */
  readMaxBytes?: number;
  /**
   * Largest response message, in bytes.
   * @defaultValue `maxMessageBytes`
   */
  writeMaxBytes?: number;
  /** An additional TCP listener, TLS only. */
  tcp?: CriServerTcpOptions;
  /**
   * A pino-compatible logger.
   * @defaultValue {@link defaultLogger}: unexpected errors in handlers (not a `CrikitError`) go to stderr with
   *   the request ID and stack; with `NODE_DEBUG=crikit`, every line does, through `util.debuglog`
   */
  logger?: TransportLogger;
  /**
   * Where call metrics go.
   * @defaultValue a new {@link TransportMetrics}
   */
  metrics?: TransportMetrics;
  /**
   * Readiness: `true` serves at once; a promise opens the gate when it
   * resolves (if it rejects, the gate stays closed with reason
   * "recovery failed" and the error is logged); `false` waits for
   * {@link CriServer.setReady}.
   * @defaultValue `false`
   */
  ready?: boolean | PromiseLike<unknown>;
  /**
   * The reason clients see while not ready: `runtime is not ready: <reason>`.
   * @defaultValue `"recovering"`
   */
  notReadyReason?: string;
  /**
   * How long `close()` waits for calls in flight before aborting them.
   * @defaultValue `10000`
   */
  drainTimeoutMs?: number;
  /** Extra interceptors, run inside the built-in ones (closest to the handler). */
  interceptors?: Interceptor[];
}

/**
 * Options for {@link CriServer.close}.
 *
 * @public
 */
export interface CriServerCloseOptions {
  /**
   * Overrides the server's `drainTimeoutMs` for this close.
   */
  timeoutMs?: number;
}

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

    const endStreams = this.#endStreams.signal;
    const linkStreamShutdown: Interceptor = (next) => (req) =>
      req.stream ? next({ ...req, signal: AbortSignal.any([req.signal, endStreams]) }) : next(req);
    const router = createConnectRouter({
      grpc: true,
      grpcWeb: false,
      connect: false,
      acceptCompression: [compressionGzip],
      compressMinBytes: options.compressMinBytes ?? Number.POSITIVE_INFINITY,
      readMaxBytes,
      writeMaxBytes,
      shutdownSignal: this.#shutdown.signal,
      interceptors: [
        createRequestIdInterceptor(),
        createMetricsInterceptor(this.metrics),
        createDiagnosticsInterceptor(),
        createLoggingInterceptor({ logger: this.#logger }),
        linkStreamShutdown,
        createReadinessInterceptor(this.#gate),
        createErrorInterceptor(),
        ...(options.interceptors ?? []),
      ],
    });
    const services: CriServices = {};
    if (options.runtime !== undefined) services.runtime = options.runtime;
    if (options.image !== undefined) services.image = options.image;
    createCriRoutes(services)(router);
    const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));
    const logger = this.#logger;
    this.#handler = (stream, headers) => {
      const h = paths.get((headers[":path"] ?? "").split("?", 1)[0] ?? "");
      if (h === undefined) {
        answerUnknownPath(stream, headers);
        return;
      }
      const values = createContextValues();
      const onTrailer = (status: string | null, message: string) => {
        // The handler's result was recorded as OK but the response failed on
        // the wire (serialization, size limit): correct metrics and log it.
        const handled = values.get(handledCodeKey);
        if (handled !== "OK" || status === null || status === "0") return;
        const code = Code[Number(status)] ?? "Unknown";
        this.metrics.reclassify(h.service.typeName, h.method.name, grpcTypeOf(h.method.methodKind), "OK", code);
        logger.warn(
          { rpc: h.method.name, service: h.service.typeName, requestId: values.get(requestIdKey), code },
          `${h.method.name} failed after the handler returned: ${message}`,
        );
      };
      serveStream(async (req) => withFinalTrailer(await h(req), onTrailer), stream, headers, values).catch((reason: unknown) => {
        // The response could not be written, typically because the client went away.
        logger.debug({ rpc: h.method.name, err: reason }, `${h.method.name}: writing the response failed`);
      });
    };

    const ready = options.ready;
    if (ready !== undefined && typeof ready !== "boolean") {
      Promise.resolve(ready).then(
        () => this.setReady(),
        (err: unknown) => {
          this.#gate.setNotReady("recovery failed; see the runtime's log");
          this.#logger.error({ err }, "recovery failed: the CRI server stays not ready");
        },
      );
    }
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

/** Percent-encode a grpc-message value (gRPC over HTTP/2 spec). */
function grpcMessage(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) =>
    b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");
}

type UniversalResponse = UniversalServerResponse;

/**
 * connect-es percent-encodes `grpc-message` with `encodeURIComponent`, which
 * also escapes reserved characters such as ":" and "/". grpc-go decodes any
 * escape, but grpc-js decodes with `decodeURI`, which leaves "%3A" in the
 * message. Re-encode the trailer as the gRPC HTTP/2 spec says (only bytes
 * outside 0x20-0x7E, and "%"), which every client decodes, once the body has
 * ended and the trailer is final; then hand the final status to `onTrailer`.
 */
function withFinalTrailer(uRes: UniversalResponse, onTrailer: (status: string | null, message: string) => void): UniversalResponse {
  const { body, trailer } = uRes;
  if (body === undefined || trailer === undefined) return uRes;
  const fix = () => {
    const m = trailer.get("grpc-message");
    let raw = "";
    if (m !== null) {
      raw = m;
      try {
        raw = decodeURIComponent(m);
      } catch {
        // Not percent-encoded as expected: send it as is, minimally encoded.
      }
      trailer.set("grpc-message", grpcMessage(raw));
    }
    onTrailer(trailer.get("grpc-status"), raw);
  };
  return {
    ...uRes,
    body: {
      [Symbol.asyncIterator]() {
        const it = body[Symbol.asyncIterator]();
        const wrapped: AsyncIterator<Uint8Array> = {
          async next() {
            const r = await it.next();
            if (r.done === true) fix();
            return r;
          },
        };
        if (it.throw !== undefined) wrapped.throw = (e?: unknown) => it.throw!(e);
        if (it.return !== undefined) wrapped.return = (v?: unknown) => it.return!(v);
        return wrapped;
      },
    },
  };
}

/**
 * A request for a path no CRI method has (another API version, a typo):
 * answer a gRPC Unimplemented status (trailers-only), which gRPC clients
 * report as such, rather than an HTTP 404.
 */
function answerUnknownPath(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const path = (headers[":path"] ?? "").split("?", 1)[0] ?? "";
  stream.resume();
  stream.on("error", () => {});
  // One HEADERS frame with END_STREAM: a gRPC "trailers-only" response.
  stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-status": String(Code.Unimplemented),
      "grpc-message": grpcMessage(`unknown service or method "${path}": this server implements runtime.v1.RuntimeService and runtime.v1.ImageService`),
    },
    { endStream: true },
  );
}
