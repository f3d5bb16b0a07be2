/**
 * Small readers of /proc used by the OCI adapter: whether a pid lives, a
 * process's descendants, and the effective capabilities.
 *
 * @packageDocumentation
 */
import { readFile, readdir } from "node:fs/promises";

/**
 * The state letter of `/proc/PID/stat` (`R`, `S`, `Z`, ...), or `undefined`
 * when there is no such process.
 *
 * @internal
 */
export async function procState(pid: number): Promise<{ state: string; ppid: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may contain spaces.
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0] ?? "?", ppid: Number(rest[1] ?? 0) };
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live (non-zombie) process.
 *
 * @internal
 */
export async function isAlive(pid: number): Promise<boolean> {
  if (!(pid > 0)) return false;
  const st = await procState(pid);
  return st !== undefined && st.state !== "Z" && st.state !== "X";
}

/**
 * All descendants of `pid` (children, grandchildren, ...), found through
 * the parent pids in /proc.
 *
 * @internal
 */
export async function descendants(pid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = await procState(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() ?? 0;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/**
 * Whether this process has a capability in its effective set (bit numbers as
 * in `linux/capability.h`; CAP_SYS_RESOURCE is 24).
 *
 * @internal
 */
export async function hasEffectiveCapability(bit: number): Promise<boolean> {
  const status = await readFile("/proc/self/status", "utf8");
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m?.[1]) return false;
  return ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
}

/**
 * Send `signal` to `pid`, ignoring a process that is already gone.
 *
 * @internal
 */
export function killQuietly(pid: number, signal: NodeJS.Signals | number): void {
  if (!(pid > 0)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/**
 * Live processes whose argv contains `seq` as consecutive arguments (for
 * instance `["-c", id]` for a conmon, `["create", id]` for a runtime).
 *
 * @internal
 */
export async function processesWithArgs(seq: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let args: string[];
    try {
      args = (await readFile(`/proc/${name}/cmdline`, "utf8")).split("\0");
    } catch {
      continue;
    }
    for (let i = 0; i + seq.length <= args.length; i++) {
      if (seq.every((s, j) => args[i + j] === s)) {
        if (await isAlive(Number(name))) out.push(Number(name));
        break;
      }
    }
  }
  return out;
}
