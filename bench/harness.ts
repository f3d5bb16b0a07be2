/**
 * A small benchmark harness: each `bench/*.bench.ts` module exports `run`,
 * which returns rows; `bench/main.ts` prints them as tables and writes JSON.
 */
import { performance } from "node:perf_hooks";

/** One measured figure. */
export interface BenchRow {
  /** What was measured, for instance "truncindex get (10,000 ids)". */
  name: string;
  /** Unit of the figures: "ns/op", "ms", "MiB", "ratio", ... */
  unit: string;
  p50: number;
  p90?: number;
  p99?: number;
  /** Number of samples or operations behind the figure. */
  n?: number;
  /** Free-form extra facts (a ratio, a comparison). */
  note?: string;
}

/** A benchmark module's shape. */
export interface BenchModule {
  /** Short group name shown as the table title. */
  title: string;
  run(options: { quick: boolean }): Promise<BenchRow[]>;
}

/** Percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** Summarise samples (any unit) into p50, p90, p99. */
export function summarize(name: string, unit: string, samples: number[], note?: string): BenchRow {
  const s = [...samples].sort((a, b) => a - b);
  const row: BenchRow = { name, unit, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), n: s.length };
  if (note !== undefined) row.note = note;
  return row;
}

/**
 * Time a synchronous operation in ns/op: `batches` batches of `opsPerBatch`
 * calls each; the percentiles are over the per-batch means.
 */
export function nsPerOp(name: string, op: (i: number) => unknown, opts: { batches?: number; opsPerBatch?: number } = {}): BenchRow {
  const batches = opts.batches ?? 30;
  const per = opts.opsPerBatch ?? 10_000;
  let sink: unknown;
  for (let i = 0; i < per; i++) sink = op(i); // warm up
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) sink = op(i);
    samples.push(((performance.now() - t0) * 1e6) / per);
  }
  void sink;
  return summarize(name, "ns/op", samples);
}

/** Time an async operation `n` times, in milliseconds per call. */
export async function msPerCall(name: string, op: (i: number) => Promise<unknown>, n: number, note?: string): Promise<BenchRow> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(i);
    samples.push(performance.now() - t0);
  }
  return summarize(name, "ms", samples, note);
}
