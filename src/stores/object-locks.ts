/**
 * Per-object exclusive sections, owned by a {@link Store}: what runs under
 * one object's lock runs one at a time, in call order; different objects
 * run in parallel. A lock entry is dropped when its last call settles, so
 * the map does not grow with the objects ever seen; the object need not
 * exist (a removal holds the lock while it deletes the object).
 *
 * @packageDocumentation
 */

/**
 * Runs async sections one at a time per object ID.
 *
 * @public
 */
export class ObjectLocks {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier section of object `id` has settled; with `signal`, stops waiting when it aborts. */
  async run<T>(id: string, fn: () => Promise<T>, options: { signal?: AbortSignal | undefined } = {}): Promise<T> {
    options.signal?.throwIfAborted();
    const prev = this.#tails.get(id) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => (release = resolve));
    const chained = prev.then(() => tail);
    this.#tails.set(id, chained);
    try {
      await waitUnlessAborted(prev, options.signal);
      return await fn();
    } finally {
      // Hand over only once the section before this one has settled, even if this one stopped waiting.
      void prev.then(() => {
        release();
        if (this.#tails.get(id) === chained) this.#tails.delete(id);
      });
    }
  }

  /** The number of objects with a section queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}

function waitUnlessAborted(p: Promise<unknown>, signal: AbortSignal | undefined): Promise<unknown> {
  if (signal === undefined) return p;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(undefined);
    });
  });
}
