/**
 * The worker thread a WASI container runs in: it runs one {@link RunMessage}'s
 * module with `node:wasi`, posts what it writes to fds 1 and 2, then how it
 * ended, and waits to be terminated (so no message is lost to its end). As
 * `node:wasi` has no read-only preopen, calls that would change a read-only
 * mount answer `EROFS`; and as it leaves a module's files open, it closes them.
 */
import { closeSync, openSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import type { Preopen } from "./bundle-plan.js";
import { wasm, type WasmMemory, type WasmModule } from "./wasm-module.js";

/** Parent to worker. */
export type RunMessage = { module: WasmModule; args: string[]; env: Record<string, string>; preopens: Preopen[] };
/** Worker to parent: output, instantiated, not instantiable, ended (exit status, or 134 and the trap). */
export type WorkerMessage =
  | { t: "out"; stream: "stdout" | "stderr"; data: Uint8Array }
  | { t: "started" }
  | { t: "failed"; error: string }
  | { t: "exit"; code: number; error?: string; memoryBytes?: number };

type Call = (...a: never[]) => number;
const EROFS = 69;
const WRITE_RIGHTS = (1n << 6n) | (1n << 8n) | (1n << 22n); // fd_write, fd_allocate, fd_filestat_set_size
const CREAT_OR_TRUNC = 0x1 | 0x8;
/** Calls that change a tree, with the argument positions of their directory fds. */
const mutating = { path_create_directory: [0], path_remove_directory: [0], path_unlink_file: [0], path_filestat_set_times: [0], path_rename: [0, 3], path_symlink: [2], path_link: [0, 4] };
const post = (m: WorkerMessage): void => parentPort?.postMessage(m);

async function run(msg: RunMessage): Promise<WorkerMessage> {
  process.removeAllListeners("warning"); // node:wasi says it is experimental, once per thread
  const { WASI } = await import("node:wasi");
  const devNull = openSync("/dev/null", "r+");
  const preopens = Object.fromEntries(msg.preopens.map((p) => [p.guest, p.host]));
  const wasi = new WASI({ version: "preview1", returnOnExit: true, args: msg.args, env: msg.env, preopens, stdin: devNull, stdout: devNull, stderr: devNull });
  const w = (wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, Call> }).wasi_snapshot_preview1;
  const real = { ...w } as Record<string, (...a: unknown[]) => number>;
  let memory: WasmMemory | undefined;
  let begun = false;
  w["fd_write"] = ((fd: number, iovs: number, count: number, nwritten: number): number => {
    if ((fd !== 1 && fd !== 2) || memory === undefined) return real["fd_write"]!(fd, iovs, count, nwritten);
    const view = new DataView(memory.buffer);
    const parts = Array.from({ length: count }, (_, i) => new Uint8Array(memory!.buffer, view.getUint32(iovs + i * 8, true), view.getUint32(iovs + i * 8 + 4, true)));
    const data = Buffer.concat(parts);
    if (data.length > 0) post({ t: "out", stream: fd === 1 ? "stdout" : "stderr", data });
    view.setUint32(nwritten, data.length, true);
    return 0;
  }) as Call;
  // Every fd the module holds, to close at its end (uvwasi leaves them open); preopens are fds 3, 4, ...
  const held = new Set(msg.preopens.map((_, i) => 3 + i));
  const ro = new Set(msg.preopens.flatMap((p, i) => (p.readonly ? [3 + i] : [])));
  w["path_open"] = ((...a: unknown[]): number => {
    const [dirfd, , , , oflags, rights, , , out] = a as [number, number, number, number, number, bigint, bigint, number, number];
    if (ro.has(dirfd) && ((oflags & CREAT_OR_TRUNC) !== 0 || (BigInt(rights) & WRITE_RIGHTS) !== 0n)) return EROFS;
    const r = real["path_open"]!(...a);
    const fd = r === 0 ? new DataView(memory!.buffer).getUint32(out, true) : -1;
    if (fd >= 0) held.add(fd);
    if (fd >= 0 && ro.has(dirfd)) ro.add(fd);
    return r;
  }) as Call;
  for (const [name, fds] of Object.entries(mutating)) w[name] = ((...a: unknown[]): number => (fds.some((i) => ro.has(a[i] as number)) ? EROFS : real[name]!(...a))) as Call;
  w["fd_close"] = ((fd: number): number => (ro.delete(fd), held.delete(fd), real["fd_close"]!(fd))) as Call;
  w["fd_renumber"] = ((from: number, to: number): number => (held.delete(from), ro.has(from) ? ro.add(to) : ro.delete(to), real["fd_renumber"]!(from, to))) as Call;
  try {
    const instance = await wasm.instantiate(msg.module, { wasi_snapshot_preview1: w }).catch((err: unknown) => {
      throw new Error(`cannot instantiate the module: ${err instanceof Error ? err.message : String(err)}`, { cause: "instantiate" });
    });
    memory = instance.exports["memory"] as WasmMemory | undefined;
    post({ t: "started" });
    begun = true;
    return { t: "exit", code: wasi.start(instance) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return e.cause === "instantiate" ? { t: "failed", error: e.message } : { t: "exit", code: 134, error: `${e.name}: ${e.message}`, memoryBytes: memory?.buffer.byteLength ?? 0 };
  } finally {
    if (begun) for (const fd of held) real["fd_close"]!(fd); // (the parent closes them when it never started)
    closeSync(devNull);
  }
}

let ran = false;
parentPort?.on("message", (msg: RunMessage) => {
  if (!ran) void run(msg).then((m) => post(m));
  ran = true;
});
