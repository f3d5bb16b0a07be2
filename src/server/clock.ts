/**
 * The service's clock: CRI timestamps in nanoseconds.
 *
 * @packageDocumentation
 */

/**
 * Where the service reads the time.
 *
 * @public
 */
export interface Clock {
  /** Now, in nanoseconds since the epoch; strictly increasing across calls. */
  nowNs(): bigint;
  /** Keeps later {@link Clock.nowNs} answers above these (timestamps restored from records). */
  observe(...timestamps: bigint[]): void;
}

/**
 * A monotonic high-resolution clock anchored once to the wall clock, so two
 * objects made in the same millisecond do not tie (the kubelet sorts by
 * `created_at`), strictly increasing even across a step of the wall clock,
 * and kept above every timestamp {@link Clock.observe} was given.
 *
 * @public
 */
export function createMonotonicClock(): Clock {
  const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  let lastNs = 0n;
  return {
    nowNs() {
      let t = anchorNs + process.hrtime.bigint();
      if (t <= lastNs) t = lastNs + 1n;
      lastNs = t;
      return t;
    },
    observe(...ts) {
      for (const t of ts) if (t > lastNs) lastNs = t;
    },
  };
}

/** A `Date` in nanoseconds (0 for none). */
export function dateNs(d: Date | undefined): bigint {
  return d === undefined ? 0n : BigInt(d.getTime()) * 1_000_000n;
}
