/**
 * ExecSync through conmon's exec mode (see `exec-sync.ts` for the rules
 * common to both ways).
 *
 * conmon is started through a {@link ProcessRunner} (the long-lived spawner
 * of `crikit/process` while one is held, as `createCriService` does), not
 * forked from the calling process: a fork of the daemon held its event loop
 * for about 3 ms per ExecSync in a CPU profile of an ExecSync loop. The
 * runner gives conmon a pipe as fd 3 and answers with conmon's first
 * message there, `{"data": PID}` (or `-1` with the runtime's error), and
 * lets conmon go on. conmon then reaps the process, drains its output into
 * the scratch log, writes the exit code to `<dir>/exits/<container id>`
 * (whole, by a rename) and exits. So once the exit file is there the log is
 * complete: the call waits for that file (inotify on the exits directory,
 * and a look at the start and after every event, so nothing is missed),
 * then splits the log into the two streams.
 *
 * conmon's monitor is nobody's child here (its parent exits at once, and it
 * becomes the child of the host's init, which may not reap it): whether it
 * still runs is read from /proc (a zombie counts as gone), never with
 * `kill(pid, 0)`.
 *
 * On timeout or abort the exec'd process tree is killed, round after round
 * until conmon has written the exit file or is gone (at most 2 s), which
 * also catches a process the runtime starts just after the call gave up;
 * then conmon itself gets SIGKILL.
 *
 * @packageDocumentation
 */
import { watch } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { CrikitError } from "../errors.js";
import { defaultRunner, type ProcessRunner } from "../process/index.js";
import { RuntimeCommandError } from "./runtime-command-error.js";
import { isAlive, killQuietly } from "./proc.js";
import { Capped, killProcessTree, readPid } from "./exec-process.js";
import { parseConmonSyncMessage } from "./conmon.js";
import { readCriLogInto } from "./cri-log-split.js";
import type { ExecSyncResult, ResolvedExecSyncInput } from "./exec-sync.js";

/** How often the wait for the exit file also checks that conmon still runs (a lost inotify event, a killed conmon). */
const backstopMs = 1000;
/** How long a timed-out or aborted call keeps killing the exec'd process while conmon lives. */
const stopMs = 2000;

/** Runs the ExecSync through conmon (see the file header). @internal */
export async function execSyncViaConmon(input: ResolvedExecSyncInput, conmon: { path: string; runtimePath: string }): Promise<ExecSyncResult> {
  const runner: ProcessRunner = input.runner ?? defaultRunner;
  const tag = randomBytes(6).toString("hex");
  const dir = join(input.workDir, `exec-${tag}`);
  const exitsDir = join(dir, "exits");
  await mkdir(exitsDir, { recursive: true });
  await mkdir(join(dir, "sock"), { recursive: true });
  const specFile = join(dir, "process.json");
  const pidFile = join(dir, "pid");
  const conmonPidFile = join(dir, "conmon.pid");
  const logFile = join(dir, "log");
  await writeFile(specFile, JSON.stringify({ ...input.process, terminal: false }));
  const args = [
    "--api-version", "1",
    "-c", input.id,
    "-u", `exec-${tag}`,
    "-r", conmon.runtimePath,
    "-b", dir,
    "-p", pidFile,
    "-P", conmonPidFile,
    "-l", `k8s-file:${logFile}`,
    "--exit-dir", exitsDir,
    "--socket-dir-path", join(dir, "sock"),
    "-e",
    "--exec-process-spec", specFile,
    // The log is a scratch file read at once and removed: conmon's fsync of it on exit is wasted time.
    "--no-sync-log",
  ];
  for (const a of input.globalArgs) args.push("--runtime-arg", a);
  const argv = [conmon.path, ...args];
  const deadline = input.timeoutMs > 0 ? Date.now() + input.timeoutMs : Number.POSITIVE_INFINITY;

  // Watch before conmon starts, so the exit file's creation cannot be missed.
  const exit = watchExitFile(exitsDir, input.id, conmonPidFile);
  try {
    // What `runner.run` would throw on an aborted signal is no CrikitError.
    if (input.signal?.aborted) throw new CrikitError("Canceled", `exec in container "${input.id}" was canceled`, { cause: input.signal.reason });
    const res = await runner.run({
      file: conmon.path,
      args,
      // Nothing of the daemon's environment: conmon and `runc exec` need none (the process's own is in its spec), and
      // without LANG/LC_* conmon skips loading the locale's files at start-up.
      env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", _OCI_SYNCPIPE: "3" },
      extendEnv: false,
      // Its own session, as a daemon: signals meant for the caller's process group do not reach it.
      processGroup: true,
      syncFd3: true,
      timeoutMs: Number.isFinite(deadline) ? Math.max(1, deadline - Date.now()) : 0,
      signal: input.signal,
    }).catch(async (e: unknown) => {
      // The runner failed (its spawner process died): whether conmon started is unknown, so stop what may run.
      await stopExec(pidFile, conmonPidFile, exit);
      throw e;
    });
    if (res.spawnError !== undefined) throw new RuntimeCommandError({ argv, stderr: res.spawnError.message, kind: "Other", cause: res.spawnError });
    const first = res.syncLine === undefined ? undefined : parseConmonSyncMessage(res.syncLine);
    if (first !== undefined && first.data < 0) throw new RuntimeCommandError({ argv, exitCode: first.data, stderr: first.message ?? res.stderr });
    if (first === undefined && !res.timedOut && !res.canceled && (await readExitCode(exit.file)) === undefined) {
      // conmon closed the pipe without a pid or an exit code: it failed before the runtime ran.
      throw new RuntimeCommandError({ argv, stderr: res.stderr || "conmon exited without a result", ...(res.exitCode !== undefined ? { exitCode: res.exitCode } : {}), kind: "Other" });
    }
    const r = res.timedOut ? "timeout" : res.canceled ? "abort" : await exit.wait(deadline, input.signal);
    if (r === "timeout" || r === "abort") {
      await stopExec(pidFile, conmonPidFile, exit);
      if (r === "abort") throw new CrikitError("Canceled", `exec in container "${input.id}" was canceled`, { cause: input.signal?.reason });
      throw new CrikitError("DeadlineExceeded", `command in container "${input.id}" timed out after ${input.timeoutMs} ms`, {
        details: { id: input.id, timeoutMs: input.timeoutMs },
      });
    }
    const out = new Capped(input.maxOutputBytes);
    const err = new Capped(input.maxOutputBytes);
    await readCriLogInto(logFile, out, err);
    // conmon gone without an exit file (killed from outside): the process's fate is unknown.
    return { stdout: out.bytes(), stderr: err.bytes(), exitCode: r === "gone" ? 255 : r, truncated: out.truncated || err.truncated };
  } finally {
    exit.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The exit file of one ExecSync's conmon, watched. */
interface ExitFileWatch {
  readonly file: string;
  /**
   * The exit code once the file is there; `"gone"` when conmon is gone
   * without writing it, `"timeout"` at `until`, `"abort"` when `signal`
   * aborts.
   */
  wait(until: number, signal?: AbortSignal): Promise<number | "gone" | "timeout" | "abort">;
  close(): void;
}

function watchExitFile(exitsDir: string, id: string, conmonPidFile: string): ExitFileWatch {
  const file = join(exitsDir, id);
  // Events are counted, so one that arrives while the file is being read is not lost: the wait then looks again.
  let events = 0;
  let wake: () => void = () => {};
  const onEvent = (): void => {
    events++;
    wake();
  };
  const watcher = watch(exitsDir, { persistent: false }, onEvent);
  watcher.on("error", onEvent);
  return {
    file,
    async wait(until, signal) {
      for (let lastBackstop = Date.now(); ; ) {
        const seen = events;
        const code = await readExitCode(file);
        if (code !== undefined) return code;
        if (signal?.aborted) return "abort";
        const now = Date.now();
        if (now >= until) return "timeout";
        if (now - lastBackstop >= backstopMs) {
          lastBackstop = now;
          if (!(await monitorRuns(conmonPidFile))) return (await readExitCode(file)) ?? "gone";
        }
        if (events !== seen) continue;
        const left = Math.min(until - now, backstopMs);
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(t);
            signal?.removeEventListener("abort", done);
            wake = () => {};
            resolve();
          };
          const t = setTimeout(done, left);
          signal?.addEventListener("abort", done, { once: true });
          wake = done;
        });
      }
    },
    close() {
      watcher.close();
    },
  };
}

/** The exit code conmon wrote (it renames the file into place whole), or undefined before it did. */
async function readExitCode(file: string): Promise<number | undefined> {
  const text = (await readFile(file, "utf8").catch(() => "")).trim();
  return /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** Whether conmon's monitor may still run: its pid file not written yet, or the process alive and no zombie. */
async function monitorRuns(conmonPidFile: string): Promise<boolean> {
  const pid = await readPid(conmonPidFile);
  return pid === undefined || (await isAlive(pid));
}

/**
 * Kill the exec'd process tree until conmon reports its end or is gone (at
 * most {@link stopMs}: the runtime may write the pid file only after the
 * call gave up), then once more, then conmon itself. The last round matters
 * when conmon died on its own: a runner that gave up on the call closes the
 * sync pipe, and conmon may die writing the pid there, right after the
 * runtime wrote the pid file; with conmon gone (and the runtime, its child,
 * with it) the pid file is final.
 */
async function stopExec(pidFile: string, conmonPidFile: string, exit: ExitFileWatch): Promise<void> {
  const until = Date.now() + stopMs;
  for (;;) {
    await killProcessTree(pidFile);
    if (!(await monitorRuns(conmonPidFile))) break;
    const r = await exit.wait(Math.min(until, Date.now() + 20));
    if (r !== "timeout" || Date.now() >= until) break;
  }
  await killProcessTree(pidFile);
  const monitor = await readPid(conmonPidFile);
  if (monitor !== undefined) killQuietly(monitor, "SIGKILL");
}
