/**
 * Process helpers for the benchmark peers: start a daemon, wait until its
 * CRI socket answers `Version`, stop it by pid (SIGTERM, then SIGKILL after
 * a grace period), read a process's RSS from `/proc/<pid>/status`, and find
 * the processes a daemon left behind (shims, conmon) by a string that only
 * our own temp directories contain in their command line.
 *
 * Nothing here kills by name: every kill names one pid this bench started,
 * or one whose command line holds a temp path this bench created.
 */
import { readdir, readFile } from "node:fs/promises";
import { execa } from "execa";
import { createCriClient } from "../../test/helpers/cri-client.js";

/** A daemon process this bench started. */
export interface DaemonProcess {
  pid: number;
  /** Settles (never rejects) when the process has exited and been reaped. */
  done: Promise<unknown>;
  /** The tail of the daemon's stderr, for error messages. */
  stderrTail(): string;
}

/**
 * Start `argv[0]` with its arguments, stdout ignored, stderr kept (last 8 KiB)
 * for diagnostics. The daemon gets its own process group, so a Ctrl-C on
 * the bench reaches only the bench, which then removes the pods through the
 * daemon's CRI before stopping it.
 */
export function spawnDaemon(argv: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): DaemonProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("spawnDaemon: empty argv");
  const proc = execa(file, args, { reject: false, detached: true, stdin: "ignore", stdout: "ignore", stderr: "pipe", buffer: false, ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`cannot start ${file}`);
  let tail = "";
  proc.stderr?.on("data", (c: Buffer) => {
    tail = (tail + c.toString("utf8")).slice(-8192);
  });
  return { pid, done: proc.then(() => undefined), stderrTail: () => tail };
}

/** Whether a pid is alive (and not a zombie). */
export async function alive(pid: number): Promise<boolean> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = s.slice(s.lastIndexOf(")") + 2, s.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until the CRI server on `socket` answers `Version`, or fail with the
 * daemon's stderr tail when it exits or `timeoutMs` passes.
 */
export async function waitForCri(socket: string, daemon: DaemonProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await alive(daemon.pid))) throw new Error(`daemon pid ${daemon.pid} exited before its socket answered:\n${daemon.stderrTail()}`);
    const c = createCriClient(socket);
    try {
      await c.unary("Version", { version: "v1" }, { timeoutMs: 1000 });
      return;
    } catch {
      // not up yet
    } finally {
      c.close();
    }
    if (Date.now() > deadline) throw new Error(`CRI socket ${socket} did not answer within ${timeoutMs} ms:\n${daemon.stderrTail()}`);
    await sleep(100);
  }
}

/** Send SIGTERM to one pid, then SIGKILL after `graceMs`; resolves when it is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (await alive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        return;
      }
      const hard = Date.now() + 5000;
      while ((await alive(pid)) && Date.now() < hard) await sleep(20);
      return;
    }
    await sleep(20);
  }
}

/** Stop a daemon this bench started and reap it. */
export async function stopDaemon(d: DaemonProcess, graceMs = 10_000): Promise<void> {
  await stopPid(d.pid, graceMs);
  await d.done;
}

/** VmRSS of a pid in KiB (NaN when it is gone). */
export async function rssKiB(pid: number): Promise<number> {
  try {
    const s = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** A process found in /proc. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
  /** `comm` (the executable's short name). */
  comm: string;
}

/** Every live process whose command line contains `needle`. */
export async function findProcesses(needle: string): Promise<ProcInfo[]> {
  const out: ProcInfo[] = [];
  for (const e of await readdir("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${e}/cmdline`, "utf8")).split("\0").join(" ").trim();
      if (!cmd.includes(needle)) continue;
      const stat = await readFile(`/proc/${e}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (rest[0] === "Z") continue;
      out.push({ pid, ppid: Number(rest[1]), cmdline: cmd, comm });
    } catch {
      // gone
    }
  }
  return out;
}

/** Sum of VmRSS (KiB) over processes; also their count. */
export async function sumRssKiB(pids: readonly number[]): Promise<{ kib: number; count: number }> {
  let kib = 0;
  let count = 0;
  for (const p of pids) {
    const r = await rssKiB(p);
    if (Number.isFinite(r)) {
      kib += r;
      count++;
    }
  }
  return { kib, count };
}

/** Run a command that must succeed; the error names argv and stderr. */
export async function must(argv: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("must: empty argv");
  const r = await execa(file, args, { reject: false, ...(options.input !== undefined ? { input: options.input } : {}), ...(options.env ? { env: options.env } : {}) });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${String(r.exitCode)}): ${String(r.stderr).slice(-2000)}`);
  return String(r.stdout);
}
