/**
 * CriService.close() leaves nothing behind that the service made: the pod
 * network's bridge, host-local's directory and the bind mount of the netns
 * directory, with every path of the service under a temporary directory.
 * Needs root and the CNI plugins in /usr/lib/cni (scripts/setup.sh).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { execa } from "execa";
import { RemovePodSandboxRequestSchema, RunPodSandboxRequestSchema, StopPodSandboxRequestSchema } from "../../src/cri.js";
import { resolveDaemonConfig } from "../../src/config/index.js";
import { createCriService, ensureDefaultCniConfig, type CriService } from "../../src/server/index.js";

const tag = (process.pid % 10_000).toString().padStart(4, "0");
const mountPoints = async (): Promise<string[]> => (await readFile("/proc/self/mountinfo", "utf8")).split("\n").map((l) => l.split(" ")[4] ?? "");

async function startService(dir: string, bridge: string, network: string) {
  const config = resolveDaemonConfig({
    root: join(dir, "root"),
    state: join(dir, "state"),
    socket: join(dir, "cri.sock"),
    cni: { conf_dir: join(dir, "net.d"), netns_dir: join(dir, "netns") },
  });
  await ensureDefaultCniConfig(config.cni.conf_dir, { name: network, bridge, subnet: `10.207.${Number(tag) % 250}.0/24`, defaultRoute: false, ipamDataDir: join(dir, "ipam") });
  const service = createCriService({ config });
  await service.recover();
  return service;
}

async function podLifecycle(service: CriService): Promise<void> {
  const { podSandboxId = "" } = await service.runPodSandbox(
    create(RunPodSandboxRequestSchema, { config: { metadata: { name: "p", namespace: "host-state", uid: `u${tag}`, attempt: 0 }, logDirectory: "" } }),
  );
  await service.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId }));
  await service.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId }));
}

describe("CriService.close() and the host state it made", { skip: process.getuid?.() !== 0 ? "needs root" : false }, () => {
  it("removes the bridge, host-local's directory and the netns directory's bind mount once no pod is left", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-host-state-"));
    const bridge = `crkhs${tag}`;
    t.after(async () => {
      await execa("ip", ["link", "delete", bridge], { reject: false });
      await execa("umount", [join(dir, "netns")], { reject: false });
      await rm(dir, { recursive: true, force: true });
    });
    const service = await startService(dir, bridge, `crikit-hs-${tag}`);
    await podLifecycle(service);
    assert.ok(existsSync(`/sys/class/net/${bridge}`), "the bridge plugin made the bridge");
    assert.ok(existsSync(join(dir, "ipam", `crikit-hs-${tag}`)), "host-local made its directory");
    assert.ok((await mountPoints()).some((m) => m === join(dir, "netns")), "the netns directory is a mount point");
    await service.close();
    assert.ok(!existsSync(`/sys/class/net/${bridge}`), "bridge removed");
    assert.deepEqual(await readdir(join(dir, "ipam")), [], "host-local's directory removed");
    assert.ok(!(await mountPoints()).some((m) => m.startsWith(dir)), "no mount left under the temporary directory");
  });

  it("keeps a bridge that existed before, and everything while a pod remains", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-host-state-"));
    const bridge = `crkhk${tag}`;
    t.after(async () => {
      await execa("ip", ["link", "delete", bridge], { reject: false });
      await execa("umount", [join(dir, "netns")], { reject: false });
      await rm(dir, { recursive: true, force: true });
    });
    await execa("ip", ["link", "add", bridge, "type", "bridge"]);
    const service = await startService(dir, bridge, `crikit-hk-${tag}`);
    await podLifecycle(service);
    await service.close();
    assert.ok(existsSync(`/sys/class/net/${bridge}`), "a bridge the service did not make is kept");
    assert.deepEqual(await readdir(join(dir, "ipam")), [], "host-local's directory, which it made, is removed");

    const again = await startService(dir, bridge, `crikit-hk-${tag}`);
    const { podSandboxId = "" } = await again.runPodSandbox(
      create(RunPodSandboxRequestSchema, { config: { metadata: { name: "q", namespace: "host-state", uid: `v${tag}`, attempt: 0 }, logDirectory: "" } }),
    );
    await again.close();
    assert.ok(existsSync(join(dir, "ipam", `crikit-hk-${tag}`)), "a pod remains: its address stays allocated");
    assert.ok((await mountPoints()).some((m) => m === join(dir, "netns")), "a pod remains: the netns directory stays a mount point");
    const cleanup = await startService(dir, bridge, `crikit-hk-${tag}`);
    await cleanup.stopPodSandbox(create(StopPodSandboxRequestSchema, { podSandboxId }));
    await cleanup.removePodSandbox(create(RemovePodSandboxRequestSchema, { podSandboxId }));
    await cleanup.close();
  });
});
