/**
 * Starting conmon (CRI-O's per-container monitor, 2.1.x) for one container.
 *
 * Protocol, as observed with conmon 2.1.6 (Debian) and read in conmon's
 * sources for facts:
 *
 * 1. We start `conmon --api-version 1 ...` with `_OCI_SYNCPIPE=3` in its
 *    environment and the write end of a pipe as its fd 3.
 * 2. conmon forks: the first process exits at once (status 0 when the
 *    arguments parsed), the monitor lives on in its own session, so it
 *    outlives the daemon; its pid goes to the `-P` file.
 * 3. The monitor runs `RUNTIME [--runtime-arg...] create --bundle B --pid-file P ID`
 *    and then writes one JSON line on the sync pipe: `{"data": PID}` with the
 *    container's init pid, or `{"data": -1, "message": "..."}` with the
 *    runtime's error. We read only that first line.
 * 4. When the container exits, the monitor writes the exit code (128+N for a
 *    signal N) as decimal text to `EXIT_DIR/ID` and `PERSIST_DIR/exit`
 *    (`-0`), and on an OOM kill (cgroup v1: eventfd on
 *    `memory.oom_control`; v2: `memory.events`) it creates `PERSIST_DIR/oom`.
 * 5. While it runs it listens on the fifo `BUNDLE/ctl` for lines
 *    `TYPE HEIGHT WIDTH\n`: type 1 resizes the terminal, type 2 reopens the
 *    log file (for rotation). The attach socket is `BUNDLE/attach`, and a
 *    symlink `SOCKET_DIR/ID` points at the bundle.
 * 6. The container log is written in the CRI format at the `-l k8s-file:PATH`
 *    path (see `cri-log.ts`).
 *
 * conmon writes -1000 to its own `oom_score_adj`; without CAP_SYS_RESOURCE
 * that fails, and conmon only logs it at debug level and goes on.
 *
 * conmon is started through a {@link ProcessRunner} (by default the shared
 * spawner process) with `syncFd3`: the runner gives it the pipe as fd 3 and
 * answers with the first line written there, without waiting for conmon's
 * stdio to end (the monitor keeps it). The sync pipe thus ends in the
 * spawner, which forwards the line; nothing else of conmon's talks to the
 * daemon through a pipe (exit codes, OOM and attach go through files and
 * sockets).
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import { RuntimeCommandError } from "./runtime-command-error.js";
import { defaultRunner, type ProcessRunner } from "../process/index.js";

/**
 * What conmon needs to start one container.
 *
 * @public
 */
export interface ConmonArgsInput {
  /** Container id (`-c`, `-u`). */
  id: string;
  /** Name for conmon's own logs (`-n`). @defaultValue the id */
  name?: string;
  /** Absolute path of the OCI runtime binary (`-r`). */
  runtimePath: string;
  /** Global runtime arguments such as `--root DIR` (each becomes `--runtime-arg`). */
  runtimeArgs?: readonly string[];
  /** Bundle directory (`-b`). */
  bundle: string;
  /** Where the container's init pid goes (`-p`). */
  containerPidFile: string;
  /** Where conmon's own pid goes (`-P`). */
  conmonPidFile: string;
  /** CRI log path (`-l k8s-file:PATH`). */
  logPath: string;
  /** Exit file directory (`--exit-dir`). */
  exitDir: string;
  /** Attach socket directory (`--socket-dir-path`). */
  socketDir: string;
  /** Persist directory for the `exit` and `oom` files (`-0`). */
  persistDir: string;
  /** Allocate a terminal (`-t`). */
  terminal?: boolean;
  /** Keep a stdin pipe (`-i`). */
  stdin?: boolean;
  /** Close stdin after the first attach ends unless set (`--leave-stdin-open`). */
  leaveStdinOpen?: boolean;
  /** Rotate the log at this size in bytes (`--log-size-max`). */
  logSizeMax?: number;
  /** Use the systemd cgroup manager for conmon itself (`-s`). */
  systemdCgroup?: boolean;
  /** Pass `--no-pivot` to the runtime's `create` (`--no-pivot`). */
  noPivot?: boolean;
  /** Pass `--no-new-keyring` to the runtime's `create` (`--no-new-keyring`). */
  noNewKeyring?: boolean;
  /** conmon's `--log-level` (`error`, `warn`, `info`, `debug`). */
  logLevel?: string;
}

/**
 * Build conmon's argument list (without the binary).
 *
 * @public
 */
export function buildConmonArgs(i: ConmonArgsInput): string[] {
  const a = [
    "--api-version", "1",
    "-c", i.id,
    "-u", i.id,
    "-n", i.name ?? i.id,
    "-r", i.runtimePath,
    "-b", i.bundle,
    "-p", i.containerPidFile,
    "-P", i.conmonPidFile,
    "-l", `k8s-file:${i.logPath}`,
    "--exit-dir", i.exitDir,
    "--socket-dir-path", i.socketDir,
    "-0", i.persistDir,
  ];
  for (const r of i.runtimeArgs ?? []) a.push("--runtime-arg", r);
  if (i.terminal === true) a.push("-t");
  if (i.stdin === true) a.push("-i");
  if (i.leaveStdinOpen === true) a.push("--leave-stdin-open");
  if (i.logSizeMax !== undefined && i.logSizeMax > 0) a.push("--log-size-max", String(i.logSizeMax));
  if (i.systemdCgroup === true) a.push("-s");
  if (i.noPivot === true) a.push("--no-pivot");
  if (i.noNewKeyring === true) a.push("--no-new-keyring");
  if (i.logLevel !== undefined) a.push("--log-level", i.logLevel);
  return a;
}

/**
 * Parse conmon's sync-pipe message (`{"data": N, "message": "..."}`).
 * Older conmons do not always escape the message, so this reads it leniently.
 *
 * @public
 */
export function parseConmonSyncMessage(line: string): { data: number; message?: string } | undefined {
  try {
    const v = JSON.parse(line) as { data?: unknown; pid?: unknown; exit_code?: unknown; message?: unknown };
    const data = v.data ?? v.pid ?? v.exit_code;
    if (typeof data === "number") return typeof v.message === "string" ? { data, message: v.message } : { data };
  } catch {
    // fall through to the lenient reading
  }
  const m = /"(?:data|pid|exit_code)"\s*:\s*(-?\d+)/.exec(line);
  if (!m?.[1]) return undefined;
  const msg = /"message"\s*:\s*"(.*)"\s*}\s*$/s.exec(line);
  return msg?.[1] !== undefined ? { data: Number(m[1]), message: msg[1] } : { data: Number(m[1]) };
}

/**
 * Options of {@link runConmon}.
 *
 * @public
 */
export interface RunConmonOptions {
  /** Give up waiting for the runtime's `create` after this long (ms). */
  timeoutMs: number;
  /** Abort the wait for conmon's pid report; the call rejects with `Canceled` (conmon is not killed here). */
  signal?: AbortSignal | undefined;
  /**
   * conmon's working directory. conmon writes an `oom` marker into its
   * working directory as well as into its persist dir, so this should be the
   * container's own directory.
   */
  cwd?: string;
  /**
   * What starts conmon.
   * @defaultValue {@link defaultRunner}
   */
  runner?: ProcessRunner;
}

/**
 * Start conmon with `args` and wait until it reports the container's init pid
 * on the sync pipe. Rejects with a {@link RuntimeCommandError} carrying the
 * runtime's message when `create` failed, or `DeadlineExceeded` on timeout
 * (the caller then cleans up what conmon may have left).
 *
 * @public
 */
export async function runConmon(conmonPath: string, args: readonly string[], options: RunConmonOptions): Promise<{ pid: number }> {
  options.signal?.throwIfAborted();
  const argv = [conmonPath, ...args];
  const res = await (options.runner ?? defaultRunner).run({
    file: conmonPath,
    args,
    env: { _OCI_SYNCPIPE: "3" },
    processGroup: true,
    syncFd3: true,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  if (res.canceled) throw new CrikitError("Canceled", "starting the container monitor was canceled", { cause: options.signal?.reason });
  if (res.timedOut) {
    throw new RuntimeCommandError({ argv, stderr: res.stderr, timedOut: true, kind: "Other", cause: new Error(`no answer from conmon in ${options.timeoutMs} ms`) });
  }
  if (res.spawnError !== undefined) throw new RuntimeCommandError({ argv, stderr: res.spawnError.message, kind: "Other", cause: res.spawnError });
  if (res.syncLine === undefined) {
    // The monitor closed the pipe without a message: conmon failed.
    throw new RuntimeCommandError({
      argv,
      stderr: res.stderr || "conmon exited without reporting a pid (it logs to syslog; check that the exit, socket and persist directories exist)",
      exitCode: res.exitCode,
      signal: res.signal,
      kind: "Other",
    });
  }
  const msg = parseConmonSyncMessage(res.syncLine);
  if (!msg) throw new RuntimeCommandError({ argv, stderr: res.syncLine, kind: "Other" });
  if (msg.data < 0) throw new RuntimeCommandError({ argv, stderr: msg.message ?? res.stderr, exitCode: msg.data });
  return { pid: msg.data };
}
