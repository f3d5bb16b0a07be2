/**
 * Workload 8, the floor: the tools the daemons drive, invoked by hand.
 *
 * - `runc run -d` of a busybox `sleep 3600` bundle (the rootfs the bench
 *   images carry; `runc spec`'s default config), then `runc delete -f`.
 * - The bench conflist's chain by hand in a pinned netns: loopback, bridge
 *   (host-local IPAM), portmap ADD with prevResult threaded; DEL in reverse.
 *
 * Same binaries, same cgroupfs driver, same CNI plugins and bridge as the
 * daemons; runc state in a temp root; everything removed at the end. The
 * pod and container workloads also take a floor sample after each round of
 * daemon samples, so the "÷ floor" ratios compare like with like.
 */
import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { createNetnsManager } from "../../src/network/index.js";
import { benchConflist, CNI_BIN_DIR } from "../peers/cni-conf.js";
import { BENCH_NET } from "../peers/cleanup.js";
import { must } from "../peers/proc.js";
import { timed } from "./fixtures.js";

/** Floor samples in ms. */
export interface Floor {
  runcRun: number[];
  runcDelete: number[];
  cniAdd: number[];
  cniDel: number[];
}

async function busyboxBundle(dir: string, cgroupParent: string): Promise<string> {
  const rootfs = join(dir, "rootfs");
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp"]) await mkdir(join(rootfs, d), { recursive: true });
  await copyFile("/bin/busybox", join(rootfs, "bin", "busybox"));
  await chmod(join(rootfs, "bin", "busybox"), 0o755);
  for (const a of ["sh", "sleep", "true"]) await symlink("busybox", join(rootfs, "bin", a));
  await must(["/usr/sbin/runc", "spec", "--bundle", dir]);
  const spec = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as { process: { terminal: boolean; args: string[] }; linux: { cgroupsPath?: string } };
  spec.process.terminal = false;
  spec.process.args = ["/bin/sleep", "3600"];
  spec.linux.cgroupsPath = `${cgroupParent}/floor`;
  await writeFile(join(dir, "config.json"), JSON.stringify(spec));
  return dir;
}

/**
 * The floor tools, ready to sample: one call does one runc run -d + delete -f
 * pair, or one CNI ADD + DEL pair, and adds its timings to `samples`.
 * Workloads call these between daemon samples, so the floor sees the same
 * machine drift as the daemons.
 */
export interface FloorRunner {
  samples: Floor;
  /** `runc run -d` then `runc delete -f`; returns [run, delete] in ms. */
  runc(): Promise<[number, number]>;
  /** The CNI chain ADD then DEL; returns [add, del] in ms. */
  cni(): Promise<[number, number]>;
  /** Remove the runner's netns (containers are deleted as they go). */
  close(): Promise<void>;
}

/** Prepare a busybox bundle and a pinned netns under `work` (the caller removes `work`). */
export async function createFloorRunner(work: string, cgroupParent: string): Promise<FloorRunner> {
  const samples: Floor = { runcRun: [], runcDelete: [], cniAdd: [], cniDel: [] };
  const bundle = await busyboxBundle(join(work, "floor-bundle"), cgroupParent);
  const runcRoot = join(work, "floor-runc");
  const runcCmd = (args: string[]): Promise<unknown> => execa("/usr/sbin/runc", ["--root", runcRoot, ...args], { stdio: "ignore" });
  const netns = createNetnsManager({ dir: join(work, "floor-netns") });
  const nsPath = await netns.create("floor");
  const list = benchConflist(join(work, "floor-ipam")) as { plugins: Record<string, unknown>[] };
  const chain: Record<string, unknown>[] = [{ type: "loopback" }, ...list.plugins];
  const call = async (command: "ADD" | "DEL", id: string, conf: Record<string, unknown>, prev: unknown): Promise<unknown> => {
    const ifname = conf["type"] === "loopback" ? "lo" : "eth0";
    const full = { cniVersion: "1.0.0", name: conf["type"] === "loopback" ? "cni-loopback" : BENCH_NET.name, ...conf, ...(prev ? { prevResult: prev } : {}) };
    const r = await execa(join(CNI_BIN_DIR, String(conf["type"])), [], {
      input: JSON.stringify(full),
      env: { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: nsPath, CNI_IFNAME: ifname, CNI_PATH: CNI_BIN_DIR, CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=crikit-bench;K8S_POD_NAME=${id}` },
    });
    return command === "ADD" && String(r.stdout) !== "" ? JSON.parse(String(r.stdout)) : undefined;
  };
  let seq = 0;
  return {
    samples,
    async runc() {
      const id = `crkb-floor-${seq++}`;
      const a = await timed(() => runcCmd(["run", "-d", "--bundle", bundle, id]));
      const b = await timed(() => runcCmd(["delete", "-f", id]));
      samples.runcRun.push(a);
      samples.runcDelete.push(b);
      return [a, b];
    },
    async cni() {
      const id = `crkb-floor-cni-${seq++}`;
      let prev: unknown;
      const a = await timed(async () => {
        await call("ADD", id, chain[0] ?? {}, undefined);
        for (const c of chain.slice(1)) prev = await call("ADD", id, c, prev);
      });
      const b = await timed(async () => {
        for (const c of [...chain].reverse()) await call("DEL", id, c, prev);
      });
      samples.cniAdd.push(a);
      samples.cniDel.push(b);
      return [a, b];
    },
    async close() {
      await netns.remove("floor").catch(() => undefined);
    },
  };
}

/** Measure the floor `n` times each (before the daemons start, a first reading). */
export async function measureFloor(runner: FloorRunner, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await runner.runc();
  for (let i = 0; i < n; i++) await runner.cni();
}
