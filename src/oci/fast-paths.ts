/**
 * Latency shortcuts of the OCI adapter, each replacing a runtime process or
 * a sleeping loop with something the kernel tells us directly. Every one
 * answers "fallback" (or `false`) when its preconditions do not hold, and the
 * caller then does the slow, general thing.
 *
 * 1. `startViaExecFifo`: runc's `start` (1.0 to 1.1) does nothing but open
 *    the container's `ROOT/ID/exec.fifo` for reading, read until EOF (runc
 *    init writes one byte, then execs the user process, which closes the
 *    write end through O_CLOEXEC) and delete the fifo; runc derives
 *    "created" from the fifo's existence and "running" from its absence.
 *    Doing those three steps here saves a whole runc process (Go start-up,
 *    state load, cgroup mount scan: 15-40 ms on the test machine). The fifo
 *    is opened non-blocking and read through an epoll-driven pipe handle; if
 *    the init process dies without writing, the 100 ms liveness check gives
 *    up and the caller runs the runtime's own `start`, which reports the
 *    error. runc 1.2 moved poststart hooks into `start`, so the caller uses
 *    this only for bundles without poststart hooks.
 * 2. `waitForFile`: waits for a file to satisfy a predicate, woken by
 *    inotify (`fs.watch` on its directory) rather than a sleeping loop, with
 *    a slow backstop poll in case an event is lost.
 * 3. `signalChildOf`: sends a signal to a pid only while its parent is the
 *    given process (the container's conmon, a child subreaper, is the parent
 *    of the container's init until it reaps it), so a recycled pid is never
 *    signalled. Saves a `runtime kill` process. `isLiveChildOf` is the same
 *    test, which also lets a status read of a started container skip
 *    `runtime state`.
 *
 * @packageDocumentation
 */
import { open as openCb, constants as fsConstants, watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { rm } from "node:fs/promises";
import { Socket } from "node:net";
import { dirname, basename } from "node:path";
import { promisify } from "node:util";
import { CrikitError } from "../errors.js";
import { isAlive, procState } from "./proc.js";

const openRaw = promisify(openCb);

/**
 * Start a runc container by reading its exec fifo, as runc's `start` (1.0 to
 * 1.1) does, which saves a runc process. Answers "fallback" when the init
 * dies without writing (the caller then runs the runtime's `start`); only for
 * bundles without poststart hooks, which runc 1.2 runs in `start`.
 * Resolves `"started"` once the container's process has been exec'd, or
 * `"fallback"` when the fifo is missing, the init process died first, or
 * anything unexpected happened (the fifo is then left as it was).
 *
 * @internal
 */
export async function startViaExecFifo(fifo: string, initPid: number, signal: AbortSignal): Promise<"started" | "fallback"> {
  signal.throwIfAborted();
  let fd: number;
  try {
    fd = await openRaw(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch {
    return "fallback";
  }
  const result = await new Promise<"started" | "fallback" | "canceled">((resolve) => {
    let sock: Socket;
    try {
      sock = new Socket({ fd, readable: true, writable: false });
    } catch {
      resolve("fallback");
      return;
    }
    let got = 0;
    let settled = false;
    const done = (r: "started" | "fallback" | "canceled"): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      signal.removeEventListener("abort", onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = (): void => done("canceled");
    signal.addEventListener("abort", onAbort, { once: true });
    // Like runc: if init is gone and wrote nothing, let the runtime report it.
    const timer = setInterval(() => {
      void isAlive(initPid).then((alive) => {
        if (!alive && got === 0) done("fallback");
      });
    }, 100);
    sock.on("data", (d: Buffer) => {
      got += d.length;
    });
    sock.on("end", () => done(got > 0 ? "started" : "fallback"));
    sock.on("error", () => done("fallback"));
  });
  if (result === "canceled") throw new CrikitError("Canceled", "starting the container was canceled", { cause: signal.reason });
  if (result === "started") await rm(fifo, { force: true });
  return result;
}

/**
 * Wait until `check()` answers a value other than `undefined`, re-checking
 * whenever something changes in `file`'s directory (inotify) and at least
 * every `backstopMs`. Resolves `undefined` after `timeoutMs`.
 *
 * @internal
 */
export async function waitForFile<T>(file: string, check: () => Promise<T | undefined>, timeoutMs: number, signal: AbortSignal | undefined, backstopMs = 50): Promise<T | undefined> {
  const first = await check();
  if (first !== undefined || timeoutMs <= 0) return first;
  signal?.throwIfAborted();
  const name = basename(file);
  return new Promise<T | undefined>((resolve, reject) => {
    let settled = false;
    let running = false;
    let again = false;
    let watcher: FSWatcher | undefined;
    const finish = (v: T | undefined, err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearInterval(backstop);
      watcher?.close();
      signal?.removeEventListener("abort", onAbort);
      if (err !== undefined) reject(err);
      else resolve(v);
    };
    const probe = (): void => {
      if (settled) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      check().then(
        (v) => {
          running = false;
          if (v !== undefined) finish(v);
          else if (again) {
            again = false;
            probe();
          }
        },
        (e: unknown) => finish(undefined, e),
      );
    };
    const onAbort = (): void => finish(undefined, signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const deadline = setTimeout(() => {
      // One last look before giving up.
      check().then((v) => finish(v), (e: unknown) => finish(undefined, e));
    }, timeoutMs);
    const backstop = setInterval(probe, backstopMs);
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, f) => {
        if (f === null || f === name) probe();
      });
      watcher.on("error", () => undefined);
    } catch {
      // No inotify: the backstop poll alone.
    }
    // The file may have appeared before the watch was set up.
    probe();
  });
}

/**
 * Send `sig` to `pid` only if its parent is `parentPid` (see the file
 * header). `"sent"`, or `"not-child"` when `pid` is gone, a zombie, or no
 * longer the child of `parentPid`.
 *
 * @internal
 */
export async function signalChildOf(pid: number, parentPid: number, sig: NodeJS.Signals): Promise<"sent" | "not-child"> {
  if (!(await isLiveChildOf(pid, parentPid))) return "not-child";
  try {
    process.kill(pid, sig);
    return "sent";
  } catch {
    return "not-child";
  }
}

/**
 * Whether `pid` is a live (non-zombie) child of `parentPid`.
 *
 * @internal
 */
export async function isLiveChildOf(pid: number, parentPid: number): Promise<boolean> {
  if (!(pid > 0) || !(parentPid > 0)) return false;
  const st = await procState(pid);
  return st !== undefined && st.ppid === parentPid && st.state !== "Z" && st.state !== "X";
}
