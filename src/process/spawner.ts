/**
 * Running short-lived commands from a long-lived spawner process instead of
 * forking the daemon.
 *
 * Why: `child_process.spawn` forks the calling process on its event loop.
 * The fork copies the caller's page tables, so it costs more the larger the
 * daemon grows, and under CPU contention one spawn held a 170 MiB daemon's
 * loop for 3-50 ms (measurements in the commit that added this file). A
 * spawner is a second, minimal Node process (see `spawner-main.ts`) that the
 * daemon starts once: each call is one line of JSON on its stdin and one
 * back on its stdout, so the daemon's loop only writes to a pipe, and the
 * fork happens in a process of about 40 MiB on the other core.
 *
 * Life cycle: the spawner starts on the first call, and {@link Spawner.close}
 * ends it (closing its stdin; it lets the calls in flight finish, then exits).
 * If it dies, the calls in flight reject with an `Unavailable`
 * {@link CrikitError} saying their outcome is unknown, and the next call
 * starts a new one.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from "node:child_process";
import { CrikitError } from "../errors.js";
import { onSyncLine, spawnerMain } from "./spawner-main.js";
import { resolveRequest, toResult, type SpawnWireReply, type SpawnWireRequest } from "./spawner-wire.js";
import type { ProcessRunner, RunRequest, RunResult } from "./runner.js";

/**
 * A {@link ProcessRunner} backed by a spawner process.
 *
 * @public
 */
export interface Spawner extends ProcessRunner {
  /** The spawner process's pid, while one runs. */
  readonly pid: number | undefined;
  /** How many spawner processes were started (1 plus restarts). */
  readonly starts: number;
  /** End the spawner process; calls in flight finish first. Later calls start a new one. */
  close(): Promise<void>;
}

/**
 * Options of {@link createSpawner}.
 *
 * @public
 */
export interface SpawnerOptions {
  /**
   * The Node binary the spawner runs on.
   * @defaultValue `process.execPath`
   */
  nodePath?: string;
}

interface Pending {
  readonly req: SpawnWireRequest;
  readonly resolve: (r: RunResult) => void;
  readonly reject: (e: unknown) => void;
  readonly cleanup: () => void;
}

// tsx and esbuild may wrap nested functions in `__name(...)`; define it so the
// source also runs on its own.
const SOURCE = `var __name = (f) => f;\nvar onSyncLine = ${onSyncLine.toString()};\n(${spawnerMain.toString()})();`;

/**
 * Create a spawner (started on first use).
 *
 * @example
 * ```ts
 * const sp = createSpawner();
 * const r = await sp.run({ file: "runc", args: ["--version"] });
 * await sp.close();
 * ```
 *
 * @public
 */
export function createSpawner(options: SpawnerOptions = {}): Spawner {
  const nodePath = options.nodePath ?? process.execPath;
  let child: ChildProcess | undefined;
  let closing: Promise<void> | undefined;
  let nextId = 1;
  let starts = 0;
  const pending = new Map<number, Pending>();

  const start = (): ChildProcess => {
    const p = spawn(nodePath, ["--max-semi-space-size=1", "--max-old-space-size=64", "-e", SOURCE], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    starts++;
    // Idle, the spawner does not keep the owner's event loop alive; a call
    // in flight does (its stdout is referenced while calls are pending).
    p.unref();
    (p.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    const out = p.stdout as unknown as { ref?: () => void; unref?: () => void } | null;
    out?.unref?.();
    let buf = "";
    p.stdout?.setEncoding("utf8");
    p.stdout?.on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const reply = JSON.parse(buf.slice(0, nl)) as SpawnWireReply;
        buf = buf.slice(nl + 1);
        const call = pending.get(reply.id);
        if (!call) continue;
        pending.delete(reply.id);
        if (pending.size === 0) out?.unref?.();
        call.cleanup();
        call.resolve(toResult(reply));
      }
    });
    p.stdin?.on("error", () => undefined);
    const died = (how: string): void => {
      if (child !== p) return;
      child = undefined;
      for (const [id, call] of pending) {
        pending.delete(id);
        call.cleanup();
        call.reject(new CrikitError("Unavailable", `the spawner process ${how} while running ${call.req.file}; whether the command ran is unknown`));
      }
    };
    p.on("exit", (code, signal) => died(signal !== null ? `was killed by ${signal}` : `exited with status ${code ?? "?"}`));
    p.on("error", (e) => died(`failed (${e.message})`));
    child = p;
    return p;
  };

  const run = async (request: RunRequest): Promise<RunResult> => {
    request.signal?.throwIfAborted();
    if (closing) await closing;
    const id = nextId++;
    const req = resolveRequest(id, request);
    const p = child ?? start();
    return new Promise<RunResult>((resolve, reject) => {
      const onAbort = (): void => {
        if (pending.has(id)) p.stdin?.write(`${JSON.stringify({ t: "cancel", id })}\n`);
      };
      request.signal?.addEventListener("abort", onAbort, { once: true });
      pending.set(id, { req, resolve, reject, cleanup: () => request.signal?.removeEventListener("abort", onAbort) });
      (p.stdout as unknown as { ref?: () => void } | null)?.ref?.();
      p.stdin?.write(`${JSON.stringify(req)}\n`);
    });
  };

  return {
    get pid() {
      return child?.pid;
    },
    get starts() {
      return starts;
    },
    run,
    close() {
      const p = child;
      if (!p) return Promise.resolve();
      closing ??= new Promise<void>((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve();
        p.once("exit", () => resolve());
        // Waiting for the exit must keep the owner alive (idle, the child is unref'd).
        p.ref();
        p.stdin?.end();
      }).finally(() => {
        closing = undefined;
      });
      return closing;
    },
  };
}
