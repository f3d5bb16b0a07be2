/**
 * ExecSync: run a command in a running container and collect its output.
 *
 * Two ways, chosen by {@link ExecSyncInput.conmon}:
 *
 * - Through conmon's exec mode (the default of `OciRuntime`): conmon runs
 *   `RUNTIME exec -d --pid-file P --process SPEC ID` with its own pipes, reaps
 *   the process as child subreaper, writes its output to a CRI-format log and
 *   reports on the sync pipe first `{"data": PID}` (or `-1` with the runtime's
 *   error) and then `{"data": EXIT_CODE}`. conmon exits when the process exits
 *   even if a background child still holds the pipes, so such a child cannot
 *   hang the call. Each exec gets its own scratch dir as conmon's bundle,
 *   exit dir and socket dir, so it never touches the container's `ctl` fifo,
 *   attach socket or exit file.
 * - Directly (`RUNTIME exec --process SPEC --pid-file P ID` with our pipes):
 *   one process fewer, and stdout/stderr need no log parsing, but runc (not
 *   crun) copies the output through its own pipes and waits for them to
 *   close, so with runc a background child holding them keeps the call
 *   waiting until the timeout. Use it with crun, or for commands known not
 *   to leave children.
 *
 * Rules common to both (from the CRI):
 * - `timeoutMs` 0 means no limit. On timeout the exec'd process and all its
 *   descendants (found through /proc, starting from the pid the runtime
 *   wrote to the pid file) get SIGKILL, then the runtime or conmon process,
 *   and the call rejects with a `DeadlineExceeded` {@link CrikitError} as soon
 *   as that is done.
 * - Each stream keeps at most `maxOutputBytes` (16 MiB); the rest is read and
 *   dropped without error.
 * - A process that never started (the runtime's own error) rejects with a
 *   {@link RuntimeCommandError}.
 *
 * We spawn with node:child_process rather than execa: conmon needs an extra
 * fd, and the call must resolve on process exit, not on the end of streams.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { CrikitError } from "../errors.js";
import { RuntimeCommandError, classifyRuntimeError } from "./runtime-command-error.js";
import { descendants, killQuietly } from "./proc.js";
import { Capped, readPid, sleep } from "./exec-process.js";
import { parseConmonSyncMessage } from "./conmon.js";

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
  /** How long to wait for pipes after the process exited. @defaultValue 1000 */
  drainMs?: number;
  /** Abort the call: the process and its descendants get SIGKILL and the call rejects with `Canceled`. */
  signal?: AbortSignal | undefined;
  /**
   * Run through conmon's exec mode: conmon runs `RUNTIME exec -d`, reaps the process and exits when it exits, so a
   * background child holding the pipes cannot hang the call. Omit for a direct runtime exec (one process fewer,
   * but with runc such a child keeps the call waiting until the timeout).
   */
  conmon?: { path: string; runtimePath: string } | undefined;
}

/** The CRI's cap on each ExecSync stream. */
const defaultMaxOutput = 16 * 1024 * 1024;

/**
 * Run one command in a running container and wait for it (see the file
 * header for the rules).
 *
 * @public
 */
export async function runExecSync(input: ExecSyncInput): Promise<ExecSyncResult> {
  input.signal?.throwIfAborted();
  if (input.conmon) return execViaConmon(input, input.conmon);
  const tag = randomBytes(6).toString("hex");
  const specFile = join(input.workDir, `exec-${tag}.json`);
  const pidFile = join(input.workDir, `exec-${tag}.pid`);
  await writeFile(specFile, JSON.stringify({ ...input.process, terminal: false }));
  const args = [...input.globalArgs, "exec", "--process", specFile, "--pid-file", pidFile, input.id];
  const argv = [input.binary, ...args];
  const cap = input.maxOutputBytes ?? defaultMaxOutput;
  const drainMs = input.drainMs ?? 1000;
  const started = Date.now();
  const deadline = input.timeoutMs > 0 ? started + input.timeoutMs : Number.POSITIVE_INFINITY;

  const child = spawn(input.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const out = new Capped(cap);
  const err = new Capped(cap);
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  child.stdout.on("error", () => {});
  child.stderr.on("error", () => {});
  const streamsEnded = Promise.all([
    new Promise<void>((r) => child.stdout.once("close", () => r())),
    new Promise<void>((r) => child.stderr.once("close", () => r())),
  ]);

  let aborted = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", reject);
  });

  const killTree = async (): Promise<void> => {
    const pid = await readPid(pidFile);
    if (pid !== undefined) {
      const tree = [pid, ...(await descendants(pid))];
      for (const p of tree) killQuietly(p, "SIGKILL");
    }
    if (child.pid !== undefined) killQuietly(child.pid, "SIGKILL");
  };

  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<"timeout">((resolve) => {
    if (Number.isFinite(deadline)) timer = setTimeout(() => resolve("timeout"), input.timeoutMs);
  });
  let onAbort: (() => void) | undefined;
  const abortP = new Promise<"abort">((resolve) => {
    onAbort = () => resolve("abort");
    input.signal?.addEventListener("abort", onAbort, { once: true });
  });

  try {
    const first = await Promise.race([exited, limit, abortP]);
    if (first === "timeout" || first === "abort") {
      aborted = first === "abort";
      await killTree();
      // The runtime dies with its process; do not wait long for it.
      await Promise.race([exited, sleep(2000)]);
      // A process started after our first look at the pid file.
      await killTree();
      child.stdout.destroy();
      child.stderr.destroy();
      if (aborted) throw new CrikitError("Canceled", `exec in container "${input.id}" was canceled`, { cause: input.signal?.reason });
      throw new CrikitError("DeadlineExceeded", `command in container "${input.id}" timed out after ${input.timeoutMs} ms`, {
        details: { id: input.id, timeoutMs: input.timeoutMs },
      });
    }
    // Exited: give the pipes a moment to deliver what is left.
    const drainUntil = Math.min(Date.now() + drainMs, deadline);
    await Promise.race([streamsEnded, sleep(Math.max(0, drainUntil - Date.now()))]);
    child.stdout.destroy();
    child.stderr.destroy();
    const code = first.code ?? (first.signal !== null ? 128 + signalNumber(first.signal) : 255);
    const stderrText = Buffer.from(err.bytes()).toString("utf8");
    if (code === 255 && /exec failed|container does not exist|not running|stopped container|No such file or directory|is not in `created` or `stopped` state/.test(stderrText)) {
      const kind = classifyRuntimeError(stderrText);
      const started = (await readPid(pidFile)) !== undefined;
      if (!started || kind !== "Other" || /exec failed/.test(stderrText)) {
        throw new RuntimeCommandError({ argv, exitCode: code, stderr: stderrText, kind });
      }
    }
    return { stdout: out.bytes(), stderr: err.bytes(), exitCode: code, truncated: out.truncated || err.truncated };
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) input.signal?.removeEventListener("abort", onAbort);
    await rm(specFile, { force: true });
    await rm(pidFile, { force: true });
  }
}

const signalNumbers: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
function signalNumber(s: string): number {
  return signalNumbers[s] ?? 0;
}

async function execViaConmon(input: ExecSyncInput, conmon: { path: string; runtimePath: string }): Promise<ExecSyncResult> {
  const tag = randomBytes(6).toString("hex");
  const dir = join(input.workDir, `exec-${tag}`);
  await mkdir(join(dir, "exits"), { recursive: true });
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
    "--exit-dir", join(dir, "exits"),
    "--socket-dir-path", join(dir, "sock"),
    "-e",
    "--exec-process-spec", specFile,
    // The log is a scratch file read at once and removed: conmon's fsync of it on exit is wasted time.
    "--no-sync-log",
  ];
  for (const a of input.globalArgs) args.push("--runtime-arg", a);
  const argv = [conmon.path, ...args];
  const cap = input.maxOutputBytes ?? defaultMaxOutput;
  const drainMs = input.drainMs ?? 1000;
  const deadline = input.timeoutMs > 0 ? Date.now() + input.timeoutMs : Number.POSITIVE_INFINITY;

  const child = spawn(conmon.path, args, {
    stdio: ["ignore", "ignore", "pipe", "pipe"],
    // Nothing of the daemon's environment: conmon and `runc exec` need none (the process's own is in its spec), and
    // without LANG/LC_* conmon skips loading the locale's files at start-up.
    env: { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", _OCI_SYNCPIPE: "3" },
    detached: true,
  });
  child.unref();
  const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  const errStream = child.stdio[2] as NodeJS.ReadableStream & { destroy(): void };
  let conmonStderr = "";
  errStream.setEncoding("utf8");
  errStream.on("data", (d: string) => {
    if (conmonStderr.length < 65536) conmonStderr += d;
  });
  errStream.on("error", () => {});
  const messages: { data: number; message?: string }[] = [];
  let waiters: (() => void)[] = [];
  let ended = false;
  let buf = "";
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  sync.setEncoding("utf8");
  sync.on("data", (d: string) => {
    buf += d;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const m = parseConmonSyncMessage(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (m) messages.push(m);
    }
    wake();
  });
  sync.on("error", () => {});
  sync.on("end", () => {
    ended = true;
    wake();
  });
  child.on("error", () => {
    ended = true;
    wake();
  });

  /** Wait for message number n (0-based), the pipe's end, the deadline or an abort. */
  const waitMessage = async (n: number, until: number): Promise<"ok" | "ended" | "timeout" | "abort"> => {
    for (;;) {
      if (messages.length > n) return "ok";
      if (ended) return "ended";
      if (input.signal?.aborted) return "abort";
      const left = until - Date.now();
      if (left <= 0) return "timeout";
      await new Promise<void>((resolve) => {
        const t = Number.isFinite(left) ? setTimeout(resolve, left) : undefined;
        const onAbort = (): void => resolve();
        input.signal?.addEventListener("abort", onAbort, { once: true });
        waiters.push(() => {
          if (t) clearTimeout(t);
          input.signal?.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  };

  const killAll = async (): Promise<void> => {
    const pid = await readPid(pidFile);
    if (pid !== undefined) for (const p of [pid, ...(await descendants(pid))]) killQuietly(p, "SIGKILL");
    const monitor = await readPid(conmonPidFile);
    if (monitor !== undefined) killQuietly(monitor, "SIGKILL");
  };

  try {
    let r = await waitMessage(0, deadline);
    if (r === "ok" && (messages[0]?.data ?? -1) < 0) {
      const text = messages[0]?.message ?? conmonStderr;
      throw new RuntimeCommandError({ argv, exitCode: messages[0]?.data, stderr: text });
    }
    if (r === "ok") r = await waitMessage(1, deadline);
    if (r === "timeout" || r === "abort") {
      await killAll();
      await waitMessage(1, Date.now() + 2000);
      await killAll();
      if (r === "abort") throw new CrikitError("Canceled", `exec in container "${input.id}" was canceled`, { cause: input.signal?.reason });
      throw new CrikitError("DeadlineExceeded", `command in container "${input.id}" timed out after ${input.timeoutMs} ms`, {
        details: { id: input.id, timeoutMs: input.timeoutMs },
      });
    }
    let exitCode: number | undefined = messages[1]?.data;
    if (exitCode === undefined) {
      // conmon ended without the second message: read its exit file.
      const fromFile = await readPid(join(dir, "exits", input.id));
      if (fromFile === undefined && messages.length === 0) {
        throw new RuntimeCommandError({ argv, stderr: conmonStderr || "conmon exited without a result", kind: "Other" });
      }
      exitCode = fromFile ?? 255;
    }
    // conmon flushes the log and exits right after the process; give it a moment.
    await waitMessage(Number.MAX_SAFE_INTEGER, Math.min(Date.now() + drainMs, deadline));
    const out = new Capped(cap);
    const err = new Capped(cap);
    await readCriLogInto(logFile, out, err);
    return { stdout: out.bytes(), stderr: err.bytes(), exitCode, truncated: out.truncated || err.truncated };
  } finally {
    sync.destroy();
    errStream.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Split a CRI-format log into the two streams (F records end a line). */
async function readCriLogInto(file: string, out: Capped, err: Capped): Promise<void> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch {
    return;
  }
  try {
    let rest = Buffer.alloc(0);
    const chunk = Buffer.alloc(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      let data = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
        takeRecord(data.subarray(0, nl), out, err);
        data = data.subarray(nl + 1);
      }
      rest = Buffer.from(data);
    }
    if (rest.length > 0) takeRecord(rest, out, err);
  } finally {
    await fh.close();
  }
}

function takeRecord(line: Buffer, out: Capped, err: Capped): void {
  // <time> <stream> <P|F> <content>
  const s1 = line.indexOf(32);
  const s2 = s1 < 0 ? -1 : line.indexOf(32, s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(32, s2 + 1);
  if (s3 < 0) return;
  const stream = line.subarray(s1 + 1, s2).toString("latin1");
  const tag = line.subarray(s2 + 1, s3).toString("latin1");
  const target = stream === "stderr" ? err : out;
  target.push(Buffer.from(line.subarray(s3 + 1)));
  if (tag === "F") target.push(Buffer.from("\n"));
}
