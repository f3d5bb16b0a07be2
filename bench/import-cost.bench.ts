/**
 * What importing each entry point of the package costs a fresh Node process:
 * the time of the `import()` and the resident memory after it, over the same
 * figures for an empty module (bare Node). Each sample is its own process,
 * importing the compiled entry point (dist/) the way a user's code does.
 *
 * Targets: the pure building blocks (naming, stores, reference, errors, spec,
 * status, config, cri-enums) under 30 ms and 5 MiB. They use CRI message
 * types only as types and enum values from crikit/cri-enums, so they do not
 * build the CRI descriptor. Entry points that decode or encode CRI messages
 * load @bufbuild/protobuf and the descriptor (crikit/cri), which is their
 * floor.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { summarize } from "./harness.js";
import type { BenchRow } from "./harness.js";

export const title = "import cost per entry point (over bare Node)";

const root = fileURLToPath(new URL("..", import.meta.url));
const execFileP = promisify(execFile);

/** The entry points targeted at 30 ms and 5 MiB. */
export const pureEntries = new Set([
  "crikit/naming",
  "crikit/stores",
  "crikit/reference",
  "crikit/errors",
  "crikit/spec",
  "crikit/status",
  "crikit/config",
  "crikit/cri-enums",
]);
const targetMs = 30;
const targetMiB = 5;

const probe = `
const t0 = performance.now();
await import(process.argv[1]);
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, rss: process.memoryUsage().rss }));
`;

async function sample(url: string): Promise<{ ms: number; rss: number }> {
  const { stdout } = await execFileP(process.execPath, ["--input-type=module", "-e", probe, url], { cwd: root });
  return JSON.parse(stdout) as { ms: number; rss: number };
}

/** `[specifier, file URL]` for each entry point of package.json. */
async function entries(): Promise<Array<[string, string]>> {
  const pkg = JSON.parse(await readFile(`${root}package.json`, "utf8")) as { exports: Record<string, string | { default: string }> };
  return Object.entries(pkg.exports)
    .filter((e): e is [string, { default: string }] => typeof e[1] === "object")
    .map(([k, v]) => [k === "." ? "crikit" : `crikit/${k.slice(2)}`, pathToFileURL(`${root}${v.default}`).href]);
}

export async function run(options: { quick: boolean }): Promise<BenchRow[]> {
  const n = options.quick ? 3 : 9;
  const empty = `data:text/javascript,export {}`;
  const base: Array<{ ms: number; rss: number }> = [];
  for (let i = 0; i < n; i++) base.push(await sample(empty));
  const baseMs = median(base.map((b) => b.ms));
  const baseRss = median(base.map((b) => b.rss));
  const rows: BenchRow[] = [summarize("bare Node (empty module)", "ms, MiB rss", base.map((b) => b.ms), `rss ${(baseRss / 2 ** 20).toFixed(1)} MiB`)];
  for (const [name, url] of await entries()) {
    const s: Array<{ ms: number; rss: number }> = [];
    for (let i = 0; i < n; i++) s.push(await sample(url));
    const ms = s.map((x) => x.ms - baseMs);
    const mib = s.map((x) => (x.rss - baseRss) / 2 ** 20);
    const pure = pureEntries.has(name);
    const met = median(ms) < targetMs && median(mib) < targetMiB;
    const note = pure ? `target < ${targetMs} ms and < ${targetMiB} MiB: ${met ? "met" : "NOT met"}` : undefined;
    rows.push(summarize(`import ${name}`, "ms", ms, note));
    rows.push(summarize(`import ${name}`, "MiB rss", mib));
  }
  return rows;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}
