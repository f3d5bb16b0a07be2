/**
 * The worker thread a WASI container runs in. It waits for one
 * {@link RunMessage}, runs the module with `node:wasi` (preview 1), and
 * sends what the module writes to fds 1 and 2 to the parent as
 * {@link OutputMessage}s, then {@link StartedMessage} once instantiated and one {@link ExitMessage}
 * (or one {@link FailedMessage}). Stop is the
 * parent's `worker.terminate()`: a module cannot catch it.
 *
 * Read-only preopens: `node:wasi` has no read-only preopen, so the calls
 * that could change a read-only tree (an open for writing or creating, and
 * the path calls that make, remove, rename or link) answer `EROFS` when
 * their directory descends from one.
 */
import { closeSync, openSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import type { Preopen } from "./bundle-plan.js";
import { wasm, type WasmInstance, type WasmMemory, type WasmModule } from "./wasm-module.js";

/** Parent to worker: run this module. */
export interface RunMessage {
  module: WasmModule;
  args: string[];
  env: Record<string, string>;
  preopens: Preopen[];
}
/** Worker to parent: bytes the module wrote to stdout or stderr. */
export interface OutputMessage {
  t: "out";
  stream: "stdout" | "stderr";
  data: Uint8Array;
}
/** Worker to parent: the module is instantiated and runs. */
export interface StartedMessage {
  t: "started";
}
/** Worker to parent: the module could not be instantiated (it never ran). */
export interface FailedMessage {
  t: "failed";
  error: string;
}
/** Worker to parent: how the module ended. */
export interface ExitMessage {
  t: "exit";
  /** The exit status; 134 for a trap. */
  code: number;
  /** The trap that ended it, if it did not exit. */
  error?: string;
  /** The size of its memory when it trapped. */
  memoryBytes?: number;
}
/** Everything a worker sends. */
export type WorkerMessage = OutputMessage | StartedMessage | FailedMessage | ExitMessage;

const EROFS = 69;
const FD_WRITE = 1n << 6n;
const FD_ALLOCATE = 1n << 8n;
const FD_FILESTAT_SET_SIZE = 1n << 22n;
const OFLAGS_CREAT_OR_TRUNC = 0x1 | 0x8;
/** The calls that change a directory tree, with the positions of their directory fds. */
const mutating: Record<string, number[]> = {
  path_create_directory: [0],
  path_remove_directory: [0],
  path_unlink_file: [0],
  path_filestat_set_times: [0],
  path_rename: [0, 3],
  path_symlink: [2],
  path_link: [0, 4],
};

type Fn = (...a: never[]) => number;

async function run(msg: RunMessage): Promise<ExitMessage | FailedMessage> {
  process.removeAllListeners("warning"); // node:wasi is experimental and says so once per thread
  const { WASI } = await import("node:wasi");
  const devNull = openSync("/dev/null", "r+");
  const wasi = new WASI({
    version: "preview1",
    returnOnExit: true,
    args: msg.args,
    env: msg.env,
    preopens: Object.fromEntries(msg.preopens.map((p) => [p.guest, p.host])),
    stdin: devNull,
    stdout: devNull,
    stderr: devNull,
  });
  const imports = wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, Fn> };
  const w = imports.wasi_snapshot_preview1;
  let memory: WasmMemory | undefined;
  const real = { ...w };
  w["fd_write"] = ((fd: number, iovs: number, count: number, nwritten: number): number => {
    if ((fd !== 1 && fd !== 2) || memory === undefined) return (real["fd_write"] as (...a: number[]) => number)(fd, iovs, count, nwritten);
    const view = new DataView(memory.buffer);
    const parts: Uint8Array[] = [];
    let n = 0;
    for (let i = 0; i < count; i++) {
      const len = view.getUint32(iovs + i * 8 + 4, true);
      parts.push(new Uint8Array(memory.buffer, view.getUint32(iovs + i * 8, true), len).slice());
      n += len;
    }
    const data = new Uint8Array(n);
    parts.reduce((at, p) => (data.set(p, at), at + p.length), 0);
    if (n > 0) parentPort?.postMessage({ t: "out", stream: fd === 1 ? "stdout" : "stderr", data } satisfies OutputMessage, [data.buffer]);
    view.setUint32(nwritten, n, true);
    return 0;
  }) as Fn;
  // Read-only preopens (fds 3, 4, ... in preopen order) and what is opened under them.
  const ro = new Set(msg.preopens.flatMap((p, i) => (p.readonly ? [3 + i] : [])));
  if (ro.size > 0) {
    w["path_open"] = ((dirfd: number, df: number, path: number, len: number, oflags: number, base: bigint, inh: bigint, fdflags: number, out: number): number => {
      const writes = (oflags & OFLAGS_CREAT_OR_TRUNC) !== 0 || (BigInt(base) & (FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE)) !== 0n;
      if (ro.has(dirfd) && writes) return EROFS;
      const r = (real["path_open"] as (...a: unknown[]) => number)(dirfd, df, path, len, oflags, base, inh, fdflags, out);
      if (r === 0 && ro.has(dirfd) && memory) ro.add(new DataView(memory.buffer).getUint32(out, true));
      return r;
    }) as Fn;
    for (const [name, fds] of Object.entries(mutating)) {
      const f = real[name] as (...a: unknown[]) => number;
      w[name] = ((...a: unknown[]): number => (fds.some((i) => ro.has(a[i] as number)) ? EROFS : f(...a))) as Fn;
    }
    w["fd_close"] = ((fd: number): number => (ro.delete(fd), (real["fd_close"] as (fd: number) => number)(fd))) as Fn;
  }
  let instance: WasmInstance;
  try {
    instance = await wasm.instantiate(msg.module, imports);
  } catch (err) {
    closeSync(devNull);
    return { t: "failed", error: `cannot instantiate the module: ${err instanceof Error ? err.message : String(err)}` };
  }
  memory = instance.exports["memory"] as WasmMemory | undefined;
  parentPort?.postMessage({ t: "started" } satisfies StartedMessage);
  try {
    return { t: "exit", code: wasi.start(instance) };
  } catch (err) {
    return { t: "exit", code: 134, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), memoryBytes: memory?.buffer.byteLength ?? 0 };
  } finally {
    closeSync(devNull);
  }
}

// The worker stays until the parent terminates it, so no message is lost to its end.
let ran = false;
parentPort?.on("message", (msg: RunMessage) => {
  if (ran) return;
  ran = true;
  void run(msg).then((done) => parentPort?.postMessage(done));
});
