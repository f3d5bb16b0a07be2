/**
 * CPU rate from cumulative CPU time: `usage_nano_cores` is the CPU
 * nanoseconds used per second of wall time between two readings of the
 * same object (pure; state lives as long as the tracker).
 *
 * ## Per id
 *
 * ```
 * (none) --observe--> baseline (rate undefined: one reading gives no rate)
 * baseline --observe, window >= minWindow--> new baseline, rate = Δcpu·1e9/Δt
 * baseline --observe, window < minWindow--> unchanged; the last rate again
 * any --counter went down (new cgroup, a member left a sum)--> new baseline, no rate
 * any --forget / retain without it--> (none)
 * ```
 *
 * @packageDocumentation
 */

/**
 * Options of {@link CpuRateTracker}.
 *
 * @public
 */
export interface CpuRateTrackerOptions {
  /**
   * Readings closer together than this keep the previous baseline (and
   * return the previous rate), so back-to-back calls do not divide by
   * microseconds.
   * @defaultValue 100
   */
  minWindowMs?: number;
}

interface Entry {
  usageNs: bigint;
  atNs: bigint;
  rate?: bigint | undefined;
}

/**
 * Turns cumulative CPU samples into rates, keyed by object ID.
 *
 * @example
 * ```ts
 * const rates = new CpuRateTracker();
 * rates.observe("c1", 1_000_000_000n, t0);              // undefined
 * rates.observe("c1", 1_500_000_000n, t0 + 1_000_000_000n); // 500000000n: half a core
 * ```
 *
 * @public
 */
export class CpuRateTracker {
  readonly #entries = new Map<string, Entry>();
  readonly #minWindowNs: bigint;

  constructor(options: CpuRateTrackerOptions = {}) {
    this.#minWindowNs = BigInt(Math.max(0, Math.round((options.minWindowMs ?? 100) * 1e6)));
  }

  /**
   * Records a reading; returns the rate in nano cores since the previous
   * one, or undefined when there is no usable previous reading.
   */
  observe(id: string, usageNs: bigint, atNs: bigint): bigint | undefined {
    const prev = this.#entries.get(id);
    if (prev === undefined || usageNs < prev.usageNs) {
      this.#entries.set(id, { usageNs, atNs });
      return undefined;
    }
    const dt = atNs - prev.atNs;
    if (dt <= 0n || dt < this.#minWindowNs) return prev.rate;
    const rate = ((usageNs - prev.usageNs) * 1_000_000_000n) / dt;
    this.#entries.set(id, { usageNs, atNs, rate });
    return rate;
  }

  /** Drops an ID's state. */
  forget(id: string): void {
    this.#entries.delete(id);
  }

  /** Drops the state of every ID not in `ids`. */
  retain(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.#entries.keys()) if (!keep.has(id)) this.#entries.delete(id);
  }

  /** Number of IDs tracked. */
  get size(): number {
    return this.#entries.size;
  }
}
