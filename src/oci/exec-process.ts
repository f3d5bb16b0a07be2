/**
 * Helpers of exec sessions (`exec-stream.ts`, `exec-sync.ts`): the exec'd
 * process's pid file, its process tree, its terminal, its exit code, and
 * copying its output.
 *
 * @packageDocumentation
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import type { Readable, Writable } from "node:stream";
import type { TerminalSize } from "../streaming/runtime.js";
import { descendants, killQuietly } from "./proc.js";

/** Resolves after `ms` (the timer does not hold the process). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

export async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, "utf8")).trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wait (up to `ms`) for the runtime to write the pid file while it runs: a
 * session aborted while the runtime is starting the process must not kill
 * the runtime before it has said which process to kill, or the process
 * would be left behind.
 */
export async function awaitPidFile(pidFile: string, runtimeRuns: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while ((await readPid(pidFile)) === undefined && runtimeRuns() && Date.now() < until) await sleep(10);
}

/**
 * SIGKILL the exec'd process (from the pid file) and its descendants. The
 * tree is first stopped (SIGSTOP, round after round until a walk of /proc
 * finds nothing new), so that a process forking at that moment cannot leave
 * a child behind: a stopped parent forks no more and keeps its children,
 * which the next round finds.
 */
export async function killProcessTree(pidFile: string): Promise<void> {
  const root = await readPid(pidFile);
  if (root === undefined) return;
  const stopped = new Set<number>([root]);
  killQuietly(root, "SIGSTOP");
  for (let round = 0; round < 50; round++) {
    const fresh = (await descendants(root)).filter((p) => !stopped.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      killQuietly(p, "SIGSTOP");
      stopped.add(p);
    }
  }
  for (const p of stopped) killQuietly(p, "SIGKILL");
}

/**
 * Set the size of the exec'd process's terminal (its stdin, else stdout)
 * from the host: `stty -F /proc/PID/fd/N`, which also signals SIGWINCH to
 * the terminal's foreground process group. A process that has exited, or
 * has no terminal there, is left alone.
 */
export async function resizeContainerTerminal(pidFile: string, s: TerminalSize): Promise<void> {
  const pid = await readPid(pidFile);
  if (pid === undefined) return;
  for (const fd of [0, 1]) {
    const ok = await new Promise<boolean>((resolve) => {
      execFile("stty", ["-F", `/proc/${pid}/fd/${fd}`, "rows", String(Math.trunc(s.height)), "cols", String(Math.trunc(s.width))], { timeout: 2000 }, (err) => resolve(err === null));
    });
    if (ok) return;
  }
}

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | number | null): number {
  if (code !== null) return code;
  if (typeof signal === "number" && signal > 0) return 128 + signal;
  if (typeof signal === "string") return 128 + (osConstants.signals[signal] ?? 0);
  return 255;
}

/** Copy `from` into `to` without ending `to`; resolves when `from` has ended or closed. */
export function copyInto(from: Readable, to: Writable | undefined, keep?: { text: string }, keepLimit = 4096): Promise<void> {
  return new Promise((resolve) => {
    const onData = (b: Buffer): void => {
      if (keep !== undefined && keep.text.length < keepLimit) keep.text += b.toString("utf8");
      if (to === undefined || to.destroyed) return;
      if (!to.write(b)) {
        // Resume on drain, or when the client's stream is gone (output is then dropped).
        from.pause();
        const resume = (): void => {
          to.off("drain", resume);
          to.off("close", resume);
          from.resume();
        };
        to.on("drain", resume);
        to.on("close", resume);
      }
    };
    from.on("data", onData);
    from.on("error", () => {});
    from.once("close", () => {
      from.off("data", onData);
      resolve();
    });
  });
}

/** A byte buffer that keeps at most `cap` bytes and notes what it dropped. */
export class Capped {
  readonly chunks: Buffer[] = [];
  size = 0;
  truncated = false;
  readonly cap: number;
  constructor(cap: number) {
    this.cap = cap;
  }
  push(b: Buffer): void {
    const room = this.cap - this.size;
    if (room <= 0) {
      if (b.length > 0) this.truncated = true;
      return;
    }
    const take = b.length <= room ? b : b.subarray(0, room);
    if (take.length < b.length) this.truncated = true;
    this.chunks.push(take);
    this.size += take.length;
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks, this.size));
  }
}
