/**
 * `npm run bench [-- --only NAME] [-- --quick]`: runs every bench/*.bench.ts
 * module (or the ones whose file name contains NAME), prints a table per
 * module, and writes bench/results/latest.json.
 */
import { readdir, mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { BenchModule, BenchRow } from "./harness.js";

const { values } = parseArgs({ options: { only: { type: "string" }, quick: { type: "boolean", default: false } } });
const dir = fileURLToPath(new URL(".", import.meta.url));
const files = (await readdir(dir)).filter((f) => f.endsWith(".bench.ts") && (!values.only || f.includes(values.only))).sort();

const fmt = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? "-" : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3));
const machine = { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "?", memGiB: +(os.totalmem() / 2 ** 30).toFixed(1), kernel: os.release() };
console.log(`machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}\n`);

const all: Record<string, BenchRow[]> = {};
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as BenchModule;
  const rows = await mod.run({ quick: values.quick ?? false });
  all[mod.title] = rows;
  console.log(`## ${mod.title}`);
  console.log("| measure | unit | p50 | p90 | p99 | n | note |\n|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.name} | ${r.unit} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${r.n ?? "-"} | ${r.note ?? ""} |`);
  console.log("");
}
await mkdir(join(dir, "results"), { recursive: true });
await writeFile(join(dir, "results", "latest.json"), JSON.stringify({ date: new Date().toISOString(), machine, results: all }, null, 2));
