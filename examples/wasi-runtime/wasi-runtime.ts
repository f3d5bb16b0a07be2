/**
 * Containers that are WebAssembly (WASI preview 1) modules, each run in a
 * worker thread of the daemon; shaped like crikit's `OciRuntime`, so the
 * CRI service drives it the same way.
 *
 * ```
 * create  read the bundle (bundle-plan.ts), cap the module's memory at the
 *         spec's limit (memory-cap.ts), compile it: a bad module fails here
 * start   a worker (the warm spare when there is one) instantiates and runs
 *         it; stdout and stderr go to the CRI log (formatCriLog)
 * stop    no signal reaches a module: wait the grace period for it to end,
 *         then terminate the worker (exit code 137)
 * exit    <stateDir>/containers/<id>/meta.json gets the code, reason and
 *         message, then <stateDir>/exits/<id> the code, as conmon writes it
 *         (crikit's ExitMonitor watches that directory)
 * ```
 *
 * Exit codes: the module's own; 134 for a trap (OOMKilled with 137 when its
 * memory had reached the limit); 137 when terminated; 255 with reason
 * `Unknown` for a module that was running when the daemon stopped (workers
 * end with their process: {@link WasiRuntime.recover} reports them so).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CrikitError, failedPrecondition, invalidArgument, notFound, unimplemented } from "../../src/errors.js";
import { criLogTime, formatCriLog, type OciContainerStatus, type OciCreateContainerInput, type OciRecoveryResult } from "../../src/oci/index.js";
import { writeFileAtomic } from "../../src/server/index.js";
import { ExitReason, exitReason } from "../../src/status/index.js";
import { planFromBundle } from "./bundle-plan.js";
import { capMemory, PAGE, wasm, type WasmModule } from "./wasm-module.js";
import type { RunMessage, WorkerMessage } from "./wasi-worker.js";

/** Options of {@link WasiRuntime}. */
export interface WasiRuntimeOptions {
  /** Container metadata and exit files; keep it across restarts. */
  stateDir: string;
  /** The JS heap of each worker (its WASI glue; the module's memory is capped apart), in MiB. @defaultValue 32 */
  workerHeapMb?: number;
  /** Keep one worker started ahead, so a start skips the thread's boot. @defaultValue true */
  warmWorker?: boolean;
  /** Called when a container exits, after its exit file is written. */
  onExit?: (id: string) => void;
}

interface Meta {
  id: string;
  bundle: string;
  logPath: string;
  createdAt: string;
  startedAt?: string;
  labels: Record<string, string>;
  exit?: { code: number; reason: ExitReason; message: string; finishedAt: string };
}

interface Live {
  meta: Meta;
  module?: WasmModule;
  memoryLimit?: number;
  worker?: Worker;
  logFd?: number;
  /** Resolves once the exit is recorded. */
  exited?: Promise<void>;
  terminated?: boolean;
  recording?: Promise<void>;
}

const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./wasi-worker.ts" : "./wasi-worker.js", import.meta.url);

/** The WASI container runtime (see the file header). */
export class WasiRuntime {
  readonly #opts: WasiRuntimeOptions;
  readonly #live = new Map<string, Live>();
  #spare: Worker | undefined;
  #closed = false;

  constructor(options: WasiRuntimeOptions) {
    this.#opts = options;
  }

  /** The state directory. */
  get stateDir(): string {
    return this.#opts.stateDir;
  }

  /** The file holding a container's exit code once it exited. */
  exitFile(id: string): string {
    return join(this.#opts.stateDir, "exits", id);
  }

  /** Reads the bundle and compiles the module; nothing runs yet. */
  async create(input: OciCreateContainerInput, options: { signal?: AbortSignal | undefined } = {}): Promise<{ pid: number; conmonPid: number }> {
    this.#check();
    if (input.terminal === true || input.stdin === true) throw invalidArgument("WASI containers have no terminal and no stdin: unset tty and stdin", "config.tty");
    const plan = await planFromBundle(input.bundle);
    options.signal?.throwIfAborted();
    let bytes: Uint8Array = await readFile(plan.wasmPath);
    let module: WasmModule;
    try {
      if (plan.memoryLimitBytes !== undefined) bytes = capMemory(bytes, plan.memoryLimitBytes);
      module = await wasm.compile(bytes);
    } catch (err) {
      throw invalidArgument(`the image's module ${plan.args[0] ?? ""} cannot run: ${err instanceof Error ? err.message : String(err)}`, "config.image");
    }
    const meta: Meta = { id: input.id, bundle: input.bundle, logPath: input.logPath, createdAt: new Date().toISOString(), labels: input.labels ?? {} };
    await mkdir(join(this.#opts.stateDir, "containers", input.id), { recursive: true });
    await this.#save(meta);
    this.#live.set(input.id, { meta, module, ...(plan.memoryLimitBytes !== undefined ? { memoryLimit: plan.memoryLimitBytes } : {}) });
    return { pid: 0, conmonPid: 0 };
  }

  /** Runs the module; resolves once it is instantiated (a missing import fails here). */
  async start(id: string): Promise<void> {
    this.#check();
    const c = await this.#get(id);
    if (c.meta.startedAt !== undefined || c.meta.exit !== undefined) throw failedPrecondition(`container "${id}" was started already`);
    if (c.module === undefined) await this.#recompile(c);
    const plan = await planFromBundle(c.meta.bundle);
    const worker = this.#takeWorker();
    c.worker = worker;
    c.logFd = openSync(c.meta.logPath, "a");
    let started!: () => void;
    let failed!: (err: Error) => void;
    const ready = new Promise<void>((res, rej) => ((started = res), (failed = rej)));
    let ended: { code: number; error?: string; memoryBytes?: number } | undefined;
    let crash: Error | undefined;
    worker.on("message", (m: WorkerMessage) => {
      if (m.t === "out") this.#writeLog(c, m.stream, m.data);
      else if (m.t === "started") started();
      else if (m.t === "failed") {
        ended = { code: 128, error: m.error };
        failed(failedPrecondition(`container "${id}" cannot start: ${m.error}`));
        void worker.terminate();
      }
      else {
        ended = m;
        void worker.terminate();
      }
    });
    worker.on("error", (err) => (crash = err));
    c.exited = new Promise<void>((resolve) =>
      worker.once("exit", () => {
        failed(failedPrecondition(`container "${id}" cannot start: ${crash?.message ?? "its worker ended"}`));
        const oom = (crash as { code?: string } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY" || (ended?.error !== undefined && c.memoryLimit !== undefined && (ended.memoryBytes ?? 0) + PAGE > c.memoryLimit);
        const code = oom ? 137 : (ended?.code ?? (c.terminated === true ? 137 : 255));
        const message = ended?.error ?? (c.terminated === true ? "terminated: a WebAssembly module cannot catch a stop signal" : (crash?.message ?? "its worker ended"));
        void this.#recordExit(c, code, exitReason({ exitCode: code, oomKilled: oom }), message).then(resolve);
      }),
    );
    const run: RunMessage = { module: c.module as WasmModule, args: plan.args, env: plan.env, preopens: plan.preopens };
    worker.postMessage(run);
    await ready;
    c.meta.startedAt = new Date().toISOString();
    await this.#save(c.meta);
  }

  /** The container's state. */
  async status(id: string): Promise<OciContainerStatus> {
    this.#check();
    const { meta, worker } = await this.#get(id);
    const base = { id, pid: 0, bundle: meta.bundle, logPath: meta.logPath, createdAt: new Date(meta.createdAt), labels: meta.labels, ...(meta.startedAt ? { startedAt: new Date(meta.startedAt) } : {}) };
    if (meta.exit) return { ...base, state: "exited", exitCode: meta.exit.code, reason: meta.exit.reason, message: meta.exit.message, finishedAt: new Date(meta.exit.finishedAt) };
    return { ...base, state: worker ? "running" : "created" };
  }

  /**
   * Waits up to `timeoutMs` for the module to end on its own (no signal
   * reaches it: `stopSignal` is not used), then terminates its worker.
   */
  async stop(id: string, opts: { timeoutMs?: number; stopSignal?: string } = {}): Promise<OciContainerStatus> {
    this.#check();
    const c = await this.#get(id);
    if (c.meta.exit === undefined && c.worker === undefined && c.meta.startedAt === undefined) await this.#recordExit(c, 137, ExitReason.Error, "stopped before it started");
    if (c.worker !== undefined && c.exited !== undefined) {
      const grace = opts.timeoutMs ?? 0;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = grace > 0 ? new Promise<boolean>((res) => (timer = setTimeout(() => res(false), grace))) : Promise.resolve(false);
      const ended = await Promise.race([c.exited.then(() => true), graceOver]);
      clearTimeout(timer);
      if (!ended && c.meta.exit === undefined) {
        c.terminated = true;
        await c.worker.terminate();
      }
      await c.exited;
    }
    return this.status(id);
  }

  /** Stops the container at once and forgets it. */
  async remove(id: string, _opts: { timeoutMs?: number } = {}): Promise<void> {
    this.#check();
    if (this.#live.has(id) || (await this.list()).includes(id)) await this.stop(id, { timeoutMs: 0 }).catch(() => undefined);
    this.#live.delete(id);
    await rm(join(this.#opts.stateDir, "containers", id), { recursive: true, force: true });
    await rm(this.exitFile(id), { force: true });
  }

  /** Nothing to release: an exited module holds nothing. */
  async releaseExited(_id: string): Promise<boolean> {
    return true;
  }

  /** Reopens the CRI log file (after the kubelet rotated it). */
  async reopenLog(id: string): Promise<void> {
    const c = await this.#get(id);
    if (c.logFd === undefined) throw failedPrecondition(`container "${id}" is not running`);
    closeSync(c.logFd);
    c.logFd = openSync(c.meta.logPath, "a");
  }

  /** A module has no processes to exec into. */
  async execSync(id: string): Promise<never> {
    throw unimplemented(`container "${id}" is a WebAssembly module: it has no processes and no shell to exec into`);
  }

  /** Limits are fixed when the module is created. */
  async updateResources(id: string): Promise<void> {
    throw failedPrecondition(`container "${id}" is a WebAssembly module whose memory limit is fixed at create: recreate it to change its resources`);
  }

  /**
   * After a restart: containers that were running ended with the daemon's
   * process (exit 255, reason Unknown); created and exited ones are as they were.
   */
  async recover(): Promise<OciRecoveryResult> {
    this.#check();
    const containers: OciRecoveryResult["containers"] = [];
    for (const id of await this.list()) {
      const c = await this.#get(id).catch(() => undefined);
      if (c === undefined) continue;
      if (c.meta.startedAt !== undefined && c.meta.exit === undefined && c.worker === undefined) {
        await this.#recordExit(c, 255, ExitReason.Unknown, "the daemon that ran this WebAssembly module stopped, and the module with it");
      }
      containers.push({ ...(await this.status(id)), monitorAlive: c.worker !== undefined });
    }
    return { containers, orphans: [] };
  }

  /** The IDs of the containers in the state directory. */
  async list(): Promise<string[]> {
    return (await readdir(join(this.#opts.stateDir, "containers")).catch(() => [] as string[])).sort();
  }

  /** Terminates every module and the spare worker; later calls are `Unavailable`. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const spare = this.#spare;
    this.#spare = undefined;
    await spare?.terminate();
    for (const c of this.#live.values()) {
      if (c.worker === undefined || c.meta.exit !== undefined) continue;
      c.terminated = true;
      await c.worker.terminate();
      await c.exited;
    }
  }

  /** Same as {@link WasiRuntime.close}, without waiting. */
  destroy(): void {
    void this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #check(): void {
    if (this.#closed) throw new CrikitError("Unavailable", "the WASI runtime is closed");
  }

  #spawn(): Worker {
    const w = new Worker(workerUrl, { resourceLimits: { maxOldGenerationSizeMb: this.#opts.workerHeapMb ?? 32 } });
    w.unref(); // a spare does not keep the process alive; a running module does
    return w;
  }

  #takeWorker(): Worker {
    const w = this.#spare ?? this.#spawn();
    this.#spare = this.#opts.warmWorker === false ? undefined : this.#spawn();
    w.ref();
    return w;
  }

  async #get(id: string): Promise<Live> {
    const live = this.#live.get(id);
    if (live) return live;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) throw notFound(`container "${id}" not found`);
    let meta: Meta;
    try {
      meta = JSON.parse(await readFile(join(this.#opts.stateDir, "containers", id, "meta.json"), "utf8")) as Meta;
    } catch (err) {
      throw notFound(`container "${id}" not found`, err);
    }
    const c: Live = { meta };
    this.#live.set(id, c);
    return c;
  }

  async #recompile(c: Live): Promise<void> {
    const plan = await planFromBundle(c.meta.bundle);
    const bytes = await readFile(plan.wasmPath);
    c.module = await wasm.compile(plan.memoryLimitBytes !== undefined ? capMemory(bytes, plan.memoryLimitBytes) : bytes);
    if (plan.memoryLimitBytes !== undefined) c.memoryLimit = plan.memoryLimitBytes;
  }

  #writeLog(c: Live, stream: "stdout" | "stderr", data: Uint8Array): void {
    if (c.logFd !== undefined) writeSync(c.logFd, formatCriLog(stream, data, criLogTime(BigInt(Date.now()) * 1_000_000n)));
  }

  /** Persists the exit (meta, then the exit file) before status reports it; once per container. */
  #recordExit(c: Live, code: number, reason: ExitReason, message: string): Promise<void> {
    c.recording ??= (async () => {
      if (c.logFd !== undefined) closeSync(c.logFd);
      delete c.logFd;
      delete c.module;
      const exit = { code, reason, message, finishedAt: new Date().toISOString() };
      await this.#save({ ...c.meta, exit });
      await mkdir(join(this.#opts.stateDir, "exits"), { recursive: true });
      await writeFile(this.exitFile(c.meta.id), String(code));
      c.meta.exit = exit;
      this.#opts.onExit?.(c.meta.id);
    })();
    return c.recording;
  }

  async #save(meta: Meta): Promise<void> {
    await writeFileAtomic(join(this.#opts.stateDir, "containers", meta.id, "meta.json"), JSON.stringify(meta));
  }
}
