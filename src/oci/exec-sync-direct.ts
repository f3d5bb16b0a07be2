/**
 * ExecSync as a direct runtime exec (see `exec-sync.ts` for when to use it
 * and for the rules common to both ways): `RUNTIME exec --process SPEC
 * --pid-file P ID` spawned from the calling process with our pipes, the
 * call resolving on the runtime's exit (then giving the pipes `drainMs` to
 * deliver what is left), not on the end of the streams.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { CrikitError } from "../errors.js";
import { RuntimeCommandError, classifyRuntimeError } from "./runtime-command-error.js";
import { descendants, killQuietly } from "./proc.js";
import { Capped, exitCodeOf, readPid, sleep } from "./exec-process.js";
import type { ExecSyncResult, ResolvedExecSyncInput } from "./exec-sync.js";

/** Runs the ExecSync with the runtime alone (see the file header). @internal */
export async function execSyncDirect(input: ResolvedExecSyncInput): Promise<ExecSyncResult> {
  const tag = randomBytes(6).toString("hex");
  const specFile = join(input.workDir, `exec-${tag}.json`);
  const pidFile = join(input.workDir, `exec-${tag}.pid`);
  await writeFile(specFile, JSON.stringify({ ...input.process, terminal: false }));
  const args = [...input.globalArgs, "exec", "--process", specFile, "--pid-file", pidFile, input.id];
  const argv = [input.binary, ...args];
  const deadline = input.timeoutMs > 0 ? Date.now() + input.timeoutMs : Number.POSITIVE_INFINITY;

  const child = spawn(input.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const out = new Capped(input.maxOutputBytes);
  const err = new Capped(input.maxOutputBytes);
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  child.stdout.on("error", () => {});
  child.stderr.on("error", () => {});
  const streamsEnded = Promise.all([
    new Promise<void>((r) => child.stdout.once("close", () => r())),
    new Promise<void>((r) => child.stderr.once("close", () => r())),
  ]);

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
      await killTree();
      // The runtime dies with its process; do not wait long for it.
      await Promise.race([exited, sleep(2000)]);
      // A process started after our first look at the pid file.
      await killTree();
      child.stdout.destroy();
      child.stderr.destroy();
      if (first === "abort") throw new CrikitError("Canceled", `exec in container "${input.id}" was canceled`, { cause: input.signal?.reason });
      throw new CrikitError("DeadlineExceeded", `command in container "${input.id}" timed out after ${input.timeoutMs} ms`, {
        details: { id: input.id, timeoutMs: input.timeoutMs },
      });
    }
    // Exited: give the pipes a moment to deliver what is left.
    const drainUntil = Math.min(Date.now() + input.drainMs, deadline);
    await Promise.race([streamsEnded, sleep(Math.max(0, drainUntil - Date.now()))]);
    child.stdout.destroy();
    child.stderr.destroy();
    const code = exitCodeOf(first.code, first.signal);
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
