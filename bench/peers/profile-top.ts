/**
 * Summarise a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with
 * the most self time, and the files (our src/ and dependencies) with the
 * most self time, so a slow ratio can be traced to its cause.
 *
 * Usage: node --import tsx bench/peers/profile-top.ts FILE.cpuprofile [TOP]
 */
import { readFile } from "node:fs/promises";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per file, in ms, largest first. */
export function summarizeProfile(p: Profile, top = 25): { total: number; functions: [string, number][]; files: [string, number][] } {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const n of p.nodes) {
    const ms = self.get(n.id) ?? 0;
    if (ms === 0) continue;
    const url = n.callFrame.url.replace(/^file:\/\//, "").replace(/^.*\/work\/main\//, "");
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
    const file = url === "" ? n.callFrame.functionName : url.replace(/node_modules\/((@[^/]+\/)?[^/]+).*/, "node_modules/$1");
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  const sort = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { total: (p.endTime - p.startTime) / 1000, functions: sort(byFn), files: sort(byFile) };
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const file = process.argv[2];
  if (!file) throw new Error("usage: profile-top.ts FILE.cpuprofile [TOP]");
  const s = summarizeProfile(JSON.parse(await readFile(file, "utf8")) as Profile, Number(process.argv[3] ?? 25));
  process.stdout.write(`profile ${file}: ${(s.total / 1000).toFixed(1)} s wall\n\nself time by file:\n`);
  for (const [f, ms] of s.files) process.stdout.write(`${ms.toFixed(0).padStart(8)} ms  ${f}\n`);
  process.stdout.write("\nself time by function:\n");
  for (const [f, ms] of s.functions) process.stdout.write(`${ms.toFixed(0).padStart(8)} ms  ${f}\n`);
}
