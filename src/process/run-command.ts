/**
 * One helper command (mount, umount, unshare, ip) run to its end through a
 * {@link ProcessRunner}, failing with a {@link RuntimeCommandError}.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import { RuntimeCommandError } from "../oci/runtime-command-error.js";
import { defaultRunner, type ProcessRunner, type RunResult } from "./runner.js";

/**
 * Options of {@link runCommand}.
 *
 * @public
 */
export interface RunCommandOptions {
  /** Abort the command (it is killed); the call rejects with `Canceled`. */
  signal?: AbortSignal | undefined;
  /** Kill it after this long (ms). */
  timeoutMs?: number;
  /** Working directory. */
  cwd?: string;
  /** A failure whose stderr matches this counts as success (`not mounted`). */
  okStderr?: RegExp;
  /** @defaultValue {@link defaultRunner} */
  runner?: ProcessRunner;
}

/**
 * Run `argv` and return its result; a non-zero exit (unless its stderr
 * matches `okStderr`), a kill or a failure to start rejects with a
 * {@link RuntimeCommandError} of kind `Other` (`DeadlineExceeded` on
 * timeout), an abort with a `Canceled` {@link CrikitError}.
 *
 * @public
 */
export async function runCommand(argv: readonly string[], options: RunCommandOptions = {}): Promise<RunResult> {
  options.signal?.throwIfAborted();
  const [file, ...args] = argv;
  if (file === undefined) throw new CrikitError("InvalidArgument", "runCommand needs a command");
  const res = await (options.runner ?? defaultRunner).run({
    file,
    args,
    signal: options.signal,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  if (res.canceled) throw new CrikitError("Canceled", `${file} was canceled`, { cause: options.signal?.reason });
  if (res.exitCode === 0 || (res.exitCode !== undefined && options.okStderr?.test(res.stderr) === true)) return res;
  throw new RuntimeCommandError({
    argv,
    exitCode: res.exitCode,
    signal: res.signal,
    stderr: res.spawnError?.message ?? res.stderr,
    timedOut: res.timedOut,
    kind: "Other",
    ...(res.spawnError !== undefined ? { cause: res.spawnError } : {}),
  });
}
