/**
 * CNI ADD+DEL latency for a bridge conflist (bridge with host-local IPAM,
 * then portmap) through the adapter (CniManager: conf dir check, loopback,
 * chain with prevResult, attachment cache), against invoking the same plugins
 * by hand with execa (loopback, bridge, portmap with the same CNI_* env and
 * stdin, prevResult threaded by hand, no cache). The ratio of medians is the
 * adapter's overhead.
 *
 * A last row isolates the adapter's own work (conf dir check, netns check,
 * attachment cache, JSON) with a CniExec that answers at once, so process
 * start-up and scheduling noise drop out.
 *
 * Everything runs in one pinned netns and one bridge this module creates
 * (crkt*, 10.201.200.0/24, no default route) and removes at the end; the
 * two ways alternate so drift hits both alike.
 */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { execa } from "execa";
import { summarize } from "./harness.js";
import type { BenchRow } from "./harness.js";
import { CniManager, createNetnsManager } from "../src/network/index.js";

export const title = "network";

const binDir = "/usr/lib/cni";

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const n = quick ? 8 : 25;
  const root = await mkdtemp(join(tmpdir(), "crkt-bench-net-"));
  const suffix = randomBytes(3).toString("hex");
  const bridge = `crkt${suffix}`;
  const name = `crkt-bench-${suffix}`;
  const dataDir = join(root, "ipam");
  const plugins = [
    { type: "bridge", bridge, isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: "10.201.200.0/24" }]], dataDir } },
    { type: "portmap", capabilities: { portMappings: true }, snat: false },
  ];
  const conflist = { cniVersion: "1.0.0", name, plugins };
  const confDir = join(root, "conf");
  await mkdir(confDir);
  await writeFile(join(confDir, "10-bench.conflist"), JSON.stringify(conflist));
  const netns = createNetnsManager({ dir: join(root, "netns") });
  const nsPath = await netns.create("bench");
  const cni = new CniManager({ confDir, binDirs: [binDir], cacheDir: join(root, "cache") });

  const byHand = async (command: "ADD" | "DEL", id: string): Promise<void> => {
    const env = {
      CNI_COMMAND: command,
      CNI_CONTAINERID: id,
      CNI_NETNS: nsPath,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=${id};K8S_POD_INFRA_CONTAINER_ID=${id};K8S_POD_UID=${id}`,
      CNI_PATH: binDir,
    };
    const lo = JSON.stringify({ cniVersion: "1.0.0", name: "cni-loopback", type: "loopback" });
    if (command === "ADD") {
      await execa(join(binDir, "loopback"), [], { env: { ...env, CNI_IFNAME: "lo" }, input: lo });
      let prev: unknown;
      for (const p of plugins) {
        const stdin = JSON.stringify({ ...p, name, cniVersion: "1.0.0", ...(prev !== undefined ? { prevResult: prev } : {}) });
        prev = JSON.parse((await execa(join(binDir, p.type), [], { env: { ...env, CNI_IFNAME: "eth0" }, input: stdin })).stdout);
      }
    } else {
      for (const p of [...plugins].reverse()) {
        const stdin = JSON.stringify({ ...p, name, cniVersion: "1.0.0" });
        await execa(join(binDir, p.type), [], { env: { ...env, CNI_IFNAME: "eth0" }, input: stdin });
      }
      await execa(join(binDir, "loopback"), [], { env: { ...env, CNI_IFNAME: "lo" }, input: lo });
    }
  };

  const s = { aAdd: [] as number[], aDel: [] as number[], aAll: [] as number[], hAdd: [] as number[], hDel: [] as number[], hAll: [] as number[] };
  try {
    // Warm up both paths (bridge creation, page cache).
    await cni.setUpPod({ id: "warm", name: "warm", namespace: "bench", uid: "warm", netnsPath: nsPath });
    await cni.tearDownPod({ id: "warm" });
    await byHand("ADD", "warmhand");
    await byHand("DEL", "warmhand");
    for (let i = 0; i < n; i++) {
      const id = `bench${i}`;
      let t0 = performance.now();
      await cni.setUpPod({ id, name: id, namespace: "bench", uid: id, netnsPath: nsPath });
      let t1 = performance.now();
      await cni.tearDownPod({ id });
      let t2 = performance.now();
      s.aAdd.push(t1 - t0);
      s.aDel.push(t2 - t1);
      s.aAll.push(t2 - t0);
      const hid = `hand${i}`;
      t0 = performance.now();
      await byHand("ADD", hid);
      t1 = performance.now();
      await byHand("DEL", hid);
      t2 = performance.now();
      s.hAdd.push(t1 - t0);
      s.hDel.push(t2 - t1);
      s.hAll.push(t2 - t0);
    }
  } finally {
    await cni.close();
    await netns.remove(nsPath).catch(() => undefined);
    await execa("ip", ["link", "del", bridge], { reject: false });
    await execa("umount", ["--lazy", join(root, "netns")], { reject: false });
    await rm(root, { recursive: true, force: true });
  }
  const rows = [
    summarize("ADD via CniManager (lo + bridge + portmap)", "ms", s.aAdd),
    summarize("DEL via CniManager", "ms", s.aDel),
    summarize("ADD+DEL via CniManager", "ms", s.aAll),
    summarize("ADD by hand (same plugins, execa)", "ms", s.hAdd),
    summarize("DEL by hand", "ms", s.hDel),
    summarize("ADD+DEL by hand", "ms", s.hAll),
  ];
  rows.push(await adapterOnly(quick ? 100 : 400));
  const a = rows[2]?.p50 ?? Number.NaN;
  const h = rows[5]?.p50 ?? Number.NaN;
  rows.push({ name: "adapter / by hand, ADD+DEL p50", unit: "ratio", p50: a / h, n, note: `${(a - h).toFixed(1)} ms of adapter work per pod` });
  return rows;
}

/** ADD+DEL through the adapter with a CniExec that runs nothing. */
async function adapterOnly(n: number): Promise<BenchRow> {
  const root = await mkdtemp(join(tmpdir(), "crkt-bench-fake-"));
  try {
    await mkdir(join(root, "conf"));
    await writeFile(join(root, "conf", "10.conflist"), JSON.stringify({ cniVersion: "1.0.0", name: "fake", plugins: [{ type: "bridge" }, { type: "portmap" }] }));
    await writeFile(join(root, "netns"), "");
    const out = JSON.stringify({ cniVersion: "1.0.0", interfaces: [{ name: "eth0", sandbox: "x" }], ips: [{ address: "10.201.0.2/24", interface: 0 }] });
    const cni = new CniManager({
      confDir: join(root, "conf"),
      cacheDir: join(root, "cache"),
      exec: { findPlugin: async (t) => `/fake/${t}`, exec: async () => ({ stdout: out, stderr: "" }) },
    });
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await cni.setUpPod({ id: `f${i}`, name: "f", namespace: "bench", uid: "f", netnsPath: join(root, "netns") });
      await cni.tearDownPod({ id: `f${i}` });
      samples.push(performance.now() - t0);
    }
    await cni.close();
    return summarize("ADD+DEL adapter work alone (CniExec that runs nothing)", "ms", samples);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
