/**
 * The options of {@link CriServer}.
 *
 * @packageDocumentation
 */
import type { Interceptor } from "@connectrpc/connect";
import type { CriServices } from "./cri-routes.js";
import type { TransportLogger } from "./logger.js";
import type { TransportMetrics } from "./metrics.js";
import type { UnixSocketOptions } from "./unix-socket.js";

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
   * "recovery failed" and the error is logged); a function is called once
   * the socket is bound and its promise is used so (give
   * `() => service.recover()`, so that the service's recovery, which
   * its in-process callers wait for too, is the one source of readiness,
   * and starts only once this server holds the socket); `false` waits for
   * {@link CriServer.setReady}.
   * @defaultValue `false`
   */
  ready?: boolean | PromiseLike<unknown> | (() => PromiseLike<unknown>);
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
  /**
   * Serve unary calls through the transport's own unary path: the same
   * handlers, interceptors, errors and limits, without connect's streaming
   * pipeline (a Version call costs about half the CPU time). Calls it does
   * not handle (compressed, malformed, other content types) and streaming
   * calls always go through connect. `false` sends every call through
   * connect, for comparison or to rule the fast path out.
   * @defaultValue `true`
   */
  unaryFastPath?: boolean;
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
