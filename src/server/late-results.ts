/**
 * Results of create requests that finished after the client gave up.
 *
 * The kubelet calls RunPodSandbox and CreateContainer with a deadline (2
 * minutes by default). On a slow node the runtime may finish the work just
 * after that deadline; the kubelet then retries the same request, and a
 * runtime that only remembers the name reservation fails the retry with
 * "name is reserved" until the kubelet gives up on the pod (the most reported
 * containerd CRI issue). Instead, the service parks the late result here,
 * keyed by the object's name and a fingerprint of the request:
 *
 * - a retry with the same fingerprint claims the parked result, which then
 *   becomes a normal object, and the retry succeeds with its ID;
 * - a request for the same name with a different fingerprint (the pod spec
 *   changed) removes the parked object first, then proceeds normally;
 * - a parked result nobody claims within `ttlMs` is removed.
 *
 * While parked, an object is invisible to List and Status calls, since the
 * kubelet never learned its ID.
 *
 * @packageDocumentation
 */

/** Options of {@link LateResults}. @public */
export interface LateResultsOptions {
  /**
   * How long a parked result waits for the retry, in milliseconds.
   * @defaultValue 600000 (10 minutes)
   */
  ttlMs?: number;
  /** Called when a cleanup fails (the object may have leaked). */
  onCleanupError?: (name: string, err: unknown) => void;
}

interface Parked<R> {
  fingerprint: string;
  result: R;
  cleanup: () => Promise<void>;
  timer: NodeJS.Timeout;
}

/**
 * Parked results of requests that outlived their deadline. See the file
 * header for the rules.
 *
 * @public
 */
export class LateResults<R> {
  readonly #parked = new Map<string, Parked<R>>();
  readonly #ttlMs: number;
  readonly #onCleanupError: (name: string, err: unknown) => void;

  constructor(options: LateResultsOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 600_000;
    this.#onCleanupError = options.onCleanupError ?? (() => {});
  }

  /** The number of parked results. */
  get size(): number {
    return this.#parked.size;
  }

  /** Whether a result is parked under `name`. */
  has(name: string): boolean {
    return this.#parked.has(name);
  }

  /**
   * Parks `result` under `name`. `cleanup` removes the object it stands for;
   * it runs if the result expires or a different request for the name comes.
   * A result already parked under `name` is cleaned up first.
   */
  async park(name: string, fingerprint: string, result: R, cleanup: () => Promise<void>): Promise<void> {
    await this.#drop(name);
    const timer = setTimeout(() => void this.#drop(name), this.#ttlMs);
    timer.unref();
    this.#parked.set(name, { fingerprint, result, cleanup, timer });
  }

  /**
   * For a new request for `name`: returns the parked result if the
   * fingerprints match (and forgets it: the caller now owns the object);
   * otherwise cleans up any parked object for `name` and returns undefined.
   */
  async claim(name: string, fingerprint: string): Promise<R | undefined> {
    const p = this.#parked.get(name);
    if (p === undefined) return undefined;
    if (p.fingerprint === fingerprint) {
      clearTimeout(p.timer);
      this.#parked.delete(name);
      return p.result;
    }
    await this.#drop(name);
    return undefined;
  }

  /** Forgets every parked result without cleaning up (the objects stay). */
  close(): void {
    for (const p of this.#parked.values()) clearTimeout(p.timer);
    this.#parked.clear();
  }

  async #drop(name: string): Promise<void> {
    const p = this.#parked.get(name);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#parked.delete(name);
    try {
      await p.cleanup();
    } catch (err) {
      this.#onCleanupError(name, err);
    }
  }
}
