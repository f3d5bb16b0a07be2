/**
 * Host state the pod network's plugins leave behind after the last pod is
 * gone, and its removal when the service that made it closes.
 *
 * The `bridge` plugin creates its Linux bridge on the first ADD and never
 * deletes it; `host-local` keeps a directory per network
 * (`<dataDir>/<network>`, `/var/lib/cni/networks/<network>` by default) with
 * a lock file and the last address handed out. {@link CriService} notes which
 * of these existed before its first ADD on a network; on `close()`, when no
 * pod remains, it removes the ones it made, provided they are unused: a
 * bridge with no port, an IPAM directory holding no allocation.
 *
 * @packageDocumentation
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { CniNetworkConfigList } from "../network/index.js";
import { runCommand } from "../process/index.js";

/**
 * What a network's plugins create on the host: bridge names and host-local
 * data directories.
 *
 * @internal
 */
export interface NetworkHostState {
  readonly bridges: readonly string[];
  readonly ipamDirs: readonly string[];
}

const defaultBridge = "cni0";
const defaultIpamDataDir = "/var/lib/cni/networks";

/** @internal The bridges and host-local directories of a network's plugins. */
export function networkHostState(list: CniNetworkConfigList): NetworkHostState {
  const bridges: string[] = [];
  const ipamDirs: string[] = [];
  for (const p of list.plugins) {
    if (p.type === "bridge") bridges.push(typeof p.raw["bridge"] === "string" && p.raw["bridge"] !== "" ? p.raw["bridge"] : defaultBridge);
    const ipam = p.raw["ipam"] as { type?: unknown; dataDir?: unknown } | undefined;
    if (ipam?.type === "host-local") ipamDirs.push(join(typeof ipam.dataDir === "string" && ipam.dataDir !== "" ? ipam.dataDir : defaultIpamDataDir, list.name));
  }
  return { bridges, ipamDirs };
}

const exists = async (path: string): Promise<boolean> => readdir(path).then(() => true, () => false);

/** @internal The part of `state` present on the host now. */
export async function presentHostState(state: NetworkHostState, sysClassNet = "/sys/class/net"): Promise<NetworkHostState> {
  const bridges: string[] = [];
  const ipamDirs: string[] = [];
  for (const b of state.bridges) if (await exists(join(sysClassNet, b))) bridges.push(b);
  for (const d of state.ipamDirs) if (await exists(d)) ipamDirs.push(d);
  return { bridges, ipamDirs };
}

/** host-local's files that are not allocations: its lock and its last reserved address per range. */
const ipamBookkeeping = /^(lock|last_reserved_ip\.\d+)$/;

/**
 * Removes the bridges that have no port left and the host-local directories
 * that hold no allocation; returns what was removed. Failures are returned,
 * not thrown: a close does not fail on cleanup.
 *
 * @internal
 */
export async function removeHostState(state: NetworkHostState, sysClassNet = "/sys/class/net"): Promise<{ removed: string[]; failed: Array<{ what: string; err: unknown }> }> {
  const removed: string[] = [];
  const failed: Array<{ what: string; err: unknown }> = [];
  for (const b of state.bridges) {
    const ports = await readdir(join(sysClassNet, b, "brif")).catch(() => undefined);
    if (ports === undefined || ports.length > 0) continue;
    try {
      await runCommand(["ip", "link", "delete", b, "type", "bridge"], { timeoutMs: 10_000 });
      removed.push(`bridge ${b}`);
    } catch (err) {
      failed.push({ what: `bridge ${b}`, err });
    }
  }
  for (const d of state.ipamDirs) {
    const names = await readdir(d).catch(() => undefined);
    if (names === undefined || names.some((n) => !ipamBookkeeping.test(n))) continue;
    try {
      await rm(d, { recursive: true, force: true });
      removed.push(d);
    } catch (err) {
      failed.push({ what: d, err });
    }
  }
  return { removed, failed };
}
