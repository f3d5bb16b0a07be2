/**
 * The messages between a {@link Spawner} and its spawner process: one JSON
 * object per line, in both directions, over the spawner's stdin and stdout;
 * and the conversions from a {@link RunRequest} and to a {@link RunResult}.
 *
 * @packageDocumentation
 */
import type { RunRequest, RunResult } from "./runner.js";

/**
 * A command to run (daemon to spawner).
 *
 * @internal
 */
export interface SpawnWireRequest {
  readonly t: "run";
  /** Call number, unique per spawner. */
  readonly id: number;
  readonly file: string;
  readonly args: readonly string[];
  /** The whole environment of the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to the command's stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
  /** Kill after this long (ms); 0 for none. */
  readonly timeoutMs: number;
  /** Signal sent on timeout or cancel. */
  readonly killSignal: string;
  /** Run in a new process group and kill the whole group. */
  readonly group: boolean;
  /** Largest stdout and stderr kept, each, in bytes. */
  readonly maxBuffer: number;
  /**
   * Give the command a pipe as fd 3 and answer as soon as a first line
   * arrives on it (or it closes), without waiting for the command to end:
   * for a daemonizing command that reports on a sync pipe (conmon). The
   * command is not killed on timeout then.
   */
  readonly syncFd3?: boolean;
}

/**
 * Cancel a call (daemon to spawner): its process (group) is killed.
 *
 * @internal
 */
export interface SpawnWireCancel {
  readonly t: "cancel";
  readonly id: number;
}

/**
 * The outcome of one call (spawner to daemon).
 *
 * @internal
 */
export interface SpawnWireReply {
  readonly id: number;
  readonly pid?: number;
  /** Exit code, when the command exited. */
  readonly code?: number;
  /** The signal that ended it, when one did. */
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly canceled: boolean;
  /** The first line on fd 3 (`syncFd3`), without its newline; absent when fd 3 closed first. */
  readonly syncLine?: string;
  /** Failure to start the command (`code`, as ENOENT, and message). */
  readonly spawnError?: { readonly code?: string; readonly message: string };
}

/** @internal */
export function resolveRequest(id: number, r: RunRequest): SpawnWireRequest {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...(r.extendEnv === false ? {} : process.env), ...(r.env ?? {}) })) if (v !== undefined) env[k] = v;
  return {
    t: "run",
    id,
    file: r.file,
    args: r.args ?? [],
    env,
    ...(r.cwd !== undefined ? { cwd: r.cwd } : {}),
    ...(r.input !== undefined ? { input: r.input } : {}),
    timeoutMs: r.timeoutMs ?? 0,
    killSignal: r.killSignal ?? "SIGTERM",
    group: r.processGroup === true,
    maxBuffer: r.maxBuffer ?? 8 * 2 ** 20,
    ...(r.syncFd3 === true ? { syncFd3: true } : {}),
  };
}

/** @internal */
export function toResult(w: SpawnWireReply): RunResult {
  return {
    ...(w.pid !== undefined ? { pid: w.pid } : {}),
    ...(w.code !== undefined ? { exitCode: w.code } : {}),
    ...(w.signal !== undefined ? { signal: w.signal } : {}),
    stdout: w.stdout,
    stderr: w.stderr,
    timedOut: w.timedOut,
    canceled: w.canceled,
    ...(w.syncLine !== undefined ? { syncLine: w.syncLine } : {}),
    ...(w.spawnError !== undefined ? { spawnError: w.spawnError } : {}),
  };
}

