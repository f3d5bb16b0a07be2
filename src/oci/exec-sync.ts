/**
 * ExecSync: run a command in a running container and collect its output.
 *
 * Two ways, chosen by {@link ExecSyncInput.conmon}:
 *
 * - Through conmon's exec mode (the default of `OciRuntime`;
 *   `exec-sync-conmon.ts`): conmon, started through a process runner (the
 *   shared spawner when one is held), runs
 *   `RUNTIME exec -d --pid-file P --process SPEC ID` with its own pipes,
 *   reaps the process as child subreaper, writes its output to a CRI-format
 *   log and its exit code to an exit file, and exits. conmon exits when the
 *   process exits even if a background child still holds the pipes, so such
 *   a child cannot hang the call. Each exec gets its own scratch dir as
 *   conmon's bundle, exit dir and socket dir, so it never touches the
 *   container's `ctl` fifo, attach socket or exit file.
 * - Directly (`exec-sync-direct.ts`: `RUNTIME exec --process SPEC --pid-file P ID`
 *   with our pipes): one process fewer, and stdout/stderr need no log
 *   parsing, but runc (not crun) copies the output through its own pipes and
 *   waits for them to close, so with runc a background child holding them
 *   keeps the call waiting until the timeout. Use it with crun, or for
 *   commands known not to leave children.
 *
 * Rules common to both (from the CRI):
 * - `timeoutMs` 0 means no limit. On timeout the exec'd process and all its
 *   descendants (found through /proc, starting from the pid the runtime
 *   wrote to the pid file) get SIGKILL, then the runtime or conmon process,
 *   and the call rejects with a `DeadlineExceeded` {@link CrikitError} as soon
 *   as that is done.
 * - An abort of {@link ExecSyncInput.signal} (the CRI client went away)
 *   kills the same way and rejects with `Canceled`: no process is left.
 * - Each stream keeps at most `maxOutputBytes` (16 MiB); the rest is read and
 *   dropped without error.
 * - A process that never started (the runtime's own error) rejects with a
 *   {@link RuntimeCommandError}.
 *
 * @packageDocumentation
 */
import type { CrikitError } from "../errors.js";
import type { ProcessRunner } from "../process/index.js";
import type { RuntimeCommandError } from "./runtime-command-error.js";
import { execSyncViaConmon } from "./exec-sync-conmon.js";
import { execSyncDirect } from "./exec-sync-direct.js";

/**
 * The result of {@link runExecSync}.
 *
 * @public
 */
export interface ExecSyncResult {
  /** What the command wrote to stdout, at most `maxOutputBytes` (CRI `ExecSyncResponse.stdout`). */
  stdout: Uint8Array;
  /** What the command wrote to stderr, at most `maxOutputBytes` (CRI `ExecSyncResponse.stderr`). */
  stderr: Uint8Array;
  /** The command's exit code, 128+N when killed by signal N (CRI `ExecSyncResponse.exit_code`). */
  exitCode: number;
  /** Whether a stream went over the cap and was cut. */
  truncated: boolean;
}

/**
 * Input of {@link runExecSync}.
 *
 * @public
 */
export interface ExecSyncInput {
  /** Runtime binary. */
  binary: string;
  /** Global runtime arguments (`--root`, ...). */
  globalArgs: readonly string[];
  /** Container id. */
  id: string;
  /** The OCI process object to run (args set, terminal false). */
  process: Record<string, unknown>;
  /** A directory for the temporary process spec and pid file. */
  workDir: string;
  /** Time limit in ms; 0 means none. */
  timeoutMs: number;
  /** Cap per stream in bytes. @defaultValue 16 MiB */
  maxOutputBytes?: number;
  /**
   * Direct exec: how long to wait for pipes held open by a background child after the process exited (through
   * conmon there is no such wait: conmon drains them itself). @defaultValue 1000
   */
  drainMs?: number;
  /** Abort the call: the process and its descendants get SIGKILL and the call rejects with `Canceled`. */
  signal?: AbortSignal | undefined;
  /**
   * Run through conmon's exec mode: conmon runs `RUNTIME exec -d`, reaps the process and exits when it exits, so a
   * background child holding the pipes cannot hang the call. Omit for a direct runtime exec (one process fewer,
   * but with runc such a child keeps the call waiting until the timeout).
   */
  conmon?: { path: string; runtimePath: string } | undefined;
  /**
   * What starts conmon (with `conmon` set; a direct exec is spawned from the calling process).
   * @defaultValue crikit/process's `defaultRunner` (the shared spawner while one is held)
   */
  runner?: ProcessRunner | undefined;
}

/** {@link ExecSyncInput} with its defaults filled in, as the two ways take it. @internal */
export type ResolvedExecSyncInput = ExecSyncInput & { readonly maxOutputBytes: number; readonly drainMs: number };

/** The CRI's cap on each ExecSync stream. */
const defaultMaxOutput = 16 * 1024 * 1024;

/**
 * Run one command in a running container and wait for it (see the file
 * header for the rules).
 *
 * @throws {@link CrikitError} `DeadlineExceeded` on timeout, `Canceled` on abort;
 *   {@link RuntimeCommandError} when the runtime could not start the command.
 * @public
 */
export async function runExecSync(input: ExecSyncInput): Promise<ExecSyncResult> {
  input.signal?.throwIfAborted();
  const resolved: ResolvedExecSyncInput = { ...input, maxOutputBytes: input.maxOutputBytes ?? defaultMaxOutput, drainMs: input.drainMs ?? 1000 };
  return input.conmon ? execSyncViaConmon(resolved, input.conmon) : execSyncDirect(resolved);
}
