/**
 * Applies layers in a worker thread, so that decompression glue, hashing of
 * the uncompressed tar, tar parsing and the per-entry file system calls run
 * beside the caller's event loop instead of on it: a pull then downloads
 * (main thread) and unpacks (worker) at once, the daemon's main thread stays
 * free for other RPCs, and the garbage the unpacking makes (a new buffer per
 * read and per decompressed chunk) is collected in the worker's small heap
 * rather than by full collections of the daemon's large one.
 *
 * The worker runs the same {@link applyLayer}, with the same checks; only
 * the place differs. Lifetime:
 *
 * ```
 * (none) ─apply()─► running ─last job done─► idle ─idleMs─► (none)
 *                      ▲                       │
 *                      └──────apply()──────────┘
 * worker error or exit: pending jobs reject with Internal; the next apply() starts a new worker
 * ```
 *
 * An idle worker is unref'd (it never keeps the process alive) and ends
 * after `idleMs`, so an idle daemon carries no second heap.
 *
 * @packageDocumentation
 */
import { Worker } from "node:worker_threads";
import { CrikitError } from "../errors.js";
import type { LayerCompression } from "./media-types.js";
import type { ApplyLayerResult } from "./unpack.js";
import { errorFromWire, type UnpackReply, type UnpackRequest } from "./unpack-wire.js";

/**
 * Options of {@link UnpackThread}.
 *
 * @internal
 */
export interface UnpackThreadOptions {
  /**
   * How long an idle worker stays before it ends, in ms.
   * @defaultValue `10000`
   */
  idleMs?: number;
}

/**
 * Options of {@link UnpackThread.apply}.
 *
 * @internal
 */
export interface UnpackThreadApplyOptions {
  /** The layer's compression. */
  compression: LayerCompression;
  /** The directories of the layers beneath, topmost first (see {@link ApplyLayerOptions}). */
  lowerDirs?: readonly string[];
  /** Cancels the unpacking; the call settles once the worker has stopped writing. */
  signal?: AbortSignal;
}

interface Job {
  resolve: (r: ApplyLayerResult) => void;
  reject: (e: unknown) => void;
}

/**
 * A worker thread that applies layers from blob files, one job per layer.
 *
 * @example
 * ```ts
 * const unpacker = new UnpackThread();
 * const { diffId } = await unpacker.apply(tmpDir, content.path(layer.digest), { compression: "gzip", lowerDirs, signal });
 * await unpacker.close();
 * ```
 *
 * @internal
 */
export class UnpackThread {
  readonly #idleMs: number;
  readonly #jobs = new Map<number, Job>();
  #worker: Worker | undefined;
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: UnpackThreadOptions = {}) {
    this.#idleMs = options.idleMs ?? 10_000;
  }

  /** Starts the worker ahead of the first job (it takes a few ms to load). */
  warm(): void {
    if (!this.#closed) this.#ensure();
  }

  /**
   * Applies the layer in the blob file `blob` to the directory `dir`, as
   * {@link applyLayer} does, in the worker. Rejects with the same errors.
   */
  apply(dir: string, blob: string, options: UnpackThreadApplyOptions): Promise<ApplyLayerResult> {
    if (this.#closed) return Promise.reject(new CrikitError("Unavailable", "the unpack thread is closed"));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const worker = this.#ensure();
    const id = this.#nextId++;
    return new Promise<ApplyLayerResult>((resolve, reject) => {
      const onAbort = (): void => worker.postMessage({ type: "abort", id } satisfies UnpackRequest);
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = (): void => {
        signal?.removeEventListener("abort", onAbort);
        this.#jobs.delete(id);
        if (this.#jobs.size === 0) this.#idle();
      };
      this.#jobs.set(id, {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          // An aborted job answers with the unpacker's abort error; the caller gets its signal's reason.
          reject(signal?.aborted ? signal.reason : e);
        },
      });
      worker.ref();
      worker.postMessage({ type: "apply", id, dir, blob, compression: options.compression, lowerDirs: [...(options.lowerDirs ?? [])] } satisfies UnpackRequest);
    });
  }

  /**
   * Ends the worker; running jobs reject with Unavailable once it has ended
   * (an idle worker ends in the background). Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#stop(new CrikitError("Unavailable", "the unpack thread was closed while a layer was being unpacked"));
  }

  #ensure(): Worker {
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    if (this.#worker !== undefined) return this.#worker;
    const w = new Worker(new URL("./unpack-worker.js", import.meta.url));
    w.unref();
    w.on("message", (m: UnpackReply) => {
      const job = this.#jobs.get(m.id);
      if (job === undefined) return;
      if ("result" in m) job.resolve(m.result);
      else job.reject(errorFromWire(m.error));
    });
    const fail = (why: string, cause?: unknown): void => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      const err = new CrikitError("Internal", `the layer unpacking thread ${why}`, cause === undefined ? undefined : { cause });
      for (const job of [...this.#jobs.values()]) job.reject(err);
    };
    w.on("error", (err) => fail("failed", err));
    w.on("exit", (code) => fail(`exited with code ${code}`));
    this.#worker = w;
    if (this.#jobs.size === 0) this.#idle();
    return w;
  }

  #idle(): void {
    const w = this.#worker;
    if (w === undefined) return;
    w.unref();
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#jobs.size === 0 && this.#worker === w) void this.#stop(undefined);
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  async #stop(reason: CrikitError | undefined): Promise<void> {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const w = this.#worker;
    this.#worker = undefined;
    if (w === undefined) return;
    if (this.#jobs.size === 0) {
      // Nothing runs in it: no need to wait for the thread to end.
      void w.terminate().catch(() => undefined);
      return;
    }
    // Ended before its jobs reject, so nothing writes into their directories once the callers clean up.
    await w.terminate();
    if (reason !== undefined) for (const job of [...this.#jobs.values()]) job.reject(reason);
  }
}
