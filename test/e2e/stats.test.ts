/**
 * crikitd end to end: the stats RPCs over the socket with grpc-js. Two
 * pods: "statsa" shares a PID namespace (infra process) and has a
 * cgroup_parent of its own, as the kubelet gives every pod; "statsb" is
 * infra-less with no cgroup_parent (its numbers are its containers' sums).
 * Checks the entries, the filters, NotFound, a stopped container's entry,
 * the pod's network (eth0 from the CNI bridge) and the Stream variants.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { GrpcStatus, isServiceError, type Msg } from "../helpers/cri-client.js";
import { leftoverCgroups, removeTestCgroup } from "../helpers/bundle.js";
import { containerConfig, eventually, podConfig, setupE2e, type E2eEnv } from "./harness.js";

async function rejectsWith(p: Promise<unknown>, code: number): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isServiceError(err), `expected a gRPC error, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.details}`);
    return;
  }
  assert.fail("expected the call to fail");
}

const n = (v: Msg | null | undefined): number => Number(v?.["value"] ?? Number.NaN);
const ids = (stats: Msg[]): string[] => stats.map((s) => s["attributes"]["id"] as string).sort();

describe("crikitd stats end to end", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  const cgroupParent = `/crikit-e2e-stats-${randomBytes(3).toString("hex")}`;
  let podA = "";
  let podB = "";
  let busyA = "";
  let idleB = "";
  let doneB = "";

  before(async () => {
    env = await setupE2e({ logLevel: "info" });
    await env.client.unary("PullImage", { image: { image: env.image } });
    const a = podConfig(env, "statsa", { linux: { cgroup_parent: cgroupParent, security_context: { namespace_options: { network: "POD", pid: "POD", ipc: "POD" } } } });
    podA = (await env.client.unary("RunPodSandbox", { config: a }))["pod_sandbox_id"];
    busyA = (await env.client.unary("CreateContainer", { pod_sandbox_id: podA, config: containerConfig(env, "busy", ["/bin/sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exec sleep 600"], { labels: { container: "busy", tier: "a" } }), sandbox_config: a }))["container_id"];
    await env.client.unary("StartContainer", { container_id: busyA });
    const b = podConfig(env, "statsb");
    podB = (await env.client.unary("RunPodSandbox", { config: b }))["pod_sandbox_id"];
    idleB = (await env.client.unary("CreateContainer", { pod_sandbox_id: podB, config: containerConfig(env, "idle", ["/bin/sleep", "600"]), sandbox_config: b }))["container_id"];
    await env.client.unary("StartContainer", { container_id: idleB });
    doneB = (await env.client.unary("CreateContainer", { pod_sandbox_id: podB, config: containerConfig(env, "done", ["/bin/sh", "-c", "echo bye > /left-behind; exit 0"]), sandbox_config: b }))["container_id"];
    await env.client.unary("StartContainer", { container_id: doneB });
    await eventually(async () => (await env.client.unary("ContainerStatus", { container_id: doneB }))["status"]["state"] === "CONTAINER_EXITED", 10_000, "the done container to exit");
  });

  after(async () => {
    if (env) {
      for (const p of [podA, podB].filter(Boolean)) await env.client.unary("RemovePodSandbox", { pod_sandbox_id: p }).catch(() => undefined);
      await env.cleanup();
    }
    await removeTestCgroup(`${cgroupParent}/x`);
    assert.deepEqual(leftoverCgroups(cgroupParent), [], "the pod cgroup parent is removed");
  });

  it("lists the stats of every container: CPU and memory for running ones, the writable layer for all", async () => {
    const r = await env.client.unary("ListContainerStats", {});
    const stats = r["stats"] as Msg[];
    assert.deepEqual(ids(stats), [busyA, idleB, doneB].sort());
    const by = new Map(stats.map((s) => [s["attributes"]["id"], s]));
    const busy = by.get(busyA) as Msg;
    assert.equal(busy["attributes"]["metadata"]["name"], "busy");
    assert.deepEqual(busy["attributes"]["labels"], { container: "busy", tier: "a" });
    assert.deepEqual(busy["attributes"]["annotations"], { "e2e.crikit/container": "busy" });
    assert.ok(n(busy["cpu"]["usage_core_nano_seconds"]) > 0, "the busy container used CPU");
    assert.ok(Number(busy["cpu"]["timestamp"]) > 0);
    assert.ok(n(busy["memory"]["working_set_bytes"]) > 0, "a running container has a working set");
    assert.ok(n(busy["memory"]["usage_bytes"]) >= n(busy["memory"]["working_set_bytes"]));
    assert.match(busy["writable_layer"]["fs_id"]["mountpoint"], /\/containers\/[0-9a-f]{64}\/upper$/);
    assert.ok(n(busy["writable_layer"]["inodes_used"]) >= 1);
    const done = by.get(doneB) as Msg;
    assert.equal(done["cpu"], null, "an exited container has no CPU stats");
    assert.equal(done["memory"], null, "an exited container has no memory stats");
    assert.ok(n(done["writable_layer"]["inodes_used"]) >= 2, "the exited container's layer holds the file it wrote");
    assert.ok(n(done["writable_layer"]["used_bytes"]) > 0);
  });

  it("gives a CPU rate from the second reading on", async () => {
    await env.client.unary("ContainerStats", { container_id: idleB });
    await new Promise((r) => setTimeout(r, 300));
    const s = (await env.client.unary("ContainerStats", { container_id: idleB }))["stats"];
    assert.equal(s["attributes"]["id"], idleB);
    assert.notEqual(s["cpu"]["usage_nano_cores"], null, "a second reading has usage_nano_cores");
    assert.ok(n(s["cpu"]["usage_nano_cores"]) >= 0);
  });

  it("filters by ID prefix, pod, and labels, and answers NotFound for unknown IDs", async () => {
    const byId = await env.client.unary("ListContainerStats", { filter: { id: busyA.slice(0, 12) } });
    assert.deepEqual(ids(byId["stats"]), [busyA]);
    const byPod = await env.client.unary("ListContainerStats", { filter: { pod_sandbox_id: podB } });
    assert.deepEqual(ids(byPod["stats"]), [idleB, doneB].sort());
    const byLabel = await env.client.unary("ListContainerStats", { filter: { label_selector: { tier: "a" } } });
    assert.deepEqual(ids(byLabel["stats"]), [busyA]);
    const none = await env.client.unary("ListContainerStats", { filter: { pod_sandbox_id: podA, label_selector: { container: "idle" } } });
    assert.deepEqual(none["stats"], [], "filters are ANDed");
    const one = await env.client.unary("ContainerStats", { container_id: busyA.slice(0, 12) });
    assert.equal(one["stats"]["attributes"]["id"], busyA, "ContainerStats takes an ID prefix like the other calls");
    await rejectsWith(env.client.unary("ContainerStats", { container_id: "f".repeat(64) }), GrpcStatus.NOT_FOUND);
    await rejectsWith(env.client.unary("PodSandboxStats", { pod_sandbox_id: "f".repeat(64) }), GrpcStatus.NOT_FOUND);
    await rejectsWith(env.client.unary("ContainerStats", { container_id: "" }), GrpcStatus.INVALID_ARGUMENT);
  });

  it("reports a pod with its own cgroup: CPU, memory, processes, eth0 and its containers", async () => {
    const s = (await env.client.unary("PodSandboxStats", { pod_sandbox_id: podA }))["stats"];
    assert.equal(s["attributes"]["id"], podA);
    assert.equal(s["attributes"]["metadata"]["name"], "statsa");
    assert.deepEqual(s["attributes"]["labels"], { app: "statsa", suite: "e2e" });
    const linux = s["linux"];
    assert.ok(n(linux["cpu"]["usage_core_nano_seconds"]) > 0);
    assert.ok(n(linux["memory"]["working_set_bytes"]) > 0);
    assert.ok(n(linux["process"]["process_count"]) >= 2, "the infra process and the container's sleep");
    assert.equal(linux["network"]["default_interface"]["name"], "eth0", "the pod's CNI interface");
    assert.ok(Number(linux["network"]["timestamp"]) > 0);
    assert.ok(!(linux["network"]["interfaces"] as Msg[]).some((i) => i["name"] === "lo"), "loopback is left out");
    assert.deepEqual(ids(linux["containers"]), [busyA]);
  });

  it("lists pods with filters; a pod without a cgroup parent sums its running containers", async () => {
    const all = await env.client.unary("ListPodSandboxStats", {});
    assert.deepEqual(ids(all["stats"]), [podA, podB].sort());
    const b = await env.client.unary("ListPodSandboxStats", { filter: { label_selector: { app: "statsb" } } });
    assert.deepEqual(ids(b["stats"]), [podB]);
    const linux = b["stats"][0]["linux"];
    assert.ok(n(linux["memory"]["working_set_bytes"]) > 0, "the idle container's memory");
    assert.ok(n(linux["process"]["process_count"]) >= 1);
    assert.equal(linux["network"]["default_interface"]["name"], "eth0", "read through the running container in the pod's netns");
    assert.deepEqual(ids(linux["containers"]), [idleB, doneB].sort(), "stopped containers are listed too");
    const byId = await env.client.unary("ListPodSandboxStats", { filter: { id: podA.slice(0, 10) } });
    assert.deepEqual(ids(byId["stats"]), [podA]);
  });

  it("streams the same lists with StreamContainerStats and StreamPodSandboxStats", async () => {
    const c = await env.client.collect("StreamContainerStats", { filter: { pod_sandbox_id: podB } });
    assert.deepEqual(ids(c.flatMap((m) => m["container_stats"] as Msg[])), [idleB, doneB].sort());
    const p = await env.client.collect("StreamPodSandboxStats", {});
    assert.deepEqual(ids(p.flatMap((m) => m["pod_sandbox_stats"] as Msg[])), [podA, podB].sort());
  });

  it("keeps a stopped pod in the list with its containers only", async () => {
    await env.client.unary("StopPodSandbox", { pod_sandbox_id: podB });
    const s = (await env.client.unary("PodSandboxStats", { pod_sandbox_id: podB }))["stats"];
    assert.equal(s["linux"]["cpu"], null);
    assert.equal(s["linux"]["network"], null);
    assert.deepEqual(ids(s["linux"]["containers"]), [idleB, doneB].sort());
    for (const c of s["linux"]["containers"] as Msg[]) assert.equal(c["cpu"], null, "the stopped pod's containers have exited");
  });
});
