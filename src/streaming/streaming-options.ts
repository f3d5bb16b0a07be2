/**
 * The options of the streaming server and the fields of the Exec, Attach
 * and PortForward requests it takes (the CRI messages fit), with the
 * stream checks the CRI requires of them.
 *
 * @packageDocumentation
 */
import { invalidArgument } from "../errors.js";
import type { StreamingLogger } from "./logger.js";
import type { StreamingRuntime } from "./runtime.js";

/** TLS material of the streaming server (PEM). @public */
export interface StreamingTlsOptions {
  /** The certificate chain. */
  cert: string | Buffer;
  /** The private key. */
  key: string | Buffer;
}

/** Options of {@link StreamingServer}. @public */
export interface StreamingServerOptions {
  /** Runs the sessions. */
  runtime: StreamingRuntime;
  /** Address to listen on. @defaultValue "127.0.0.1" */
  address?: string;
  /** Port to listen on; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Serve HTTPS with this certificate and key. @defaultValue plain HTTP */
  tls?: StreamingTlsOptions;
  /**
   * The base of the URLs handed out (scheme, host, port), for a server
   * reached through another address than it listens on. @defaultValue
   * `http(s)://<address>:<port>` (`127.0.0.1` or `[::1]` for an unspecified
   * address)
   */
  baseUrl?: string;
  /** How long a token stays good, in ms. @defaultValue 60000 */
  tokenTtlMs?: number;
  /** Most tokens waiting at once; more is ResourceExhausted. @defaultValue 1000 */
  maxPendingTokens?: number;
  /** How long a client may take to open its streams, in ms. @defaultValue 30000 */
  streamCreationTimeoutMs?: number;
  /** A connection with no traffic for this long is closed, in ms. @defaultValue 14400000 (4 h) */
  idleTimeoutMs?: number;
  /** How long `close()` waits for aborted sessions to settle before it cuts their connections, in ms. @defaultValue 10000 */
  closeTimeoutMs?: number;
  /** Logger; silent by default. */
  logger?: StreamingLogger;
}

/** The ExecRequest fields the server needs (the CRI message fits). @public */
export interface ExecInit {
  /** The full container ID (the runtime receives it as given). */
  containerId: string;
  /** The command and its arguments; not empty. */
  cmd: readonly string[];
  /** Run the command with a terminal. */
  tty?: boolean;
  /** The client sends stdin. */
  stdin?: boolean;
  /** The client wants stdout. */
  stdout?: boolean;
  /** The client wants stderr; not with `tty`. */
  stderr?: boolean;
}

/** The AttachRequest fields the server needs (the CRI message fits). @public */
export interface AttachInit {
  /** The full container ID. */
  containerId: string;
  /** The container has a terminal. */
  tty?: boolean;
  /** The client sends stdin. */
  stdin?: boolean;
  /** The client wants stdout. */
  stdout?: boolean;
  /** The client wants stderr; not with `tty`. */
  stderr?: boolean;
}

/** The PortForwardRequest fields the server needs (the CRI message fits). @public */
export interface PortForwardInit {
  /** The full pod sandbox ID. */
  podSandboxId: string;
  /** Ports the client named (SPDY clients name theirs per connection; WebSocket clients that name none get these). */
  port?: readonly number[];
}

/** At least one stream, and no separate stderr with a terminal. @internal */
export function validateStreams(r: { tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean }): void {
  if (!r.stdin && !r.stdout && !r.stderr) throw invalidArgument("one of stdin, stdout and stderr must be set", "stdin");
  if (r.tty && r.stderr) throw invalidArgument("tty and stderr cannot both be set: a terminal has no separate stderr", "stderr");
}
