/**
 * Checks of the bench's process management against the real things:
 * containerd 1.6 with its CRI plugin, and (until the real crikitd exists)
 * a stand-in daemon on the crikitd side. Each check verifies that what the
 * peer started is gone after `stop()`: processes by pid, netns, temp dirs.
 *
 * Run: node --import tsx --test bench/peers/peers.test.ts
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { alive, findProcesses } from "./proc.js";
import { BENCH_NET, removeBridgeAndRules, removeCgroupParent, removeTree } from "./cleanup.js";
import { CNI_BIN_DIR, writeBenchConflist } from "./cni-conf.js";
import { startContainerd } from "./containerd-peer.js";
import { repoRoot, startCrikitd } from "./crikitd-peer.js";
import { prepareImages, type BenchImages } from "./images.js";

const standIn = join(repoRoot, "bench", "peers", "stand-in-daemon.ts");

describe("bench peers", () => {
  let work = "";
  let images: BenchImages | undefined;
  let confDir = "";
  const cgroupParent = `/crikit-bench-test-${process.pid}`;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "crkb-peers-test-"));
    confDir = join(work, "net.d");
    await writeBenchConflist(confDir, join(work, "ipam"));
    images = await prepareImages(work);
  });
  after(async () => {
    await images?.registry.stop();
    assert.deepEqual(await removeBridgeAndRules(), []);
    assert.deepEqual(await removeCgroupParent(cgroupParent), []);
    assert.deepEqual(await removeTree(work), []);
  });

  it("starts the crikitd side, waits for its socket, and stops it by pid leaving no temp dir", async () => {
    const peer = await startCrikitd({ sandboxMode: "infra-less", cniConfDir: confDir, cniBinDir: CNI_BIN_DIR, registryHost: images?.registry.host ?? "", cgroupParent, main: [standIn] });
    const v = await peer.client.unary("Version", { version: "v1" });
    assert.equal(v["runtime_name"], "crikit-stand-in");
    assert.equal(await alive(peer.pid), true);
    assert.deepEqual(await peer.stop(), []);
    assert.equal(await alive(peer.pid), false);
    assert.equal(existsSync(peer.dir), false);
  });

  it("reports a daemon that exits before its socket answers, with its stderr, and removes its temp dir", async () => {
    const before = new Set((await readdir(tmpdir())).filter((d) => d.startsWith("crkb-crikitd-")));
    await assert.rejects(
      startCrikitd({ sandboxMode: "infra", cniConfDir: confDir, cniBinDir: CNI_BIN_DIR, registryHost: images?.registry.host ?? "", cgroupParent, main: [standIn, "--fail-early"] }),
      /crikitd did not start: .*exited before its socket answered:\s+stand-in: failing early on purpose/s,
    );
    const left = (await readdir(tmpdir())).filter((d) => d.startsWith("crkb-crikitd-") && !before.has(d));
    assert.deepEqual(left, []);
  });

  it("runs a pod on containerd on the bench bridge and removes pod, shim, netns and temp dir on stop", async () => {
    const peer = await startContainerd({ cniConfDir: confDir, cniBinDir: CNI_BIN_DIR, registryHost: images?.registry.host ?? "", sandboxImage: images?.pause ?? "", cgroupParent });
    const config = { metadata: { name: "peer-test", uid: "peer-test", namespace: "crikit-bench", attempt: 0 }, log_directory: join(peer.dir, "logs"), linux: { cgroup_parent: cgroupParent } };
    const r = await peer.client.unary("RunPodSandbox", { config });
    const st = await peer.client.unary("PodSandboxStatus", { pod_sandbox_id: r["pod_sandbox_id"] });
    assert.equal(st["status"]["state"], "SANDBOX_READY");
    assert.ok(String(st["status"]["network"]["ip"]).startsWith(BENCH_NET.prefix), `pod IP ${String(st["status"]["network"]["ip"])} is not in ${BENCH_NET.subnet}`);
    const shims = await peer.monitorPids();
    assert.equal(shims.length, 1);
    // The pod is left running: stop() must remove it.
    assert.deepEqual(await peer.stop(), []);
    assert.equal(await alive(peer.pid), false);
    for (const s of shims) assert.equal(await alive(s), false, `shim ${s} still alive`);
    assert.deepEqual(await findProcesses(peer.dir), []);
    assert.equal(existsSync(peer.dir), false);
    const netns = await readdir("/var/run/netns").catch(() => [] as string[]);
    for (const n of netns) assert.ok(!n.includes(String(r["pod_sandbox_id"]).slice(0, 12)), `netns ${n} left`);
  });
});
