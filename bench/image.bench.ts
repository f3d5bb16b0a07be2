/**
 * Pull+unpack of a ~50 MB multi-layer image from a local docker-registry:
 * wall time and peak RSS, crikit's ImageService against containerd 1.6
 * (Debian) pulling the same image from the same registry with
 * `ctr images pull --plain-http` (fetch and unpack to overlayfs snapshots).
 *
 * The image is busybox plus four 12 MiB layers of deterministic
 * pseudo-random bytes (AES-CTR of zeros, so gzip cannot shrink them). Every
 * run starts cold: crikit pulls in a fresh child process into a fresh root,
 * and containerd is started fresh with its own temp root, state and socket.
 * crikit's peak RSS is the child's maxRSS; containerd's is its VmHWM plus
 * ctr's maxRSS. Everything stays on 127.0.0.1 and is stopped by pid and
 * removed at the end.
 */
import { createCipheriv } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import { summarize } from "./harness.js";
import type { BenchRow } from "./harness.js";
import { ImageService } from "../src/image/index.js";
import { buildOciLayout, busyboxImage, type LayerSpec } from "../test/helpers/oci-layout.js";
import { pushLayout, startRegistry } from "../test/helpers/registry.js";

export const title = "image";

const MiB = 1024 * 1024;

function randomBytesDeterministic(seed: number, size: number): Buffer {
  const key = Buffer.alloc(32, seed);
  const c = createCipheriv("aes-256-ctr", key, Buffer.alloc(16, 0));
  return Buffer.concat([c.update(Buffer.alloc(size)), c.final()]);
}

/** Child mode: one cold pull, prints {ms, maxRssKiB} as JSON. */
async function child(root: string, ref: string, host: string): Promise<void> {
  const svc = new ImageService({ root, registry: { hosts: { [host]: { insecure: true } } }, platform: { os: "linux", architecture: "amd64" } });
  const t0 = performance.now();
  await svc.pull(ref);
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS }));
}

async function vmHwmKiB(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? Number.NaN);
}

async function containerdPull(work: string, ref: string, i: number): Promise<{ ms: number; rssKiB: number }> {
  const dir = join(work, `containerd-${i}`);
  const sock = join(dir, "containerd.sock");
  await mkdir(dir, { recursive: true });
  const cfg = [
    "version = 2",
    `root = "${join(dir, "root")}"`,
    `state = "${join(dir, "state")}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    "[grpc]",
    `  address = "${sock}"`,
    "[ttrpc]",
    `  address = "${sock}.ttrpc"`,
    "[debug]",
    `  address = "${sock}.debug"`,
    "[metrics]",
    '  address = ""',
  ].join("\n");
  await writeFile(join(dir, "config.toml"), cfg);
  const proc = execa("containerd", ["--config", join(dir, "config.toml")], { reject: false, stdio: "ignore" });
  const pid = proc.pid;
  if (pid === undefined) throw new Error("cannot start containerd (Debian package containerd)");
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await execa("ctr", ["-a", sock, "version"], { reject: false });
      if (r.exitCode === 0) break;
      if (Date.now() > deadline) throw new Error("containerd did not come up");
      await new Promise((r2) => setTimeout(r2, 100));
    }
    const t0 = performance.now();
    const pulled = await execa("ctr", ["-a", sock, "-n", "crikit-bench", "images", "pull", "--plain-http", ref], { reject: false, stdout: "ignore" });
    const ms = performance.now() - t0;
    if (pulled.exitCode !== 0) throw new Error(`ctr pull failed: ${String(pulled.stderr)}`);
    // ctr's own RSS is small; containerd does the work.
    return { ms, rssKiB: await vmHwmKiB(pid) };
  } finally {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone
    }
    await proc;
    const mounts = (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((l) => l.includes(dir));
    for (const m of mounts) await execa("umount", [m.split(" ")[4] ?? ""], { reject: false });
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const n = quick ? 2 : 5;
  const work = await mkdtemp(join(tmpdir(), "crikit-bench-image-"));
  const reg = await startRegistry();
  try {
    const spec = busyboxImage();
    // containerd 1.6 cannot apply a hardlink to a lower layer's file (crikit copies it up); leave it out.
    spec.layers = spec.layers.map((l) => ({ ...l, entries: l.entries.filter((e) => e.path !== "bin/busybox-again") }));
    const data: LayerSpec[] = [1, 2, 3, 4].map((seed) => ({
      compression: "gzip",
      entries: [
        { path: "data/", type: "dir" },
        { path: `data/blob-${seed}.bin`, content: randomBytesDeterministic(seed, 12 * MiB) },
      ],
    }));
    spec.layers = [...spec.layers, ...data];
    await buildOciLayout(join(work, "layout"), [{ tag: "v1", image: spec }]);
    const ref = `${reg.host}/bench/big:v1`;
    await pushLayout(join(work, "layout"), "v1", ref);
    const self = fileURLToPath(import.meta.url);
    const baseline = await execa(process.execPath, ["--import", "tsx", self, "--baseline"]);
    const baselineMiB = (JSON.parse(baseline.stdout) as { maxRssKiB: number }).maxRssKiB / 1024;
    const crikitMs: number[] = [];
    const crikitRss: number[] = [];
    const ctrMs: number[] = [];
    const ctrRss: number[] = [];
    for (let i = 0; i < n; i++) {
      const root = join(work, `crikit-${i}`);
      const r = await execa(process.execPath, ["--import", "tsx", self, "--child", root, ref, reg.host]);
      const got = JSON.parse(r.stdout) as { ms: number; maxRssKiB: number };
      crikitMs.push(got.ms);
      crikitRss.push(got.maxRssKiB / 1024);
      await rm(root, { recursive: true, force: true });
      const c = await containerdPull(work, ref, i);
      ctrMs.push(c.ms);
      ctrRss.push(c.rssKiB / 1024);
    }
    const rows = [
      summarize("crikit pull+unpack, 8 layers ~50 MB, cold", "ms", crikitMs),
      summarize("containerd 1.6 ctr pull (fetch+unpack), same image, cold", "ms", ctrMs),
      summarize("crikit peak RSS of the pulling process", "MiB", crikitRss),
      summarize("containerd peak RSS (VmHWM)", "MiB", ctrRss),
    ];
    const med = (r: BenchRow): number => r.p50;
    rows.push({ name: "pull time ratio crikit / containerd (p50)", unit: "ratio", p50: med(rows[0] as BenchRow) / med(rows[1] as BenchRow), n, note: "< 1 means crikit is faster" });
    rows.push({ name: "peak RSS ratio crikit / containerd (p50)", unit: "ratio", p50: med(rows[2] as BenchRow) / med(rows[3] as BenchRow), n, note: "crikit includes Node's own baseline" });
    rows.push({ name: "idle baseline RSS: node + tsx + crikit's image module loaded", unit: "MiB", p50: baselineMiB, n: 1, note: `pull adds ~${(med(rows[2] as BenchRow) - baselineMiB).toFixed(0)} MiB` });
    return rows;
  } finally {
    await reg.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv[2] === "--child") await child(process.argv[3] ?? "", process.argv[4] ?? "", process.argv[5] ?? "");
  if (process.argv[2] === "--baseline") process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));
}
