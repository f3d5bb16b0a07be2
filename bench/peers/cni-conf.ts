/**
 * The one CNI conflist both daemons use: a `bridge` (`crkb0`) with
 * host-local IPAM over the bench's exclusive subnet 10.204.0.0/16 and no
 * routes, so a pod has no default route and can reach nothing beyond its
 * bridge; then `portmap` (no mappings are requested, so it adds no rules).
 * Plugins come from Debian's containernetworking-plugins in /usr/lib/cni.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BENCH_NET } from "./cleanup.js";

/** Where the CNI plugins live. */
export const CNI_BIN_DIR = "/usr/lib/cni";

/** The conflist object; `dataDir` is host-local's allocation store. */
export function benchConflist(dataDir: string): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: BENCH_NET.name,
    plugins: [
      {
        type: "bridge",
        bridge: BENCH_NET.bridge,
        isGateway: true,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: false,
        ipam: { type: "host-local", ranges: [[{ subnet: BENCH_NET.subnet }]], routes: [], dataDir },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: false },
    ],
  };
}

/** Write the conflist into `confDir` (created) and return its path. */
export async function writeBenchConflist(confDir: string, dataDir: string): Promise<string> {
  await mkdir(confDir, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  const p = join(confDir, "10-crikit-bench.conflist");
  await writeFile(p, `${JSON.stringify(benchConflist(dataDir), null, 2)}\n`);
  return p;
}
