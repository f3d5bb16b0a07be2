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
 * here (the stream byte), so the socket is opened with `node-unix-socket`
 * (a maintained N-API module with prebuilt binaries; a `socat` bridge would
 * lose the boundaries on the way to a Node pipe, and following the log file
 * would miss stdin). A bundle path too long for a socket address (108
 * bytes) is reached through `/proc/self/fd/N/attach` of an open directory.
 *
 * The socket offers no flow control towards conmon, so output the client
 * does not take is buffered in the client's writable; past
 * {@link AttachInput.maxBufferedBytes} the session ends with
 * `ResourceExhausted` rather than grow without bound. The caller's streams
 * are never ended or destroyed here.
 *
 * @packageDocumentation
 */
import { open, constants as fsConstants } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { SeqpacketSocket } from "node-unix-socket";
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
  /**
   * Output buffered in one of the client's writables past which the session
   * ends with `ResourceExhausted`.
   * @defaultValue 16 MiB
   */
  maxBufferedBytes?: number;
}

/** conmon's stream bytes (its `stdpipe_t`). */
const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;
/** conmon reads this much of a client's packet. */
const stdinPacket = 8192;
/** The longest path a unix socket address holds (with its NUL). */
const maxSocketPath = 107;

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
  let dir: FileHandle | undefined;
  let path = join(input.bundle, "attach");
  if (Buffer.byteLength(path) > maxSocketPath) {
    dir = await open(input.bundle, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    path = `/proc/self/fd/${dir.fd}/attach`;
  }
  const sock = new SeqpacketSocket();
  let done = false;
  let finish: (err?: unknown) => void = () => {};
  const ended = new Promise<void>((resolve, reject) => {
    finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (err === undefined) resolve();
      else reject(err);
    };
  });
  const onAbort = (): void => finish();
  input.signal?.addEventListener("abort", onAbort, { once: true });

  const deliver = (to: typeof io.stdout, b: Buffer): void => {
    if (to === undefined || to.destroyed) return;
    to.write(b);
    if (to.writableLength > maxBuffered) {
      finish(new CrikitError("ResourceExhausted", `attach to container "${input.id}": the client does not read the output (over ${maxBuffered} bytes buffered)`));
    }
  };
  sock.on("data", (b: Buffer) => {
    if (done || b.length < 1) return;
    if (b[0] === STDOUT_PIPE) deliver(io.stdout, b.subarray(1));
    else if (b[0] === STDERR_PIPE) deliver(io.tty ? io.stdout : io.stderr, b.subarray(1));
  });
  sock.on("end", () => finish());
  sock.on("close", () => finish());
  sock.on("error", (e: Error) => finish(failedPrecondition(`attach to container "${input.id}" failed: ${e.message}`, e)));

  const stdin = io.stdin;
  const onIn = (d: Buffer | string): void => {
    if (done) return;
    const b = typeof d === "string" ? Buffer.from(d) : d;
    for (let off = 0; off < b.length; off += stdinPacket) sock.write(b.subarray(off, Math.min(b.length, off + stdinPacket)));
  };
  const onInEnd = (): void => {
    if (!done) sock.end();
  };
  const resizes = io.tty ? io.resize?.[Symbol.asyncIterator]() : undefined;

  try {
    try {
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error): void => reject(e);
        sock.once("error", onErr);
        try {
          sock.connect(path, () => {
            sock.off("error", onErr);
            resolve();
          });
        } catch (e) {
          reject(e as Error);
        }
      });
    } catch (e) {
      throw failedPrecondition(`container "${input.id}" cannot be attached to: its monitor's attach socket is not there (${(e as Error).message})`, e);
    } finally {
      await dir?.close();
      dir = undefined;
    }
    stdin?.on("data", onIn);
    if (stdin?.readableEnded === true) onInEnd();
    else stdin?.once("end", onInEnd);
    if (resizes) void followResizes(resizes, () => done, (s) => resizeTerminal(input.bundle, s));
    await ended;
  } finally {
    done = true;
    input.signal?.removeEventListener("abort", onAbort);
    stdin?.off("data", onIn);
    stdin?.off("end", onInEnd);
    void resizes?.return?.();
    sock.destroy();
    await dir?.close();
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
