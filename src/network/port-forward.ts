/**
 * Port forwarding: connect a client's stream to a TCP port on the loopback
 * of a pod's network namespace (the runtime side of the CRI `PortForward`).
 *
 * The connection to the pod is a socket of this process: for a pod with
 * its own network namespace it is made inside that namespace by a helper
 * and handed over (./port-forward-netns.ts); for a host-network pod (no
 * namespace path) Node connects itself. Bytes are then copied between the
 * two in this process, with backpressure both ways, and no other process
 * or pipe in between.
 *
 * Half-close, as containerd does it: when one side ends (the client's stream
 * or the pod's server), the end is passed on to the other side, which then
 * has `graceMs` (1 s) to finish before the connection is closed. The
 * stream's writable side is ended once the pod side's data has been written
 * to it. When `signal` aborts, the socket is destroyed and the call
 * resolves. A connection the pod refuses rejects with `Unavailable`.
 *
 * Before, each connection ran `nsenter --net=PATH socat STDIO TCP4:...`:
 * one more process and two pipes that every byte crossed; with crictl and
 * curl on the same 2 vCPUs that hop cost about 40% of the throughput (see
 * the helper's header for the figures).
 *
 * @packageDocumentation
 */
import { Socket as NetSocket, connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { CrikitError, invalidArgument } from "../errors.js";
import { connectInNamespace } from "./port-forward-netns.js";

/**
 * Input of {@link forwardPort}.
 *
 * @public
 */
export interface ForwardPortInput {
  /** The pod's network namespace (a pinned path); absent or empty for the host's network. */
  netnsPath?: string | undefined;
  /** The TCP port on 127.0.0.1 inside that namespace. */
  port: number;
  /** The client's side of the connection. */
  stream: Duplex;
  /** Close the connection when it aborts. */
  signal?: AbortSignal | undefined;
  /** How long the other direction may go on after one side ended, in ms. @defaultValue 1000 */
  graceMs?: number;
  /** The nsenter binary. @defaultValue `"nsenter"` */
  nsenter?: string;
  /**
   * The socat binary.
   * @deprecated Not used: connections are made by a Node helper in the namespace (no socat).
   */
  socat?: string;
}

/**
 * Connect `stream` to `127.0.0.1:port` in the namespace (see the file
 * header); resolves when the connection is over.
 *
 * @public
 */
export async function forwardPort(input: ForwardPortInput): Promise<void> {
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) throw invalidArgument(`port ${input.port} is not a TCP port`, "port");
  input.signal?.throwIfAborted();
  if (input.netnsPath === undefined || input.netnsPath === "") return forwardOnHost(input);
  return forwardInNamespace(input, input.netnsPath);
}

function refused(input: ForwardPortInput, detail: string, cause?: unknown): CrikitError {
  const where = input.netnsPath ? `in network namespace ${input.netnsPath}` : "on the host";
  return new CrikitError("Unavailable", `port-forward to 127.0.0.1:${input.port} ${where} failed: ${detail.trim()}`, cause === undefined ? undefined : { cause });
}

async function forwardInNamespace(input: ForwardPortInput, netnsPath: string): Promise<void> {
  input.stream.on("error", () => {});
  let sock: Socket;
  try {
    sock = await connectInNamespace(netnsPath, input.port, { nsenter: input.nsenter, signal: input.signal });
  } catch (err) {
    if (input.signal?.aborted) return;
    throw refused(input, err instanceof Error ? err.message : String(err), err);
  }
  const pool = new ReadPool();
  const own = pool.adopt(sock);
  own.on("error", () => {});
  return relay(input, own, pool);
}

async function forwardOnHost(input: ForwardPortInput): Promise<void> {
  const { stream } = input;
  const pool = new ReadPool();
  const sock = connect({ host: "127.0.0.1", port: input.port, allowHalfOpen: true, onread: pool.onread });
  stream.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      sock.destroy();
      resolve();
    };
    input.signal?.addEventListener("abort", onAbort, { once: true });
    sock.once("connect", () => {
      sock.off("error", reject);
      sock.on("error", () => {});
      resolve();
    });
    sock.once("error", (e) => {
      input.signal?.removeEventListener("abort", onAbort);
      reject(refused(input, e.message, e));
    });
    sock.once("connect", () => input.signal?.removeEventListener("abort", onAbort));
  });
  if (input.signal?.aborted) return;
  return relay(input, sock, pool);
}

const READ_SIZE = 64 * 1024;

/**
 * The pod side's reads go into a few buffers of the connection's own
 * (Node's `onread`), each lent to one read and given back once the client
 * side has written its bytes out, instead of a new 64 KiB buffer per read
 * for V8 to collect: that collection was the largest CPU cost of a bulk
 * transfer in the daemon.
 */
class ReadPool {
  readonly #free: Buffer[] = [];
  onChunk: (chunk: Buffer, release: () => void) => boolean = () => true;
  readonly onread = {
    buffer: (): Buffer => this.#free.pop() ?? Buffer.allocUnsafeSlow(READ_SIZE),
    callback: (n: number, buf: Uint8Array): boolean => {
      const b = buf as Buffer;
      return this.onChunk(b.subarray(0, n), () => {
        if (this.#free.length < 8) this.#free.push(b);
      });
    },
  };

  /**
   * A socket reading through the pool in place of `sock` (handed over by a
   * namespace helper, not yet read from), or `sock` itself with plain reads
   * when its handle cannot be taken over.
   */
  adopt(sock: Socket): Socket {
    const s = sock as Socket & { _handle?: { readStop?: () => number; reading?: boolean } | null };
    const handle = s._handle;
    if (handle?.readStop === undefined || sock.readableLength > 0) {
      sock.allowHalfOpen = true;
      sock.on("data", (b: Buffer) => {
        if (!this.onChunk(b, () => {})) sock.pause();
      });
      return sock;
    }
    // Node starts reading a received socket at once; stop, and let the new owner start again.
    handle.readStop();
    handle.reading = false;
    s._handle = null;
    sock.destroy();
    return new NetSocket({ handle, allowHalfOpen: true, onread: this.onread } as unknown as ConstructorParameters<typeof NetSocket>[0]);
  }
}

/** Copies between the client's stream and the connected socket until either closes (see the file header). */
async function relay(input: ForwardPortInput, sock: Socket, pool: ReadPool): Promise<void> {
  const { stream } = input;
  const graceMs = input.graceMs ?? 1000;
  let grace: NodeJS.Timeout | undefined;
  const startGrace = (): void => {
    grace ??= setTimeout(() => {
      sock.destroy();
    }, graceMs);
  };
  await new Promise<void>((resolve) => {
    const onAbort = (): void => {
      sock.destroy();
    };
    const onGone = (): void => {
      sock.destroy();
    };
    input.signal?.addEventListener("abort", onAbort, { once: true });
    stream.once("close", onGone);
    // client -> pod; the client's end half-closes the connection.
    stream.pipe(sock);
    stream.once("end", startGrace);
    // pod -> client, with backpressure; the pod's end ends the stream.
    pool.onChunk = (chunk, release) => {
      if (stream.destroyed || stream.writableEnded) {
        release();
        return true;
      }
      if (stream.write(chunk, release)) return true;
      stream.once("drain", () => sock.resume());
      return false;
    };
    sock.resume();
    sock.once("end", () => {
      if (!stream.destroyed && !stream.writableEnded) stream.end();
      startGrace();
    });
    sock.once("close", () => {
      if (grace) clearTimeout(grace);
      input.signal?.removeEventListener("abort", onAbort);
      stream.off("close", onGone);
      stream.off("end", startGrace);
      stream.unpipe(sock);
      if (!stream.destroyed && !stream.writableEnded) stream.end();
      resolve();
    });
  });
}
