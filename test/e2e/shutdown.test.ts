/**
 * SIGTERM ends crikitd promptly (issue 16, point 6: "logs 'stopped' at once
 * but the process exits 1.7 s later"): with an image pulled (the unpacking
 * worker has run), a running container and an open GetContainerEvents
 * stream, the process is gone within a second of the signal, and the
 * container keeps running for the next start.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { containerConfig, podConfig, setupE2e, type E2eEnv } from "./harness.js";

describe("crikitd shutdown", { timeout: 120_000 }, () => {
  let env: E2eEnv;
  before(async () => {
    env = await setupE2e({ logLevel: "info" });
  });
  after(async () => {
    await env?.cleanup();
  });

  it("exits within a second of SIGTERM after a pull, a running container and an event stream", async () => {
    await env.client.unary("PullImage", { image: { image: env.image } });
    const pod = await env.client.unary("RunPodSandbox", { config: podConfig(env, "bye") });
    const id = pod["pod_sandbox_id"] as string;
    const c = await env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "s", ["sleep", "60"]), sandbox_config: podConfig(env, "bye") });
    await env.client.unary("StartContainer", { container_id: c["container_id"] });
    const events = env.client.stream("GetContainerEvents", {});
    const drained = (async () => {
      try {
        for await (const _ of events) {
          // drain
        }
      } catch {
        // the server went away
      }
    })();
    const t0 = Date.now();
    process.kill(env.daemon.pid, "SIGTERM");
    const code = await env.daemon.exited;
    const ms = Date.now() - t0;
    await drained;
    assert.equal(code, 0, env.daemon.how());
    assert.ok(ms < 1000, `crikitd took ${ms} ms to exit after SIGTERM`);
    const log = await readFile(env.daemon.logFile, "utf8");
    assert.match(log, /"msg":"stopped"/);
    // The container outlived the daemon.
    await env.start();
    const st = await env.client.unary("ContainerStatus", { container_id: c["container_id"] });
    assert.equal(st["status"]["state"], "CONTAINER_RUNNING");
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
  });
});
