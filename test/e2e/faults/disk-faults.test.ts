/**
 * Component faults, disk full: the daemon's root (records, images, CNI
 * cache) and state dirs are small tmpfs mounts of the test's own; a filler
 * file takes every free byte, then pod, container and image calls run.
 * Each answers ResourceExhausted, leaves nothing behind (records, state
 * dirs, mounts, netns pins, addresses, partial blobs), and once the filler
 * is gone the same call succeeds; stopping and removing a pod on a full
 * disk either work or answer ResourceExhausted and work when retried; a
 * restart finds every record readable.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { GrpcStatus } from "../../helpers/cri-client.js";
import { buildOciLayout } from "../../helpers/oci-layout.js";
import { pushLayout } from "../../helpers/registry.js";
import { containerConfig, e2eImage, filesUnder, podConfig, rejectsWith, setupE2e, type E2eEnv } from "../harness.js";
import { assertNoLeftovers, podRoundTrip, restartRecoversCleanly } from "./fault-env.js";

/** Fills the file system of `dir` to the last byte; returns the filler's path. */
async function fill(dir: string): Promise<string> {
  const f = join(dir, "filler");
  // dd stops at ENOSPC (and exits non-zero: that is the point).
  await execa("dd", ["if=/dev/zero", `of=${f}`, "bs=64k"], { reject: false });
  const df = await execa("df", ["--output=avail", "-B1", dir]);
  assert.equal(Number(String(df.stdout).split("\n")[1]), 0, `${dir} is full`);
  return f;
}

describe("component faults: disk full", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  let layoutDir = "";
  let image2 = "";

  before(async () => {
    env = await setupE2e({
      logLevel: "info",
      beforeStart: async ({ root, state }) => {
        await execa("mount", ["-t", "tmpfs", "-o", "size=32m", "crikit-fault-root", root]);
        await execa("mount", ["-t", "tmpfs", "-o", "size=8m", "crikit-fault-state", state]);
      },
    });
    await env.client.unary("PullImage", { image: { image: env.image } });
    // A second image, pushed to the same registry, to pull on a full disk.
    layoutDir = await mkdtemp(join(tmpdir(), "crikit-fault-layout-"));
    const base = e2eImage();
    await buildOciLayout(layoutDir, [{ tag: "2", image: { config: base.config, layers: [...base.layers, { compression: "none", entries: [{ path: "big.bin", content: randomBytes(1 << 20) }] }] } }]);
    image2 = `${env.registry.host}/e2e/busybox:2`;
    await pushLayout(layoutDir, "2", image2);
  });
  after(async () => {
    await env?.cleanup();
    await rm(layoutDir, { recursive: true, force: true });
  });

  for (const which of ["root", "state"] as const) {
    it(`${which} full: RunPodSandbox answers ResourceExhausted, rolled back; it runs once there is room`, async () => {
      const dir = which === "root" ? env.root : env.state;
      const filler = await fill(dir);
      try {
        await rejectsWith(env.client.unary("RunPodSandbox", { config: podConfig(env, `full-${which}`) }), GrpcStatus.RESOURCE_EXHAUSTED, /no space left|ENOSPC/i);
        assert.deepEqual((await env.client.unary("ListPodSandbox", {}))["items"], []);
        await assertNoLeftovers(env, `pod on a full ${which}`);
      } finally {
        await rm(filler, { force: true });
      }
      await podRoundTrip(env, `room-${which}`);
      await assertNoLeftovers(env, `next pod (${which})`);
    });

    it(`${which} full: CreateContainer answers ResourceExhausted, rolled back; the pod goes on`, async () => {
      const dir = which === "root" ? env.root : env.state;
      const pod = podConfig(env, `ctr-full-${which}`);
      const { pod_sandbox_id: id } = await env.client.unary("RunPodSandbox", { config: pod });
      const filler = await fill(dir);
      try {
        await rejectsWith(env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "c", ["/bin/sleep", "30"]), sandbox_config: pod }), GrpcStatus.RESOURCE_EXHAUSTED, /no space left|ENOSPC/i);
        assert.deepEqual((await env.client.unary("ListContainers", {}))["containers"], []);
        await assertNoLeftovers(env, `container on a full ${which}`, [id]);
      } finally {
        await rm(filler, { force: true });
      }
      const c = await env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "c", ["/bin/sleep", "30"]), sandbox_config: pod });
      await env.client.unary("StartContainer", { container_id: c["container_id"] });
      // Stopping and removing on a full disk: done, or ResourceExhausted and done by the retry once there is room.
      for (const rpc of ["StopPodSandbox", "RemovePodSandbox"]) {
        const filler2 = await fill(dir);
        try {
          await env.client.unary(rpc, { pod_sandbox_id: id }).catch((err: { code?: number; details?: string }) => {
            assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED, `${rpc} on a full ${which}: ${String(err.details)}`);
          });
        } finally {
          await rm(filler2, { force: true });
        }
        await env.client.unary(rpc, { pod_sandbox_id: id });
      }
      await assertNoLeftovers(env, `pod removed after a full ${which}`);
    });
  }

  it("root full: PullImage answers ResourceExhausted, no partial blob; it pulls once there is room", async () => {
    const filler = await fill(env.root);
    try {
      await rejectsWith(env.client.unary("PullImage", { image: { image: image2 } }), GrpcStatus.RESOURCE_EXHAUSTED, /no space left|ENOSPC/i);
      const files = await filesUnder(join(env.root, "images"));
      assert.deepEqual(files.filter((f) => /ingest|\.tmp|partial/.test(f)), [], "no partial download left");
      assert.equal((await env.client.unary("ImageStatus", { image: { image: image2 } }))["image"], null);
    } finally {
      await rm(filler, { force: true });
    }
    await env.client.unary("PullImage", { image: { image: image2 } });
    await env.client.unary("RemoveImage", { image: { image: image2 } });
  });

  it("a restart after the faults finds every record readable", async () => {
    await restartRecoversCleanly(env);
    await podRoundTrip(env, "after-restart");
    await assertNoLeftovers(env, "after restart");
  });
});
