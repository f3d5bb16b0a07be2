/**
 * crikitd end to end: the CRI metrics RPCs over the socket with grpc-js.
 * Two pods: "burn" runs a CPU burner and a busybox httpd, "hold" a shell
 * that holds 32 MiB in a variable. ListPodSandboxMetrics reports both pods,
 * CPU time on the burner and memory on the holder; the pods' eth0
 * counters grow when the holder fetches from the burn pod's httpd.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Msg } from "../helpers/cri-client.js";
import { containerConfig, eventually, podConfig, setupE2e, type E2eEnv } from "./harness.js";

const MiB = 1024 * 1024;

/** The value of metric `name` in `metrics` whose label values end with `extra`. */
function value(metrics: readonly Msg[], name: string, extra: string[] = []): number | undefined {
  const m = metrics.find((x) => x["name"] === name && JSON.stringify((x["label_values"] as string[]).slice(6)) === JSON.stringify(extra));
  return m === undefined ? undefined : Number(m["value"]?.["value"] ?? 0);
}

describe("crikitd metrics RPCs end to end", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  let burnPod = "";
  let holdPod = "";
  let burner = "";
  let web = "";
  let holder = "";
  let burnIp = "";

  const list = async (): Promise<Map<string, Msg>> => {
    const r = await env.client.unary("ListPodSandboxMetrics", {});
    return new Map((r["pod_metrics"] as Msg[]).map((p) => [p["pod_sandbox_id"] as string, p]));
  };
  const ctr = (pod: Msg | undefined, id: string): Msg[] => ((pod?.["container_metrics"] as Msg[] | undefined) ?? []).find((c) => c["container_id"] === id)?.["metrics"] ?? [];

  before(async () => {
    env = await setupE2e({ logLevel: "info" });
    await env.client.unary("PullImage", { image: { image: env.image } });
    const b = podConfig(env, "burn");
    burnPod = (await env.client.unary("RunPodSandbox", { config: b }))["pod_sandbox_id"];
    burner = (await env.client.unary("CreateContainer", { pod_sandbox_id: burnPod, config: containerConfig(env, "burner", ["/bin/sh", "-c", "while :; do :; done"]), sandbox_config: b }))["container_id"];
    await env.client.unary("StartContainer", { container_id: burner });
    web = (await env.client.unary("CreateContainer", { pod_sandbox_id: burnPod, config: containerConfig(env, "web", ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]), sandbox_config: b }))["container_id"];
    await env.client.unary("StartContainer", { container_id: web });
    burnIp = (await env.client.unary("PodSandboxStatus", { pod_sandbox_id: burnPod }))["status"]["network"]["ip"];
    const h = podConfig(env, "hold");
    holdPod = (await env.client.unary("RunPodSandbox", { config: h }))["pod_sandbox_id"];
    const hold = 'x=a; i=0; while [ $i -lt 25 ]; do x="$x$x"; i=$((i+1)); done; sleep 600; echo ${#x}'; // not exec'd: the shell keeps x
    holder = (await env.client.unary("CreateContainer", { pod_sandbox_id: holdPod, config: containerConfig(env, "holder", ["/bin/sh", "-c", hold]), sandbox_config: h }))["container_id"];
    await env.client.unary("StartContainer", { container_id: holder });
  });

  after(async () => {
    if (env) {
      for (const p of [burnPod, holdPod].filter(Boolean)) await env.client.unary("RemovePodSandbox", { pod_sandbox_id: p }).catch(() => undefined);
      await env.cleanup();
    }
  });

  it("describes cAdvisor's metrics with the kubelet's labels", async () => {
    const d = (await env.client.unary("ListMetricDescriptors", {}))["descriptors"] as Msg[];
    const cpu = d.find((x) => x["name"] === "container_cpu_usage_seconds_total");
    assert.deepEqual(cpu?.["label_keys"], ["container", "id", "image", "name", "namespace", "pod", "cpu"]);
    assert.ok(d.some((x) => x["name"] === "container_network_receive_bytes_total"));
  });

  it("reports both pods, CPU on the burner and memory on the holder", async () => {
    let last = "";
    const pods = await eventually(async () => {
      const m = await list();
      const cpu = value(ctr(m.get(burnPod), burner), "container_cpu_usage_seconds_total", ["total"]) ?? 0;
      const ws = value(ctr(m.get(holdPod), holder), "container_memory_working_set_bytes") ?? 0;
      last = JSON.stringify({ cpu, ws, burn: ctr(m.get(burnPod), burner).length, hold: ctr(m.get(holdPod), holder).length });
      return cpu >= 1 && ws > 30 * MiB ? m : undefined;
    }, 60_000, "a second of CPU on the burner and 30 MiB on the holder").catch((err: unknown) => {
      throw new Error(`${String(err)}; last reading ${last}`);
    });
    assert.deepEqual([...pods.keys()].sort(), [burnPod, holdPod].sort());
    const burn = ctr(pods.get(burnPod), burner);
    const holdM = ctr(pods.get(holdPod), holder);
    assert.ok((value(burn, "container_memory_working_set_bytes") ?? 0) < 30 * MiB, "the burner holds little memory");
    assert.ok((value(holdM, "container_cpu_usage_seconds_total", ["total"]) ?? 99) < (value(burn, "container_cpu_usage_seconds_total", ["total"]) ?? 0), "the holder burns less CPU than the burner");
    assert.ok((value(holdM, "container_memory_rss") ?? 0) > 30 * MiB);
    await eventually(async () => value(ctr((await list()).get(holdPod), holder), "container_processes") === 2, 10_000, "the holder's shell and its sleep (container_processes 2)");
    const labels = holdM.find((x) => x["name"] === "container_memory_usage_bytes")?.["label_values"];
    assert.deepEqual(labels?.slice(0, 3), ["holder", holder, env.image]);
    assert.deepEqual(labels?.slice(4), ["e2e", "hold"]);
    assert.ok((value(burn, "container_last_seen") ?? 0) >= Math.floor(Date.now() / 1000) - 60);
    assert.ok((value(pods.get(burnPod)?.["metrics"] ?? [], "container_memory_working_set_bytes") ?? 0) > 0, "pod-level memory (the sum of its containers)");
    const streamed = await env.client.collect("StreamPodSandboxMetrics", {});
    assert.deepEqual(streamed.flatMap((m) => (m["pod_sandbox_metrics"] as Msg[]).map((p) => p["pod_sandbox_id"])).sort(), [burnPod, holdPod].sort());
  });

  it("counts the traffic sent between the pods on their eth0", async () => {
    const before = await list();
    const tx0 = value(before.get(burnPod)?.["metrics"] ?? [], "container_network_transmit_bytes_total", ["eth0"]);
    const rx0 = value(before.get(holdPod)?.["metrics"] ?? [], "container_network_receive_bytes_total", ["eth0"]);
    const pk0 = value(before.get(holdPod)?.["metrics"] ?? [], "container_network_transmit_packets_total", ["eth0"]);
    assert.ok(tx0 !== undefined && rx0 !== undefined && pk0 !== undefined, "both pods report eth0");
    const fetch = await env.client.unary("ExecSync", { container_id: holder, cmd: ["/bin/sh", "-c", `for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://${burnIp}/index.html; done`], timeout: 30 });
    assert.equal(fetch["exit_code"], 0, String(Buffer.from(fetch["stderr"] ?? "")));
    assert.match(String(Buffer.from(fetch["stdout"] ?? "")), /hello from crikit e2e/);
    const after = await list();
    const tx1 = value(after.get(burnPod)?.["metrics"] ?? [], "container_network_transmit_bytes_total", ["eth0"]) ?? 0;
    const rx1 = value(after.get(holdPod)?.["metrics"] ?? [], "container_network_receive_bytes_total", ["eth0"]) ?? 0;
    const pk1 = value(after.get(holdPod)?.["metrics"] ?? [], "container_network_transmit_packets_total", ["eth0"]) ?? 0;
    assert.ok(tx1 - tx0 >= 10 * 22, `the server pod sent the ten pages (${tx0} → ${tx1} bytes)`);
    assert.ok(rx1 - rx0 >= 10 * 22, `the client pod received them (${rx0} → ${rx1} bytes)`);
    assert.ok(pk1 - pk0 >= 10, `the client pod sent packets (${pk0} → ${pk1})`);
  });
});
