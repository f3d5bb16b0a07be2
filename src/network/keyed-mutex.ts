/**
 * Per-key serialisation (pure): calls under the same key run one after the
 * other in arrival order; calls under different keys run in parallel. A key's
 * queue entry is dropped when its last call settles, so the map does not
 * grow with the number of pods ever seen.
 *
 * @packageDocumentation
 */

/**
 * Runs async functions one at a time per key.
 *
 * @public
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier call under `key` has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Number of keys with a call queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
