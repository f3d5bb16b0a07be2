/**
 * Port forwarding: connect a client's stream to a TCP port on the loopback
 * of a pod's network namespace (the runtime side of the CRI `PortForward`).
 *
 * Node cannot enter a network namespace (no setns), so a connection into a
 * pod's namespace goes through a helper process per connection:
 * `nsenter --net=PATH socat -b 131072 -t GRACE STDIO TCP4:127.0.0.1:PORT`
 * (util-linux and Debian's `socat`). nsenter enters the namespace and execs
 * socat, which connects inside it and copies between its stdio (our pipes)
 * and the TCP connection. For a host-network pod (no namespace path) Node
 * connects itself.
 *
 * Half-close, as containerd does it: when one side ends (the client's stream
 * or the pod's server), the end is passed on to the other side, which then
 * has `graceMs` (1 s) to finish before the connection is closed. The
 * stream's writable side is ended once the pod side's data has been written
 * to it. When `signal` aborts, the helper is killed (or the socket
 * destroyed) and the call resolves. A connection the pod refuses rejects
 * with `Unavailable`.
 *
 * Alternatives considered: a long-lived helper per pod (one process per pod
 * instead of per connection) saves a fork and exec of about 2 ms per
 * connection but needs a protocol of its own to multiplex connections and
 * must be kept and reaped with the pod; per-connection `socat` keeps every
 * connection's lifetime equal to one process's. Measured on the 2-vCPU test
 * VM, 100 MB from busybox httpd in a namespace: socat alone moves it in
 * 0.09 s with `-b 131072` (0.17 s with its default 8 KiB buffer); through
 * this function, with a Node TCP server handing over the connection and a
 * Node HTTP client reading it, in about 0.33 s (about 320 MB/s; the test
 * prints the figure), so the Node side, not the helper, is the limit.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import { CrikitError, invalidArgument } from "../errors.js";

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
  /** The socat binary. @defaultValue `"socat"` */
  socat?: string;
}

const keepStderr = 4096;

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
  const graceS = Math.max(0.001, (input.graceMs ?? 1000) / 1000);
  const args = [`--net=${netnsPath}`, input.socat ?? "socat", "-b", "131072", "-t", String(graceS), "STDIO", `TCP4:127.0.0.1:${input.port}`];
  const child = spawn(input.nsenter ?? "nsenter", args, { stdio: ["pipe", "pipe", "pipe"] });
  const { stream } = input;
  let stderr = "";
  let received = 0;
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    if (stderr.length < keepStderr) stderr += d;
  });
  child.stderr.on("error", () => {});
  child.stdin.on("error", () => {});
  child.stdout.on("error", () => {});
  stream.on("error", () => {});
  // client -> pod, with backpressure; the stream's end becomes socat's EOF.
  stream.pipe(child.stdin);
  // pod -> client, with backpressure; ended once all is written.
  child.stdout.on("data", (b: Buffer) => {
    received += b.length;
    if (stream.destroyed || stream.writableEnded) return;
    if (!stream.write(b)) {
      child.stdout.pause();
      stream.once("drain", () => child.stdout.resume());
    }
  });
  const outDone = new Promise<void>((resolve) => child.stdout.once("close", () => resolve()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (e) => {
      stderr += String(e);
      resolve({ code: 255, signal: null });
    });
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  // The client went away: nothing more to copy in either direction.
  const onGone = (): void => kill();
  stream.once("close", onGone);
  input.signal?.addEventListener("abort", kill, { once: true });
  try {
    const r = await exited;
    await outDone;
    if (!stream.destroyed && !stream.writableEnded) stream.end();
    if (r.code !== 0 && r.signal === null && received === 0 && !input.signal?.aborted) throw refused(input, stderr || `socat exited with ${r.code}`);
  } finally {
    input.signal?.removeEventListener("abort", kill);
    stream.off("close", onGone);
    stream.unpipe(child.stdin);
    child.stdin.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
  }
}

async function forwardOnHost(input: ForwardPortInput): Promise<void> {
  const { stream } = input;
  const graceMs = input.graceMs ?? 1000;
  const sock = connect({ host: "127.0.0.1", port: input.port, allowHalfOpen: true });
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
    // pod -> client; the pod's end ends the stream.
    sock.on("data", (b: Buffer) => {
      if (stream.destroyed || stream.writableEnded) return;
      if (!stream.write(b)) {
        sock.pause();
        stream.once("drain", () => sock.resume());
      }
    });
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
