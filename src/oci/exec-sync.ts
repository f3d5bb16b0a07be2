/**
 * ExecSync: run a command in a running container and collect its output.
 *
 * Choice: we run `RUNTIME exec --process SPEC --pid-file P ID` directly with
 * pipes, not through conmon's `-e` mode. conmon's exec writes the output to a
 * log file we would then read back and re-split, and costs a second monitor
 * process per probe; the direct call is one process and keeps stdout and
 * stderr apart natively. ExecSync needs no monitor because its caller waits.
 *
 * Rules (from the CRI):
 * - `timeoutMs` 0 means no limit. On timeout the exec'd process and all its
 *   descendants (found through /proc, starting from the pid the runtime
 *   wrote to the pid file) get SIGKILL, then the runtime process itself, and
 *   the call rejects with a `DeadlineExceeded` {@link CrikitError} as soon as
 *   that is done.
 * - Each stream keeps at most `maxOutputBytes` (16 MiB); the rest is read and
 *   dropped without error.
 * - The call ends when the runtime process exits (it waits for the exec'd
 *   process), not when the pipes close: a background child that keeps the
 *   pipes open gets at most `drainMs` (and never past the deadline) for
 *   its output to arrive, then the pipes are closed on our side.
 * - A process that never started (the runtime exits 255 with its own error)
 *   rejects with a {@link RuntimeCommandError}.
 *
 * We spawn with node:child_process rather than execa because the call must
 * resolve on process exit, not on the end of the streams.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { CrikitError } from "../errors.js";
import { RuntimeCommandError, classifyRuntimeError } from "./runtime-command-error.js";
import { descendants, killQuietly } from "./proc.js";

/**
 * The result of {@link runExecSync}.
 *
 * @public
 */
export interface ExecSyncResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
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
  signal?: AbortSignal | undefined;
}

/** The CRI's cap on each ExecSync stream. */
const defaultMaxOutput = 16 * 1024 * 1024;

class Capped {
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

/**
 * Run one command in a running container and wait for it (see the file
 * header for the rules).
 *
 * @public
 */
export async function runExecSync(input: ExecSyncInput): Promise<ExecSyncResult> {
  input.signal?.throwIfAborted();
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

async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, "utf8")).trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const signalNumbers: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
function signalNumber(s: string): number {
  return signalNumbers[s] ?? 0;
}
