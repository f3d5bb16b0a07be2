/**
 * Streaming exec: run a command in a running container with the client's
 * streams attached (the runtime side of the CRI `Exec`).
 *
 * The command runs as `RUNTIME exec --process SPEC --pid-file P ID` in the
 * foreground, our child:
 *
 * - Without a terminal, with pipes for the requested streams (stdin from the
 *   client, stdout and stderr to it; an absent stream is `/dev/null`). runc
 *   copies them through its own pipes and exits with the process's exit
 *   code (128+N for a signal N) once its output is copied.
 * - With a terminal, under a pseudo-terminal that `@lydell/node-pty` (node-pty
 *   with prebuilt binaries) allocates: the runtime's `exec -t` in the
 *   foreground needs a terminal of its own, allocates the container's
 *   terminal, copies between the two and starts it at our terminal's size.
 *   runc also follows our terminal's later sizes (SIGWINCH), crun does not,
 *   so a resize is `pty.resize()` plus `stty -F /proc/PID/fd/0 rows H cols
 *   W` on the container's terminal, which signals SIGWINCH to the process.
 *   The session waits up to 20 ms for the client's first size, so the
 *   process starts at it. Our terminal is put in raw mode (`stty -F PTS raw
 *   -echo`) before any input is written to it: the runtime sets raw mode
 *   too, but only once it has started, and input that arrived earlier was
 *   echoed twice and a `^D` ended the runtime's input instead of the
 *   process's (both seen in tests). The end of stdin is sent as `^D` (EOF
 *   to a canonical-mode terminal).
 *
 * Why not the other ways (measured or tried on runc 1.1.5 / conmon 2.1.6):
 * `--console-socket` hands the terminal over with SCM_RIGHTS, which
 * `node:net` cannot receive; conmon's exec mode with `--exec-attach` needs
 * its attach socket for every byte of output (one more copy, a SEQPACKET
 * client) and gives nothing the runtime's foreground mode does not; util-
 * linux `script` gives a terminal but cannot be resized from outside.
 *
 * When `signal` aborts, the process and its descendants (found through
 * /proc from the pid in the pid file) and the runtime get SIGKILL, and the
 * call rejects with `Canceled` once the runtime has been reaped. With runc,
 * a background child that keeps the output open keeps the session open
 * until it exits or the session is aborted (runc waits for its pipes).
 *
 * The caller's streams are never ended or destroyed here: output is
 * written into them, and the streaming server closes them afterwards.
 *
 * @packageDocumentation
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as NodePty from "@lydell/node-pty";
import { lazyRequire } from "../lazy.js";
import type { IPty } from "@lydell/node-pty";
import { CrikitError } from "../errors.js";
import type { StreamingIO, TerminalSize } from "../streaming/runtime.js";
import { RuntimeCommandError, classifyRuntimeError } from "./runtime-command-error.js";
import { killQuietly } from "./proc.js";
import { awaitPidFile, copyInto, exitCodeOf, killProcessTree, readPid, resizeContainerTerminal, sleep } from "./exec-process.js";

/** node-pty, a native addon, loaded by the first exec with a terminal. */
const nodePty = lazyRequire<typeof NodePty>("@lydell/node-pty");

/**
 * Input of {@link runExecStream}.
 *
 * @public
 */
export interface ExecStreamInput {
  /** Runtime binary (a name in PATH or a path). */
  binary: string;
  /** Global runtime arguments (`--root`, ...). */
  globalArgs: readonly string[];
  /** Container id. */
  id: string;
  /** The OCI process object to run (`args` set; `terminal` is taken from `io.tty`). */
  process: Record<string, unknown>;
  /** A directory for the temporary process spec and pid file. */
  workDir: string;
  /** The client's streams. */
  io: StreamingIO;
  /** Abort the session: the process and its descendants are killed and the call rejects with `Canceled`. */
  signal?: AbortSignal | undefined;
  /**
   * How long to wait for the output pipes after the runtime exited (a
   * runtime such as crun hands our pipes to the process, and a background
   * child may keep them open), in ms.
   * @defaultValue `1000`
   */
  drainMs?: number;
}

/** How long a terminal session waits for the client's first size before it starts, in ms. */
const initialSizeWaitMs = 20;

/** How much of the runtime's stderr is kept for an error message. */
const stderrKeep = 4096;

/**
 * Run a command in a running container with the client's streams (see the
 * file header) and resolve with its exit code.
 *
 * @public
 */
export async function runExecStream(input: ExecStreamInput): Promise<number> {
  if (input.signal?.aborted === true) throw canceled(input);
  const tag = randomBytes(6).toString("hex");
  const specFile = join(input.workDir, `exec-${tag}.json`);
  const pidFile = join(input.workDir, `exec-${tag}.pid`);
  await writeFile(specFile, JSON.stringify({ ...input.process, terminal: input.io.tty }));
  const args = [...input.globalArgs, "exec", ...(input.io.tty ? ["-t"] : []), "--process", specFile, "--pid-file", pidFile, input.id];
  try {
    return await (input.io.tty ? execTty(input, args, pidFile) : execPipes(input, args, pidFile));
  } finally {
    await rm(specFile, { force: true });
    await rm(pidFile, { force: true });
  }
}

/**
 * The runtime failed before the process started (no pid file): its own
 * error, not the command's exit code.
 */
async function failure(input: ExecStreamInput, args: readonly string[], pidFile: string, exitCode: number, stderr: string): Promise<RuntimeCommandError | undefined> {
  if (exitCode === 0 || (await readPid(pidFile)) !== undefined) return undefined;
  return new RuntimeCommandError({ argv: [input.binary, ...args], exitCode, stderr, kind: classifyRuntimeError(stderr) });
}

function canceled(input: ExecStreamInput): CrikitError {
  return new CrikitError("Canceled", `exec in container "${input.id}" was canceled`, { cause: input.signal?.reason });
}

async function execPipes(input: ExecStreamInput, args: string[], pidFile: string): Promise<number> {
  const { io } = input;
  const child = spawn(input.binary, args, { stdio: [io.stdin ? "pipe" : "ignore", io.stdout ? "pipe" : "ignore", "pipe"] });
  const stderr = { text: "" };
  const outputs: Promise<void>[] = [];
  if (child.stdout) outputs.push(copyInto(child.stdout, io.stdout));
  if (child.stderr) outputs.push(copyInto(child.stderr, io.stderr, stderr));
  const stdin = io.stdin;
  if (stdin && child.stdin) {
    child.stdin.on("error", () => {});
    stdin.pipe(child.stdin);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (e) => {
      stderr.text += String(e);
      resolve({ code: 255, signal: null });
    });
  });
  const { aborted, dispose: stopWatchingAbort } = abortPromise(input.signal);
  try {
    const first = await Promise.race([exited, aborted]);
    if (first === "abort") {
      await awaitPidFile(pidFile, () => child.exitCode === null && child.signalCode === null);
      await killProcessTree(pidFile);
      if (child.pid !== undefined) killQuietly(child.pid, "SIGKILL");
      await exited;
      await killProcessTree(pidFile); // a process started after the first look
      throw canceled(input);
    }
    await Promise.race([Promise.all(outputs), sleep(input.drainMs ?? 1000)]);
    const code = exitCodeOf(first.code, first.signal);
    const err = await failure(input, args, pidFile, code, stderr.text);
    if (err) throw err;
    return code;
  } finally {
    stopWatchingAbort();
    if (stdin && child.stdin) stdin.unpipe(child.stdin);
    child.stdin?.destroy();
    child.stdout?.destroy();
    child.stderr?.destroy();
  }
}

async function execTty(input: ExecStreamInput, args: string[], pidFile: string): Promise<number> {
  const { io } = input;
  // Raw mode before the runtime runs: it sets it too, but only once it has
  // started, and the terminal would echo what arrives before.
  const resizes = io.resize?.[Symbol.asyncIterator]();
  // The client usually sends its size first: start at that size when it is
  // already there (or comes within a moment), since the process may read it
  // at once.
  let next = resizes?.next();
  let initial: TerminalSize = { width: 80, height: 24 };
  if (next) {
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([next.catch(() => undefined), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), initialSizeWaitMs)))]);
    clearTimeout(timer);
    if (first !== undefined) {
      if (first.done !== true && first.value.width > 0 && first.value.height > 0) initial = first.value;
      next = first.done === true ? undefined : resizes?.next();
    }
  }
  const term: IPty = nodePty().spawn(input.binary, args, {
    name: "xterm",
    cols: initial.width,
    rows: initial.height,
    encoding: null,
    env: process.env,
  });
  let done = false;
  const tail = { text: "" };
  const out = io.stdout;
  const dataSub = term.onData((d: string | Buffer) => {
    const b = typeof d === "string" ? Buffer.from(d) : d;
    if (tail.text.length < stderrKeep) tail.text += b.toString("utf8");
    if (out === undefined || out.destroyed) return;
    if (!out.write(b)) {
      term.pause();
      const resume = (): void => {
        out.off("drain", resume);
        out.off("close", resume);
        term.resume();
      };
      out.on("drain", resume);
      out.on("close", resume);
    }
  });
  // Input waits until our terminal is raw (see the file header).
  let held: (Buffer | string)[] | undefined = [];
  const send = (b: Buffer | string): void => {
    if (done) return;
    if (held) held.push(b);
    // node-pty types write() as taking a string; its Unix terminal writes Buffers as they are.
    else term.write(b as string);
  };
  const raw = makeRaw(term).then(() => {
    const list = held ?? [];
    held = undefined;
    for (const b of list) send(b);
  });
  const stdin = io.stdin;
  const onIn = (b: Buffer | string): void => send(b);
  const onInEnd = (): void => send("\x04");
  stdin?.on("data", onIn);
  if (stdin?.readableEnded === true) onInEnd();
  else stdin?.once("end", onInEnd);
  let resizing = Promise.resolve();
  if (resizes && next) {
    void followResizes(resizes, next, async (s) => {
      if (done || !(s.width > 0 && s.height > 0)) return;
      // runc follows its own terminal's size (SIGWINCH); crun does not, so
      // the container's terminal is also sized directly.
      term.resize(s.width, s.height);
      resizing = resizeContainerTerminal(pidFile, s);
      await resizing;
    });
  }
  let termExited = false;
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => {
    term.onExit((e) => {
      termExited = true;
      resolve(e);
    });
  });
  const { aborted, dispose: stopWatchingAbort } = abortPromise(input.signal);
  try {
    const first = await Promise.race([exited, aborted]);
    if (first === "abort") {
      await awaitPidFile(pidFile, () => !termExited);
      await killProcessTree(pidFile);
      killQuietly(term.pid, "SIGKILL");
      await exited;
      await killProcessTree(pidFile);
      throw canceled(input);
    }
    const code = first.signal !== undefined && first.signal > 0 && first.exitCode === 0 ? 128 + first.signal : first.exitCode;
    const err = await failure(input, args, pidFile, code, tail.text);
    if (err) throw err;
    return code;
  } finally {
    done = true;
    stopWatchingAbort();
    stdin?.off("data", onIn);
    stdin?.off("end", onInEnd);
    dataSub.dispose();
    void resizes?.return?.();
    // The helpers this session started (stty) are done before it settles.
    await raw;
    await resizing;
  }
}

/**
 * Put the terminal node-pty allocated in raw mode without echo, through its
 * slave (`ptsName`, a getter of node-pty's Unix terminal that its typings
 * leave out). Resolves also when that fails: input then goes as it is.
 */
function makeRaw(term: IPty): Promise<void> {
  const pts = (term as IPty & { ptsName?: unknown }).ptsName;
  if (typeof pts !== "string" || !pts.startsWith("/dev/")) return Promise.resolve();
  return new Promise((resolve) => {
    execFile("stty", ["-F", pts, "raw", "-echo"], { timeout: 2000 }, () => resolve());
  });
}

/** Apply terminal sizes until the iterator ends (it ends with the session). */
async function followResizes(it: AsyncIterator<TerminalSize>, first: Promise<IteratorResult<TerminalSize>>, apply: (s: TerminalSize) => Promise<void>): Promise<void> {
  try {
    for (let next = first; ; next = it.next()) {
      const r = await next;
      if (r.done === true) return;
      await apply(r.value);
    }
  } catch {
    // the session's resize channel failed: sizes stop following
  }
}

/**
 * A promise that resolves with `"abort"` when `signal` aborts, at once when it
 * already has (aborted while the session was being set up: no event comes
 * any more); `dispose` stops listening.
 */
function abortPromise(signal: AbortSignal | undefined): { aborted: Promise<"abort">; dispose: () => void } {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<"abort">((resolve) => {
    onAbort = () => resolve("abort");
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted === true) resolve("abort");
  });
  return { aborted, dispose: () => onAbort && signal?.removeEventListener("abort", onAbort) };
}
