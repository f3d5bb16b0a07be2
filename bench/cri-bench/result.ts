/**
 * Workload results and their rendering: each workload yields measures,
 * each measure one series of samples per runtime (or a status such as
 * "unimplemented" when a daemon refuses the RPC), optionally a floor (the
 * tools driven by hand). Tables show p50/p90/p99, the ratio of each crikitd
 * series to containerd's (p50 over p50) and the ratio to the floor.
 */
import { percentile } from "../harness.js";
import type { BenchRow } from "../harness.js";

/** Samples of one runtime for one measure. */
export interface Series {
  /** "crikitd infra-less", "containerd 1.6", ... */
  label: string;
  kind: "crikitd" | "containerd";
  samples: number[];
  /** Set when there are no samples: "unimplemented", "unavailable: ...", "failed: ...". */
  status?: string;
}

/** One measured quantity across runtimes. */
export interface Measure {
  name: string;
  unit: string;
  series: Series[];
  /** The same work done with the tools by hand (p50 of its samples). */
  floor?: { label: string; p50: number };
  /** For rates (pods/s): a larger value is better, so ratios read the other way. */
  higherIsBetter?: boolean;
}

/** A workload's outcome. */
export interface WorkloadResult {
  id: string;
  title: string;
  measures: Measure[];
  notes: string[];
}

/** p50, p90, p99 of samples. */
export function stats(samples: readonly number[]): { p50: number; p90: number; p99: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), n: s.length };
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "-";
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

/** Ratio of a series' p50 to containerd's p50 in the same measure (NaN when either is missing). */
export function ratioToContainerd(m: Measure, s: Series): number {
  const ref = m.series.find((x) => x.kind === "containerd");
  if (!ref || ref.samples.length === 0 || s.samples.length === 0) return Number.NaN;
  return stats(s.samples).p50 / stats(ref.samples).p50;
}

/** A markdown table for one workload. */
export function renderTable(w: WorkloadResult): string {
  const lines = [`### ${w.title}`, "", "| measure | runtime | unit | p50 | p90 | p99 | n | crikitd ÷ containerd | ÷ floor |", "|---|---|---|---:|---:|---:|---:|---:|---:|"];
  for (const m of w.measures) {
    for (const s of m.series) {
      if (s.samples.length === 0) {
        lines.push(`| ${m.name} | ${s.label} | ${m.unit} | ${s.status ?? "no samples"} | | | 0 | | |`);
        continue;
      }
      const st = stats(s.samples);
      const r = s.kind === "crikitd" ? fmt(ratioToContainerd(m, s)) : "";
      const f = m.floor && m.floor.p50 > 0 ? fmt(st.p50 / m.floor.p50) : "";
      lines.push(`| ${m.name} | ${s.label} | ${m.unit} | ${fmt(st.p50)} | ${fmt(st.p90)} | ${fmt(st.p99)} | ${st.n} | ${r} | ${f} |`);
    }
    if (m.floor) lines.push(`| ${m.name} | floor: ${m.floor.label} | ${m.unit} | ${fmt(m.floor.p50)} | | | | | 1 |`);
  }
  for (const n of w.notes) lines.push("", `- ${n}`);
  return lines.join("\n");
}

/** Harness rows (bench/main.ts prints and stores these). */
export function toRows(w: WorkloadResult): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const m of w.measures) {
    for (const s of m.series) {
      const name = `${w.id}: ${m.name}, ${s.label}`;
      if (s.samples.length === 0) {
        rows.push({ name, unit: m.unit, p50: Number.NaN, n: 0, note: s.status ?? "no samples" });
        continue;
      }
      const st = stats(s.samples);
      const notes: string[] = [];
      const r = ratioToContainerd(m, s);
      if (s.kind === "crikitd" && Number.isFinite(r)) notes.push(`÷ containerd ${fmt(r)}`);
      if (m.floor && m.floor.p50 > 0) notes.push(`÷ floor ${fmt(st.p50 / m.floor.p50)}`);
      rows.push({ name, unit: m.unit, p50: st.p50, p90: st.p90, p99: st.p99, n: st.n, ...(notes.length ? { note: notes.join(", ") } : {}) });
    }
  }
  return rows;
}
