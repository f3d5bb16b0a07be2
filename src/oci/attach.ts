/**
 * Attach: connect a client's streams to a container's main process through
 * its conmon (the runtime side of the CRI `Attach`).
 *
 * conmon (2.1.x) listens on `BUNDLE/attach`, a unix socket of type
 * SOCK_SEQPACKET, for any number of clients at once:
 *
 * - conmon to client: one packet per read of the container's output, the
 *   first byte naming the stream (2 stdout, 3 stderr; with a terminal all
 *   output is stdout), the rest the bytes as the container wrote them. Only
 *   what is written while the client is connected; the past is in the log.
 * - client to conmon: the bytes of each packet go to the container's stdin
 *   (when it was created with `stdin`, conmon `-i`); conmon reads up to 8 KiB
 *   of a packet, so longer input is split. When a client shuts down its
 *   sending side, conmon closes the container's stdin unless it was created
 *   with `--leave-stdin-open` (CRI `stdin` without `stdin_once`). conmon
 *   does the same when any client disconnects, also one that attached
 *   without stdin (measured): with `stdin_once` the first attach session to
 *   end closes stdin, whoever it was. CRI-O attaches through the same
 *   socket and behaves alike.
 * - conmon closes the sockets when the container exits, after its last
 *   output.
 * - Terminal resizes go to conmon's control fifo `BUNDLE/ctl` as
 *   `1 HEIGHT WIDTH\n`.
 *
 * Node's `node:net` has no SOCK_SEQPACKET, and message boundaries matter
 * here (the stream byte), so a small helper holds the socket: Debian's
 * `python3` (python3-minimal) running {@link attachBridgeScript}, which
 * connects (through `/proc/self/fd/N/attach` of the bundle directory, so a
 * long bundle path fits a socket address), writes each packet to its stdout
 * as a 4-byte big-endian length and the packet, and sends what arrives on
 * its stdin in packets of at most 8 KiB, shutting its sending side at EOF.
 * Tried first: `node-unix-socket` (an N-API module) speaks SEQPACKET from
 * Node, but it declares prebuilt packages for five platforms that were
 * never published, so `npm ci` rejects any lock file that holds it; a
 * `socat` bridge loses the packet boundaries on the way to a Node pipe; and
 * following the log file gives no stdin. The helper costs a process per
 * attach session (about 10 ms to start, 9.5 MB RSS while attached, measured); attach
 * sessions are few and long.
 *
 * The socket offers no flow control towards conmon, so output the client
 * does not take is buffered in the client's writable; past
 * {@link AttachInput.maxBufferedBytes} the session ends with
 * `ResourceExhausted` rather than grow without bound. The caller's streams
 * are never ended or destroyed here.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { open, constants as fsConstants } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { join } from "node:path";
import { CrikitError, failedPrecondition } from "../errors.js";
import type { StreamingIO, TerminalSize } from "../streaming/runtime.js";

/**
 * Input of {@link attachToConmon}.
 *
 * @public
 */
export interface AttachInput {
  /** Container id (for messages). */
  id: string;
  /** The container's bundle directory, where conmon keeps `attach` and `ctl`. */
  bundle: string;
  /** The client's streams. */
  io: StreamingIO;
  /** Detach when it aborts. */
  signal?: AbortSignal | undefined;
  /** The Python 3 interpreter that runs the socket helper. @defaultValue `"/usr/bin/python3"` (Debian's python3-minimal) */
  python?: string;
  /**
   * Output buffered in one of the client's writables past which the session
   * ends with `ResourceExhausted`.
   * @defaultValue 16 MiB
   */
  maxBufferedBytes?: number;
}

/**
 * The helper that holds conmon's SEQPACKET attach socket for an attach
 * session (run as `python3 -c SCRIPT BUNDLE STDIN`, STDIN `1` to forward
 * input): `0000` (an empty frame) once connected, then one frame (4-byte
 * big-endian length, packet) per packet from conmon; stdin goes to conmon
 * in packets of at most 8 KiB, its end shuts the socket's sending side.
 * Exit 2 with the reason on stderr when it cannot connect.
 *
 * @internal
 */
export const attachBridgeScript = `
import os, socket, struct, sys, threading
try:
    d = os.open(sys.argv[1], os.O_PATH)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/proc/self/fd/%d/attach" % d)
    os.close(d)
except OSError as e:
    sys.stderr.write(str(e))
    sys.exit(2)
out = sys.stdout.buffer
out.write(b"\\0\\0\\0\\0")
out.flush()
def pump():
    try:
        while True:
            b = os.read(0, 8192)
            if not b:
                s.shutdown(socket.SHUT_WR)
                return
            s.sendall(b)
    except OSError:
        pass
if sys.argv[2] == "1":
    threading.Thread(target=pump, daemon=True).start()
try:
    while True:
        p = s.recv(65536)
        if not p:
            break
        out.write(struct.pack(">I", len(p)) + p)
        out.flush()
except (OSError, ValueError):
    pass
`;

/** conmon's stream bytes (its `stdpipe_t`). */
const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;

/**
 * Attach `io` to the container's main process (see the file header).
 * Resolves when the container's output ends (it exited) or `signal` aborts.
 *
 * @public
 */
export async function attachToConmon(input: AttachInput): Promise<void> {
  input.signal?.throwIfAborted();
  const { io } = input;
  const maxBuffered = input.maxBufferedBytes ?? 16 * 1024 * 1024;
  const stdin = io.stdin;
  const helper = spawn(input.python ?? "/usr/bin/python3", ["-c", attachBridgeScript, input.bundle, stdin ? "1" : "0"], {
    stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
  const out = helper.stdout as Readable;
  const err = helper.stderr as Readable;
  let done = false;
  let connected = false;
  let stderr = "";
  let finish: (err?: unknown) => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (err === undefined) resolve();
      else reject(err);
    };
  });
  let onConnected: () => void = () => {};
  const connectedP = new Promise<void>((r) => (onConnected = r));
  const exited = new Promise<void>((resolve) => {
    helper.once("exit", () => resolve());
    helper.once("error", (e) => {
      stderr += String(e);
      resolve();
    });
  });
  void exited.then(() => {
    if (!connected) finish(failedPrecondition(`container "${input.id}" cannot be attached to: its monitor's attach socket is not there (${stderr.trim() || "no answer"})`));
  });
  err.setEncoding("utf8");
  err.on("data", (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  err.on("error", () => {});
  helper.stdin?.on("error", () => {});
  out.on("error", () => {});

  const deliver = (to: typeof io.stdout, b: Buffer): void => {
    if (to === undefined || to.destroyed) return;
    to.write(b);
    if (to.writableLength > maxBuffered) {
      finish(new CrikitError("ResourceExhausted", `attach to container "${input.id}": the client does not read the output (over ${maxBuffered} bytes buffered)`));
    }
  };
  // Frames: 4-byte big-endian length, then conmon's packet (stream byte, data).
  let pending: Buffer = Buffer.alloc(0);
  out.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const len = pending.readUInt32BE(0);
      if (pending.length < 4 + len) break;
      const packet = pending.subarray(4, 4 + len);
      pending = pending.subarray(4 + len);
      if (!connected) {
        connected = true;
        onConnected();
        continue;
      }
      if (done || packet.length < 1) continue;
      if (packet[0] === STDOUT_PIPE) deliver(io.stdout, packet.subarray(1));
      else if (packet[0] === STDERR_PIPE) deliver(io.tty ? io.stdout : io.stderr, packet.subarray(1));
    }
  });
  // conmon closed the socket (the container exited) and the helper has passed everything on.
  out.once("close", () => {
    if (connected) finish();
  });
  const onAbort = (): void => finish();
  input.signal?.addEventListener("abort", onAbort, { once: true });

  const onIn = (d: Buffer | string): void => {
    if (!done && helper.stdin && !helper.stdin.destroyed) helper.stdin.write(d);
  };
  const onInEnd = (): void => {
    if (!done) helper.stdin?.end();
  };
  const resizes = io.tty ? io.resize?.[Symbol.asyncIterator]() : undefined;
  try {
    await Promise.race([connectedP, ended]);
    if (!done) {
      stdin?.on("data", onIn);
      if (stdin?.readableEnded === true) onInEnd();
      else stdin?.once("end", onInEnd);
      if (resizes) void followResizes(resizes, () => done, (s) => resizeTerminal(input.bundle, s));
    }
    await ended;
  } finally {
    done = true;
    input.signal?.removeEventListener("abort", onAbort);
    stdin?.off("data", onIn);
    stdin?.off("end", onInEnd);
    void resizes?.return?.();
    if (helper.exitCode === null && helper.signalCode === null) helper.kill("SIGKILL");
    await exited;
    helper.stdin?.destroy();
    out.destroy();
    err.destroy();
  }
}

/** Tell conmon the terminal's new size through its control fifo (a gone conmon is ignored). */
async function resizeTerminal(bundle: string, s: TerminalSize): Promise<void> {
  if (!(s.width > 0 && s.height > 0)) return;
  let fh: FileHandle | undefined;
  try {
    fh = await open(join(bundle, "ctl"), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    await fh.write(`1 ${Math.trunc(s.height)} ${Math.trunc(s.width)}\n`);
  } catch {
    // no monitor listening: the container has exited
  } finally {
    await fh?.close();
  }
}

async function followResizes(it: AsyncIterator<TerminalSize>, isDone: () => boolean, apply: (s: TerminalSize) => Promise<void>): Promise<void> {
  try {
    for (;;) {
      const r = await it.next();
      if (r.done === true || isDone()) return;
      await apply(r.value);
    }
  } catch {
    // the session's resize channel failed: sizes stop following
  }
}
