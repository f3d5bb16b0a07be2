/**
 * The one interface every adapter that starts a short-lived command uses
 * ({@link ProcessRunner}), its request and result, and the runner adapters
 * get when nobody passes one: the shared spawner while an owner holds it
 * ({@link acquireSharedSpawner}, which `createCriService` does), otherwise
 * a direct `child_process` spawn from the calling process.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { resolveRequest } from "./spawner-wire.js";
import { createSpawner, type Spawner } from "./spawner.js";
import { onSyncLine } from "./spawner-main.js";

/**
 * One command to run to its end.
 *
 * @public
 */
export interface RunRequest {
  /** The binary: a path, or a name looked up in PATH. */
  readonly file: string;
  /** Its arguments. */
  readonly args?: readonly string[];
  /** Environment variables for the command. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Start from the calling process's environment (`env` overrides it).
   * @defaultValue `true`
   */
  readonly extendEnv?: boolean;
  /** Working directory. */
  readonly cwd?: string;
  /** Written to the command's stdin; without it stdin is `/dev/null`. */
  readonly input?: string;
  /** Kill the command after this long (ms); 0 or absent for no limit. */
  readonly timeoutMs?: number;
  /** Kill the command when this aborts; the result then has `canceled`. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Signal sent on timeout or abort.
   * @defaultValue `"SIGTERM"`
   */
  readonly killSignal?: NodeJS.Signals;
  /**
   * Run it in its own process group and send the kill signal to the whole
   * group, so children it forked cannot keep the call hanging.
   * @defaultValue `false`
   */
  readonly processGroup?: boolean;
  /**
   * Largest stdout and stderr kept, each, in bytes.
   * @defaultValue 8 MiB
   */
  readonly maxBuffer?: number;
  /**
   * For a daemonizing command that reports on a pipe at fd 3 (conmon's
   * `_OCI_SYNCPIPE`): answer with the first line written there (or when it
   * closes) instead of waiting for the command to end. A timeout then only
   * stops waiting. stdout is not captured.
   */
  readonly syncFd3?: boolean;
}

/**
 * How a command ended.
 *
 * @public
 */
export interface RunResult {
  /** Its pid, once started. */
  readonly pid?: number;
  /** Exit code, when it exited. */
  readonly exitCode?: number;
  /** The signal that ended it, when one did. */
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
  /** It was killed (or, with `syncFd3`, given up on) at `timeoutMs`. */
  readonly timedOut: boolean;
  /** It was killed because `signal` aborted. */
  readonly canceled: boolean;
  /** `syncFd3`: the first line written to fd 3, when one was. */
  readonly syncLine?: string;
  /** It could not be started (`code` is an errno name such as `ENOENT`). */
  readonly spawnError?: { readonly code?: string; readonly message: string };
}

/**
 * Runs commands to their end.
 *
 * @public
 */
export interface ProcessRunner {
  /** Run one command. Rejects only when the runner itself fails; a failing command resolves with its status. */
  run(request: RunRequest): Promise<RunResult>;
}

/**
 * A runner that spawns from the calling process (what every adapter did
 * before the spawner). Used when no spawner is held.
 *
 * @public
 */
export const directRunner: ProcessRunner = {
  run(request) {
    request.signal?.throwIfAborted();
    const req = resolveRequest(0, request);
    return new Promise((resolve) => {
      let timedOut = false;
      let canceled = false;
      const child = spawn(req.file, [...req.args], {
        env: req.env,
        ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
        stdio: [req.input !== undefined ? "pipe" : "ignore", req.syncFd3 === true ? "ignore" : "pipe", "pipe", ...(req.syncFd3 === true ? (["pipe"] as const) : [])],
        detached: req.group,
      });
      const kill = (): void => {
        try {
          if (req.group && child.pid !== undefined) process.kill(-child.pid, req.killSignal as NodeJS.Signals);
          else child.kill(req.killSignal as NodeJS.Signals);
        } catch {
          // gone already
        }
      };
      const chunks: [Buffer[], Buffer[]] = [[], []];
      const sizes = [0, 0];
      [child.stdout, child.stderr].forEach((s, k) => {
        s?.on("data", (b: Buffer) => {
          const n = sizes[k] ?? 0;
          if (n < req.maxBuffer) chunks[k]?.push(n + b.length > req.maxBuffer ? b.subarray(0, req.maxBuffer - n) : b);
          sizes[k] = n + b.length;
        });
      });
      const text = (k: 0 | 1): string => Buffer.concat(chunks[k]).toString("utf8");
      let done = false;
      const finish = (r: Omit<RunResult, "timedOut" | "canceled" | "stdout" | "stderr">): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        request.signal?.removeEventListener("abort", onAbort);
        resolve({ ...(child.pid !== undefined ? { pid: child.pid } : {}), stdout: text(0), stderr: text(1), timedOut, canceled, ...r });
      };
      const onAbort = (): void => {
        canceled = true;
        if (req.syncFd3 === true) finish({});
        else kill();
      };
      request.signal?.addEventListener("abort", onAbort, { once: true });
      const timer = req.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            if (req.syncFd3 === true) finish({});
            else kill();
          }, req.timeoutMs)
        : undefined;
      let spawnError: RunResult["spawnError"];
      child.on("error", (e: NodeJS.ErrnoException) => {
        spawnError = { ...(e.code !== undefined ? { code: e.code } : {}), message: e.message };
        if (child.pid === undefined) finish({ spawnError });
      });
      if (req.input !== undefined && child.stdin) {
        child.stdin.on("error", () => undefined);
        child.stdin.end(req.input);
      }
      if (req.syncFd3 === true) {
        const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
        let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
        child.on("exit", (code, signal) => {
          exit = { code, signal };
        });
        onSyncLine(sync, (line) => {
          finish({ ...(exit?.code != null ? { exitCode: exit.code } : {}), ...(exit?.signal != null ? { signal: exit.signal } : {}), ...(line !== undefined ? { syncLine: line } : {}) });
          sync.destroy();
          child.stderr?.destroy();
          child.unref();
        });
        return;
      }
      child.on("close", (code, signal) => {
        finish({ ...(code !== null ? { exitCode: code } : {}), ...(signal !== null ? { signal } : {}), ...(spawnError !== undefined && code === null && signal === null ? { spawnError } : {}) });
      });
    });
  },
};

let shared: Spawner | undefined;
let holders = 0;

/**
 * Hold the process-wide shared spawner: while at least one holder has not
 * released it, {@link defaultRunner} runs commands through it. The last
 * release closes the spawner process. `createCriService` holds it for its
 * service's life.
 *
 * @public
 */
export function acquireSharedSpawner(): { readonly spawner: Spawner; close(): Promise<void> } {
  shared ??= createSpawner();
  holders++;
  const sp = shared;
  let released = false;
  return {
    spawner: sp,
    async close() {
      if (released) return;
      released = true;
      if (--holders === 0) {
        if (shared === sp) shared = undefined;
        await sp.close();
      }
    },
  };
}

/**
 * The runner adapters use when none is given: the shared spawner while it
 * is held, otherwise {@link directRunner}. Read at each call.
 *
 * @public
 */
export const defaultRunner: ProcessRunner = {
  run: (request) => (shared ?? directRunner).run(request),
};
