/**
 * A `ContainerRuntime` whose containers are WebAssembly (WASI preview 1) modules, each run in a worker
 * thread (wasi-worker.ts). Exits: the module's status; 134 for a trap, 137 and `OOMKilled` for one at its
 * memory limit; 137 when stop terminated it after the grace period (no signal reaches a module); 255 and
 * `Unknown` for one running when the daemon stopped (workers end with it). Recorded in `<stateDir>/<id>.json`.
 */
import { closeSync, openSync, readdirSync, writeSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { CrikitError, failedPrecondition, invalidArgument, notFound, unimplemented } from "crikit/errors";
import { criLogTime, formatCriLog } from "crikit/oci";
import type { ContainerCreateInput, ContainerRuntime, ExitWatch, RuntimeContainerStatus, RuntimeRecovery } from "crikit/runtime";
import { RecordDir } from "crikit/server";
import type { OciSpec } from "crikit/spec";
import { ExitReason, exitReason } from "crikit/status";
import { linkOf, planFromBundle, type WasiPlan } from "./bundle-plan.js";
import type { RunMessage, WorkerMessage } from "./wasi-worker.js";
import { capMemory, PAGE, wasm, type WasmModule } from "./wasm-module.js";

/** Options of {@link WasiRuntime}: where containers are recorded across restarts; `warmWorker: false` boots no spare worker ahead. */
export type WasiRuntimeOptions = { stateDir: string; warmWorker?: boolean };

type Saved = { bundle: string; logPath: string; startedAt?: string; exit?: { code: number; reason: ExitReason; message: string; finishedAt: string } };
// killed: terminated by stop after the grace period; exited: the exit being recorded; ended: the worker
// ended and its exit is recorded; saved: the last record write (one container's writes go in order).
type Container = { id: string; rec: Saved; plan?: WasiPlan; module?: WasmModule; worker?: Worker; logFd?: number; killed?: boolean } & {
  exited?: Promise<void>;
  ended?: Promise<void>;
  saved?: Promise<void>;
};

type Ending = Extract<WorkerMessage, { t: "exit" }>;
const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./wasi-worker.ts" : "./wasi-worker.js", import.meta.url);
const STOPPED = "the daemon running this WebAssembly module stopped, and the module with it";
const KILLED = "terminated after the grace period: a WebAssembly module cannot catch a stop signal";
// The worker's JS heap holds the WASI glue only (the module's memory is capped apart).
const spawn = (): Worker => new Worker(workerUrl, { resourceLimits: { maxOldGenerationSizeMb: 32 } });

/** Closes the files a terminated worker's module left open in its rootfs (no other container's); those in its mounts stay open. */
function closeFilesUnder(dir: string | undefined): void {
  for (const fd of dir === undefined ? [] : readdirSync("/proc/self/fd")) {
    const target = linkOf(`/proc/self/fd/${fd}`);
    if (target === dir || target.startsWith(`${dir}/`)) closeSync(Number(fd));
  }
}

/** The WASI container runtime (see the file header). */
export class WasiRuntime implements ContainerRuntime {
  readonly #opts: WasiRuntimeOptions;
  readonly #records: RecordDir<Saved>;
  readonly #containers = new Map<string, Container>();
  readonly #watchers = new Set<(id: string) => void | Promise<void>>();
  #spare: Worker | undefined;
  #closed = false;

  constructor(options: WasiRuntimeOptions) {
    this.#opts = options;
    this.#records = new RecordDir(options.stateDir);
  }

  /** At CreateContainer, a module that cannot run is refused (compiled and dropped: `create`, at the first start, compiles it again). */
  async check(input: ContainerCreateInput): Promise<void> {
    await this.#compile(this.#fresh(input), input.spec);
  }

  async create(input: ContainerCreateInput): Promise<{ pid: number }> {
    const c = this.#fresh(input);
    await this.#compile(c, input.spec);
    await this.#save(c);
    this.#containers.set(c.id, c);
    return { pid: 0 };
  }

  async start(id: string): Promise<void> {
    this.#check();
    const c = this.#get(id);
    if (c.worker !== undefined || c.rec.exit !== undefined) throw failedPrecondition(`container "${id}" was started already`);
    if (c.module === undefined) await this.#compile(c);
    const { args, env, preopens } = c.plan as WasiPlan;
    const worker = (c.worker = this.#spare ?? spawn());
    this.#spare = undefined;
    worker.ref();
    c.logFd = openSync(c.rec.logPath, "a");
    let ending: Ending | undefined;
    let crash: Error | undefined;
    const started = new Promise<void>((resolve, reject) => {
      worker.on("message", (m: WorkerMessage) => {
        if (m.t === "out") writeSync(c.logFd ?? 2, formatCriLog(m.stream, m.data, criLogTime(BigInt(Date.now()) * 1_000_000n)));
        else if (m.t === "started") {
          c.rec.startedAt = new Date().toISOString();
          resolve();
        } else {
          ending = m.t === "exit" ? m : { t: "exit", code: 128, error: m.error };
          void worker.terminate(); // the worker waits for it, so no message is lost to its end
        }
      });
      worker.on("error", (err) => (crash = err));
      c.ended = new Promise<void>((done) =>
        worker.once("exit", () => {
          if (ending === undefined || c.rec.startedAt === undefined) closeFilesUnder(c.plan?.preopens[0]?.host);
          reject(failedPrecondition(`container "${id}" cannot start: ${ending?.error ?? crash?.message ?? "its worker ended"}`));
          void this.#ended(c, ending, crash).then(done);
        }),
      );
    });
    worker.postMessage({ module: c.module as WasmModule, args, env, preopens } satisfies RunMessage);
    await started.finally(() => this.#refill());
    await this.#save(c);
  }

  #ended(c: Container, ending: Ending | undefined, crash: Error | undefined): Promise<void> {
    const limit = c.plan?.memoryLimitBytes;
    const oom =
      (crash as { code?: string } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY" ||
      (ending?.error !== undefined && ending.code === 134 && limit !== undefined && (ending.memoryBytes ?? 0) + PAGE > limit);
    if (oom) return this.#recordExit(c, 137, ExitReason.OOMKilled, ending?.error ?? crash?.message ?? "");
    if (ending !== undefined) return this.#recordExit(c, ending.code, exitReason({ exitCode: ending.code }), ending.error ?? "");
    if (c.killed === true) return this.#recordExit(c, 137, ExitReason.Error, KILLED);
    if (this.#closed) return this.#recordExit(c, 255, ExitReason.Unknown, STOPPED);
    return this.#recordExit(c, 255, ExitReason.Error, crash?.message ?? "its worker ended");
  }

  async status(id: string): Promise<RuntimeContainerStatus> {
    const { rec, worker } = this.#get(id);
    const started = rec.startedAt !== undefined ? { startedAt: new Date(rec.startedAt) } : {};
    const x = rec.exit;
    if (x === undefined) return { id, pid: 0, state: worker !== undefined ? "running" : "created", ...started };
    return { id, pid: 0, state: "exited", ...started, exitCode: x.code, reason: x.reason, message: x.message, finishedAt: new Date(x.finishedAt) };
  }

  /** Waits up to `timeoutMs` for the module to end (`stopSignal` cannot reach it), then terminates its worker. */
  async stop(id: string, opts: { timeoutMs?: number; stopSignal?: string } = {}): Promise<RuntimeContainerStatus> {
    const c = this.#get(id);
    if (c.worker === undefined) {
      if (c.rec.exit === undefined) await this.#recordExit(c, 137, ExitReason.Error, "stopped before it started");
    } else if (c.ended !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([c.ended, new Promise<void>((r) => (timer = setTimeout(r, opts.timeoutMs ?? 0)))]);
      clearTimeout(timer);
      if (c.exited === undefined) {
        c.killed = true;
        await c.worker.terminate();
      }
      await c.ended;
    }
    return this.status(id);
  }

  async remove(id: string): Promise<void> {
    if (!this.#containers.has(id)) return;
    await this.stop(id);
    this.#containers.delete(id);
    await this.#records.delete(id);
  }

  async watchExits(onExit: (id: string) => void | Promise<void>): Promise<ExitWatch> {
    this.#watchers.add(onExit);
    const recheck = async (): Promise<void> => {
      for (const c of this.#containers.values()) if (c.rec.exit !== undefined) await onExit(c.id);
    };
    return { recheck, close: async () => void this.#watchers.delete(onExit) };
  }

  async execSync(id: string): Promise<never> {
    throw unimplemented(`container "${id}" is a WebAssembly module: it has no processes and no shell to exec into`);
  }

  async updateResources(id: string): Promise<void> {
    throw failedPrecondition(`container "${id}" is a WebAssembly module whose memory limit is fixed at create: recreate it to change its resources`);
  }

  async reopenLog(id: string): Promise<void> {
    const c = this.#get(id);
    if (c.logFd === undefined) throw failedPrecondition(`container "${id}" is not running`);
    closeSync(c.logFd);
    c.logFd = openSync(c.rec.logPath, "a");
  }

  /** Loads the records; a module running when the daemon stopped ended with it (255, `Unknown`). */
  async recover(): Promise<RuntimeRecovery> {
    this.#check();
    for (const [id, rec] of await this.#records.loadAll()) {
      const c = this.#containers.get(id) ?? { id, rec };
      this.#containers.set(id, c);
      if (rec.startedAt !== undefined && rec.exit === undefined && c.worker === undefined) await this.#recordExit(c, 255, ExitReason.Unknown, STOPPED);
    }
    return { containers: await Promise.all([...this.#containers.keys()].map((id) => this.status(id))), orphans: [] };
  }

  async list(): Promise<string[]> {
    return [...this.#containers.keys()].sort();
  }

  /** Terminates the spare and every module (they cannot outlive the process): 255, `Unknown`. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#spare?.terminate();
    this.#spare = undefined;
    for (const c of this.#containers.values()) if (c.exited === undefined) await c.worker?.terminate().then(() => c.ended);
  }

  #check(): void {
    if (this.#closed) throw new CrikitError("Unavailable", "the WASI runtime is closed");
  }

  #get(id: string): Container {
    const c = this.#containers.get(id);
    if (c === undefined) throw notFound(`container "${id}" not found`);
    return c;
  }

  /** Boots the next spare once a start is done, so it does not compete with that start; it keeps no process alive. */
  #refill(): void {
    if (this.#spare === undefined && !this.#closed && this.#opts.warmWorker !== false) (this.#spare = spawn()).unref();
  }

  #fresh(input: ContainerCreateInput): Container {
    this.#check();
    if (input.terminal === true || input.stdin === true) throw invalidArgument("a WebAssembly container has no terminal and no stdin: unset tty and stdin", "config.tty");
    return { id: input.id, rec: { bundle: input.bundle, logPath: input.logPath } };
  }

  async #compile(c: Container, spec?: OciSpec): Promise<void> {
    const plan = await planFromBundle(c.rec.bundle, spec);
    try {
      c.module = await wasm.compile(plan.memoryLimitBytes === undefined ? plan.module : capMemory(plan.module, plan.memoryLimitBytes));
      c.plan = plan;
    } catch (err) {
      throw invalidArgument(`the image's module ${plan.args[0] ?? ""} cannot run: ${err instanceof Error ? err.message : String(err)}`, "config.image");
    }
  }

  /** Records the exit, once per container, then tells the watchers. */
  #recordExit(c: Container, code: number, reason: ExitReason, message: string): Promise<void> {
    c.exited ??= (async () => {
      if (c.logFd !== undefined) closeSync(c.logFd);
      delete c.logFd;
      delete c.module;
      c.rec.exit = { code, reason, message, finishedAt: new Date().toISOString() };
      await this.#save(c).catch(() => undefined); // unsaved, recover() reports it Unknown
      for (const w of this.#watchers) void Promise.resolve(w(c.id)).catch(() => undefined);
    })();
    return c.exited;
  }

  #save(c: Container): Promise<void> {
    const rec = structuredClone(c.rec);
    c.saved = (c.saved ?? Promise.resolve()).catch(() => undefined).then(() => this.#records.put(c.id, rec));
    return c.saved;
  }
}
