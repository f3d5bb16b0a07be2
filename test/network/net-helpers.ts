/**
 * Helpers for the network integration tests: temp dirs, a per-test netns
 * dir, a bridge conflist in the 10.201.0.0/16 range with no default route,
 * and leak probes (veth on a bridge, pins in the mount table, host-local
 * allocations, iptables rules naming a pod).
 */
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { parseMountInfo } from "../../src/network/index.js";

export const fixturesDir = fileURLToPath(new URL("../fixtures/cni/", import.meta.url));
export const debianCniDir = "/usr/lib/cni";

/** Fails (not skips) when a prerequisite is missing. */
export async function requireTools(): Promise<void> {
  for (const p of ["bridge", "host-local", "loopback", "portmap", "bandwidth", "tuning"]) {
    try {
      await readFile(join(debianCniDir, p)).then(() => undefined);
    } catch {
      throw new Error(`CNI plugin ${p} missing from ${debianCniDir}: install containernetworking-plugins`);
    }
  }
  for (const t of ["unshare", "nsenter", "iptables-save", "ip", "busybox"]) {
    const r = await execa("sh", ["-c", `command -v ${t}`], { reject: false });
    if (r.exitCode !== 0) throw new Error(`${t} is missing: see scripts/setup.sh`);
  }
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `crkt-${prefix}-`));
}

/** A short random suffix for bridge and network names (bridge names are at most 15 bytes). */
export function shortId(): string {
  return randomBytes(3).toString("hex");
}

export interface BridgeNet {
  name: string;
  bridge: string;
  subnet: string;
  dataDir: string;
  conflist: Record<string, unknown>;
}

/**
 * A bridge + host-local conflist with no default route (isGateway only gives the
 * bridge an address; no routes are configured), plus the plugins listed.
 */
export function bridgeNet(opts: { dir: string; third: number; extra?: Array<Record<string, unknown>>; cniVersion?: string }): BridgeNet {
  const id = shortId();
  const name = `crkt-${id}`;
  const bridge = `crkt${id}`;
  const subnet = `10.201.${opts.third}.0/24`;
  const dataDir = join(opts.dir, "ipam");
  const conflist = {
    cniVersion: opts.cniVersion ?? "1.0.0",
    name,
    plugins: [
      { type: "bridge", bridge, isGateway: true, ipMasq: false, hairpinMode: false, ipam: { type: "host-local", ranges: [[{ subnet }]], dataDir } },
      ...(opts.extra ?? []),
    ],
  };
  return { name, bridge, subnet, dataDir, conflist };
}

export async function writeConf(confDir: string, file: string, body: unknown): Promise<void> {
  await mkdir(confDir, { recursive: true });
  await writeFile(join(confDir, file), typeof body === "string" ? body : JSON.stringify(body, null, 2));
}

/** Interfaces enslaved to `bridge` (veth host ends). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const r = await execa("ip", ["-o", "link", "show", "master", bridge], { reject: false });
  if (r.exitCode !== 0) return [];
  return r.stdout.split("\n").filter(Boolean).map((l) => l.split(":")[1]?.trim().split("@")[0] ?? "");
}

export async function deleteLink(name: string): Promise<void> {
  await execa("ip", ["link", "del", name], { reject: false });
}

/** Mount points under `dir` (pins still mounted). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const all = parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"));
  return all.map((m) => m.mountPoint).filter((p) => p.startsWith(`${dir}/`));
}

/** host-local allocation files (one per reserved IP) for a network. */
export async function ipamAllocations(dataDir: string, network: string): Promise<string[]> {
  try {
    return (await readdir(join(dataDir, network))).filter((f) => !f.startsWith("last_reserved_ip") && f !== "lock");
  } catch {
    return [];
  }
}

/** iptables-save lines mentioning any of `ids`. */
export async function iptablesLinesFor(ids: readonly string[]): Promise<string[]> {
  const out = (await execa("iptables-save")).stdout;
  return out.split("\n").filter((l) => ids.some((id) => l.includes(id)));
}

/** Unmounts everything under `dir` and the dir's own bind mount, then deletes it. */
export async function removeTree(dir: string): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const all = parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"))
      .map((m) => m.mountPoint)
      .filter((p) => p === dir || p.startsWith(`${dir}/`))
      .sort((a, b) => b.length - a.length);
    if (all.length === 0) break;
    for (const p of all) await execa("umount", ["--lazy", p], { reject: false });
  }
  await rm(dir, { recursive: true, force: true });
}

/** Pings `ip` once from inside the netns at `fromNetns`. */
export async function pingFrom(fromNetns: string, ip: string): Promise<{ ok: boolean; output: string }> {
  const r = await execa("nsenter", [`--net=${fromNetns}`, "busybox", "ping", "-c", "1", "-W", "2", ip], { reject: false, all: true });
  return { ok: r.exitCode === 0, output: r.all ?? "" };
}

const portmapChains = ["CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"];

/** Whether portmap's shared nat chains exist (record before the tests). */
export async function portmapScaffoldExists(): Promise<boolean> {
  const out = (await execa("iptables-save", ["-t", "nat"])).stdout;
  return out.includes(":CNI-HOSTPORT-DNAT ");
}

/**
 * Removes portmap's shared nat chains and the jumps to them, but only when the
 * tests introduced them (they did not exist before) and no pod rule is left in
 * CNI-HOSTPORT-DNAT. portmap recreates them on its next ADD.
 */
export async function removePortmapScaffold(existedBefore: boolean): Promise<void> {
  if (existedBefore) return;
  const out = (await execa("iptables-save", ["-t", "nat"])).stdout;
  if (out.split("\n").some((l) => l.startsWith("-A CNI-HOSTPORT-DNAT "))) return;
  for (const l of out.split("\n")) {
    const m = /^-A (PREROUTING|OUTPUT|POSTROUTING) (.*-j CNI-HOSTPORT-(?:DNAT|MASQ))$/.exec(l);
    if (m?.[1] && m[2]) await execa("sh", ["-c", `iptables -t nat -D ${m[1]} ${m[2]}`], { reject: false });
  }
  for (const c of portmapChains) await execa("iptables", ["-t", "nat", "-F", c], { reject: false });
  for (const c of portmapChains) await execa("iptables", ["-t", "nat", "-X", c], { reject: false });
}
