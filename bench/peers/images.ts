/**
 * The bench's images, built locally as OCI layouts (test/helpers/oci-layout)
 * and pushed to a local docker-registry on 127.0.0.1 (test/helpers/registry):
 *
 * - `bench/pause:1`: Debian's static catatonit as `/catatonit -P`, the
 *   sandbox image of containerd (crikitd bind-mounts the host's catatonit).
 * - `bench/busybox:1`: Debian's static busybox with `sh` and `sleep` links,
 *   the workload container image.
 * - `bench/big:1`: the busybox layer plus four 12 MiB layers of AES-CTR
 *   bytes (incompressible, deterministic), about 50 MB, for the pull test.
 */
import { createCipheriv } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildOciLayout, busyboxRootEntries, type LayerSpec, type TestImageSpec } from "../../test/helpers/oci-layout.js";
import { pushLayout, startRegistry, type TestRegistry } from "../../test/helpers/registry.js";

const MiB = 1024 * 1024;

/** Image references in the local registry. */
export interface BenchImages {
  registry: TestRegistry;
  pause: string;
  busybox: string;
  big: string;
  /** Compressed size of the big image's layers, bytes. */
  bigBytes: number;
  bigLayers: number;
}

function incompressible(seed: number, size: number): Buffer {
  const c = createCipheriv("aes-256-ctr", Buffer.alloc(32, seed), Buffer.alloc(16, 0));
  return Buffer.concat([c.update(Buffer.alloc(size)), c.final()]);
}

function busyboxLayer(): LayerSpec {
  return {
    compression: "gzip",
    entries: busyboxRootEntries({
      applets: ["sh", "sleep", "true"],
      extra: [
        { path: "proc/", type: "dir" },
        { path: "sys/", type: "dir" },
        { path: "dev/", type: "dir" },
      ],
    }),
  };
}

/** Start a registry, build the three images and push them. The caller stops `registry`. */
export async function prepareImages(work: string): Promise<BenchImages> {
  const registry = await startRegistry();
  try {
    const cfg = { Env: ["PATH=/bin"], Cmd: ["/bin/sh"] };
    const pause: TestImageSpec = {
      config: { Env: ["PATH=/"], Entrypoint: ["/catatonit", "-P"] },
      layers: [{ compression: "gzip", entries: [{ path: "catatonit", mode: 0o755, content: readFileSync("/usr/bin/catatonit") }] }],
    };
    const busybox: TestImageSpec = { config: cfg, layers: [busyboxLayer()] };
    const big: TestImageSpec = {
      config: cfg,
      layers: [
        busyboxLayer(),
        ...[1, 2, 3, 4].map((seed): LayerSpec => ({
          compression: "gzip",
          entries: [
            { path: "data/", type: "dir" },
            { path: `data/blob-${seed}.bin`, content: incompressible(seed, 12 * MiB) },
          ],
        })),
      ],
    };
    const out: Record<string, string> = {};
    let bigBytes = 0;
    for (const [name, spec] of [["pause", pause], ["busybox", busybox], ["big", big]] as const) {
      const dir = join(work, `layout-${name}`);
      const built = await buildOciLayout(dir, [{ tag: "1", image: spec }]);
      const ref = `${registry.host}/bench/${name}:1`;
      await pushLayout(dir, "1", ref);
      out[name] = ref;
      if (name === "big") {
        const m = built["1"]?.images[0]?.manifest as { layers?: { size: number }[] } | undefined;
        bigBytes = (m?.layers ?? []).reduce((a, l) => a + l.size, 0);
      }
    }
    return { registry, pause: out["pause"] ?? "", busybox: out["busybox"] ?? "", big: out["big"] ?? "", bigBytes, bigLayers: big.layers.length };
  } catch (e) {
    await registry.stop();
    throw e;
  }
}
