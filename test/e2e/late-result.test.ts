/**
 * A create whose client deadline passes while crikitd still works keeps its
 * result for the retry: RunPodSandbox and CreateContainer are called with a
 * deadline far shorter than the work, fail with DEADLINE_EXCEEDED on the
 * client, and the retry of the same request gets the object the first call
 * made (one object, the first call's ID) instead of "name is reserved". A
 * changed request for the same name replaces the parked object instead.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { GrpcStatus, isServiceError, type Msg } from "../helpers/cri-client.js";
import { containerConfig, eventually, podConfig, setupE2e, type E2eEnv } from "./harness.js";

async function parkedIds(env: E2eEnv): Promise<string[]> {
  const log = await readFile(env.daemon.logFile, "utf8");
  return log
    .split("\n")
    .filter((l) => l.includes("kept for its retry"))
    .map((l) => (JSON.parse(l) as { id: string }).id);
}

/** The ID of the next sandbox or container parked after `before` were. */
async function nextParked(env: E2eEnv, before: number): Promise<string> {
  return eventually(async () => (await parkedIds(env))[before], 15_000, "the late result to be parked");
}

async function deadline(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isServiceError(err));
    assert.equal(err.code, GrpcStatus.DEADLINE_EXCEEDED, err.details);
    return;
  }
  assert.fail("the call finished within its tiny deadline; the test needs a slower create");
}

describe("crikitd late results", { timeout: 300_000 }, () => {
  let env: E2eEnv;

  before(async () => {
    env = await setupE2e();
    await env.client.unary("PullImage", { image: { image: env.image } });
  });
  after(async () => {
    await env?.cleanup();
  });

  it("gives the retry of a timed-out RunPodSandbox the sandbox the first call made", async () => {
    const pod = podConfig(env, "late");
    const n1 = (await parkedIds(env)).length;
    await deadline(env.client.unary("RunPodSandbox", { config: pod }, { timeoutMs: 15 }));
    const parked = await nextParked(env, n1);
    assert.equal((await env.client.unary("ListPodSandbox", {}))["items"].length, 0, "a parked sandbox is not listed");
    const { pod_sandbox_id: id } = await env.client.unary("RunPodSandbox", { config: pod });
    assert.equal(id, parked, "the retry gets the first call's sandbox");
    const list = (await env.client.unary("ListPodSandbox", {}))["items"] as Msg[];
    assert.deepEqual(list.map((p) => p["id"]), [id]);
    assert.equal(list[0]?.["state"], "SANDBOX_READY");

    // CreateContainer likewise.
    const n2 = (await parkedIds(env)).length;
    await deadline(env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "slow", ["/bin/sleep", "600"]), sandbox_config: pod }, { timeoutMs: 5 }));
    const parkedC = await nextParked(env, n2);
    const c = await env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "slow", ["/bin/sleep", "600"]), sandbox_config: pod });
    assert.equal(c["container_id"], parkedC);
    await env.client.unary("StartContainer", { container_id: c["container_id"] });
    assert.equal((await env.client.unary("ListContainers", {}))["containers"].length, 1);
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
  });

  it("keeps a parked sandbox parked across a daemon restart", async () => {
    const pod = podConfig(env, "restarted");
    const n3 = (await parkedIds(env)).length;
    await deadline(env.client.unary("RunPodSandbox", { config: pod }, { timeoutMs: 15 }));
    const parked = await nextParked(env, n3);
    await env.kill9();
    await env.start();
    assert.equal((await env.client.unary("ListPodSandbox", {}))["items"].length, 0, "still hidden after the restart");
    const { pod_sandbox_id: id } = await env.client.unary("RunPodSandbox", { config: pod });
    assert.equal(id, parked);
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
  });

  it("replaces a parked sandbox when the retry asks for something else", async () => {
    const pod = podConfig(env, "changed");
    const n4 = (await parkedIds(env)).length;
    await deadline(env.client.unary("RunPodSandbox", { config: pod }, { timeoutMs: 15 }));
    const parked = await nextParked(env, n4);
    const changed = { ...pod, labels: { app: "changed", version: "2" } };
    const { pod_sandbox_id: id } = await env.client.unary("RunPodSandbox", { config: changed });
    assert.notEqual(id, parked, "a different request does not get the parked sandbox");
    const list = (await env.client.unary("ListPodSandbox", {}))["items"] as Msg[];
    assert.deepEqual(list.map((p) => p["id"]), [id], "the parked sandbox was removed");
    assert.deepEqual(list[0]?.["labels"], { app: "changed", version: "2" });
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
  });
});
