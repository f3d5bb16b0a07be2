/**
 * The contract between the streaming server (the HTTP side of Exec, Attach
 * and PortForward: tokens, SPDY/WebSocket upgrade, channels) and a runtime
 * that runs the sessions (runc through conmon, a VM, a WebAssembly engine).
 *
 * The CRI RPC validates the request and returns a URL; when the client
 * opens that URL the streaming server upgrades the connection, demultiplexes
 * the channels into plain Node streams and calls one method of a
 * {@link StreamingRuntime}. The runtime never sees the wire protocol.
 *
 * Rules every implementation keeps:
 * - Absent streams were not requested: never invent one.
 * - With `tty`, stdout carries the terminal's output and there is no stderr.
 * - `signal` aborts when the client goes away or the session is closed by
 *   the server: stop copying, end the exec'd process (exec) or detach
 *   (attach), close the forwarded connection (port-forward), and settle.
 * - The returned promise settles once nothing the session started is left:
 *   no process, descriptor or timer.
 *
 * @packageDocumentation
 */
import type { Duplex, Readable, Writable } from "node:stream";

/**
 * A terminal size in character cells, as the resize channel carries it.
 *
 * @public
 */
export interface TerminalSize {
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
}

/**
 * The streams of one exec or attach session.
 *
 * @public
 */
export interface StreamingIO {
  /** What the client types; ends when the client closes stdin. */
  stdin?: Readable;
  /** Where the process's stdout (or the terminal's output) goes. */
  stdout?: Writable;
  /** Where the process's stderr goes; never present with `tty`. */
  stderr?: Writable;
  /** Whether the process has a terminal. */
  tty: boolean;
  /** Terminal sizes as the client sends them; ends with the session. */
  resize?: AsyncIterable<TerminalSize>;
}

/**
 * What runs exec, attach and port-forward sessions for the streaming server.
 *
 * @public
 */
export interface StreamingRuntime {
  /**
   * Run `cmd` in the running container `containerId` with `io`, and resolve
   * with its exit code (128+N when killed by signal N) once it has exited
   * and its output has been copied.
   */
  exec(containerId: string, cmd: readonly string[], io: StreamingIO, signal: AbortSignal): Promise<number>;
  /**
   * Connect `io` to the main process of the running container
   * `containerId`; resolve when the container's output ends (it exited) or
   * `signal` aborts (the client detached). Several sessions may be attached
   * to one container at once.
   */
  attach(containerId: string, io: StreamingIO, signal: AbortSignal): Promise<void>;
  /**
   * Connect `stream` to TCP `port` on the loopback of the pod
   * `podSandboxId`'s network namespace (the host's for a host-network pod);
   * resolve when either side has closed.
   */
  portForward(podSandboxId: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void>;
  /**
   * Called when a port-forward session is granted (the `PortForward` RPC),
   * before any connection: get ready to connect into the pod (start what the
   * first connection would otherwise wait for). Optional; failures are
   * ignored, as the connections report their own.
   */
  preparePortForward?(podSandboxId: string): void | Promise<void>;
}
