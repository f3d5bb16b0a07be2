/**
 * crikitd end to end: a pod with two containers sharing the pod network
 * (busybox httpd on localhost, wget fetching from it), logs at the log
 * path, ExecSync, list filters, name conflicts, the error paths the kubelet
 * relies on, and the order of the events stream.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { GrpcStatus, type Msg } from "../helpers/cri-client.js";
import { containerConfig, eventually, filesUnder, leakedMounts, mountsUnder, netnsPins, pidsMentioning, podConfig, rejectsWith, setupE2e, type E2eEnv } from "./harness.js";


describe("crikitd end to end", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  let imageId = "";

  before(async () => {
    env = await setupE2e();
  });
  after(async () => {
    await env?.cleanup();
  });

  it("answers Version, Status and RuntimeConfig as a CRI runtime", async () => {
    const v = await env.client.unary("Version", {});
    assert.equal(v["runtime_name"], "crikit");
    assert.equal(v["runtime_api_version"], "v1");
    const s = await env.client.unary("Status", { verbose: true });
    const conds = Object.fromEntries((s["status"]["conditions"] as Msg[]).map((c) => [c["type"], c]));
    assert.equal(conds["RuntimeReady"]?.["status"], true);
    assert.equal(conds["NetworkReady"]?.["status"], true, JSON.stringify(conds["NetworkReady"]));
    // runc from the config, wasi (examples/wasi-runtime) registered by crikitd itself.
    assert.deepEqual((s["runtime_handlers"] as Msg[]).map((h) => h["name"]).sort(), ["", "runc", "wasi"]);
    const rc = await env.client.unary("RuntimeConfig", {});
    assert.equal(rc["linux"]["cgroup_driver"], "CGROUPFS");
    await env.client.unary("UpdateRuntimeConfig", { runtime_config: { network_config: { pod_cidr: "10.203.0.0/16" } } });
  });

  it("pulls an image whose image_ref is the ID reported by ImageStatus and ListImages", async () => {
    const pulled = await env.client.unary("PullImage", { image: { image: env.image } });
    imageId = pulled["image_ref"];
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
    const st = await env.client.unary("ImageStatus", { image: { image: env.image }, verbose: true });
    assert.equal(st["image"]["id"], imageId);
    assert.ok(JSON.parse(st["info"]["info"]).imageSpec, "verbose info holds the image config");
    const list = await env.client.unary("ListImages", { filter: { image: { image: env.image } } });
    assert.deepEqual((list["images"] as Msg[]).map((i) => i["id"]), [imageId]);
    const streamed = await env.client.collect("StreamImages", {});
    assert.ok(streamed.flatMap((m) => m["images"] as Msg[]).some((i) => i["id"] === imageId));
    const absent = await env.client.unary("ImageStatus", { image: { image: `${env.registry.host}/e2e/absent:1` } });
    assert.equal(absent["image"], null, "an absent image is an empty answer, not an error");
    const fs = await env.client.unary("ImageFsInfo", {});
    assert.ok(Number(fs["image_filesystems"][0]["used_bytes"]["value"]) > 0);
  });

  it("runs a pod whose two containers share the network, logs at the log path, and streams events in order", async () => {
    const events: Msg[] = [];
    const stream = env.client.stream("GetContainerEvents", {});
    const reading = (async () => {
      try {
        for await (const e of stream) events.push(e);
      } catch {
        // cancelled
      }
    })();
    await new Promise((r) => setTimeout(r, 200));

    const pod = podConfig(env, "web");
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod });
    const ps = await env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId, verbose: true });
    assert.equal(ps["status"]["state"], "SANDBOX_READY");
    assert.match(ps["status"]["network"]["ip"], /^10\.203\./, "an address from the test network");
    assert.deepEqual(ps["status"]["annotations"], pod["annotations"], "annotations come back unchanged");
    const info = JSON.parse(ps["info"]["info"]);
    assert.equal(info.sandboxMode, "pinned", "a pod without a shared PID namespace runs infra-less");
    assert.equal(info.podResources, null, "no pod-level resources before an update");
    await env.client.unary("UpdatePodSandboxResources", {
      pod_sandbox_id: podId,
      overhead: { cpu_shares: 10 },
      resources: { cpu_quota: 50000, cpu_period: 100000, memory_limit_in_bytes: 268435456 },
    });
    const resized = JSON.parse((await env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId, verbose: true }))["info"]["info"]);
    assert.deepEqual(resized.podResources.resources, { cpuPeriod: "100000", cpuQuota: "50000", memoryLimitInBytes: "268435456" });
    assert.deepEqual(resized.podResources.overhead, { cpuShares: "10" });
    await assert.rejects(env.client.unary("UpdatePodSandboxResources", { pod_sandbox_id: podId }), /overhead and resources are both missing/);

    const server = await env.client.unary("CreateContainer", {
      pod_sandbox_id: podId,
      config: containerConfig(env, "server", ["/bin/httpd", "-f", "-v", "-p", "127.0.0.1:8080", "-h", "/www"], {
        envs: [{ key: "ROLE", value: Buffer.from("server") }],
      }),
      sandbox_config: pod,
    });
    // The runtime creates the container at its first start; until then only the bundle's rootfs copy exists.
    const rootfsCopies = async () => (await leakedMounts(env)).filter((m) => m.endsWith(`${String(server["container_id"])}/rootfs`));
    assert.equal((await rootfsCopies()).length, 1, "a created container's rootfs is mounted in its bundle");
    assert.deepEqual(await pidsMentioning(String(server["container_id"])), [], "a created container has no conmon or runc process before its start");
    await env.client.unary("StartContainer", { container_id: server["container_id"] });
    // runc's container holds its rootfs in its own mount namespace: the bundle's copy is unmounted at start, and the server below still serves /www from it.
    assert.deepEqual(await rootfsCopies(), [], "the bundle's rootfs copy is unmounted once runc holds it");
    const fetcher = await env.client.unary("CreateContainer", {
      pod_sandbox_id: podId,
      config: containerConfig(env, "fetcher", ["/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://127.0.0.1:8080/index.html && break; sleep 0.2; done; echo to-stderr >&2; sleep 600"]),
      sandbox_config: pod,
    });
    await env.client.unary("StartContainer", { container_id: fetcher["container_id"] });

    const st = await env.client.unary("ContainerStatus", { container_id: fetcher["container_id"], verbose: true });
    const logPath = st["status"]["log_path"];
    assert.equal(logPath, join(pod["log_directory"] as string, "fetcher/0.log"));
    const log = await eventually(async () => {
      const text = await readFile(logPath, "utf8").catch(() => "");
      return text.includes("to-stderr") ? text : undefined;
    }, 15_000, "the fetcher's log");
    assert.match(log, /^\S+ stdout F hello from crikit e2e$/m, "the page fetched over the pod's loopback is in the CRI log");
    assert.match(log, /^\S+ stderr F to-stderr$/m);
    assert.equal(st["status"]["state"], "CONTAINER_RUNNING");
    assert.match(st["status"]["image_ref"], new RegExp(`^${env.image.replace(/:1$/, "").replace(/\./g, "\\.")}@sha256:[0-9a-f]{64}$`), "image_ref is the pullable repo digest");
    assert.equal(st["status"]["image_id"], imageId);
    assert.equal(st["status"]["image"]["image"], env.image);
    assert.deepEqual(st["status"]["annotations"], { "e2e.crikit/container": "fetcher" });
    assert.equal(st["status"]["stop_signal"], "SIGTERM");
    assert.ok(JSON.parse(st["info"]["info"]).runtimeSpec.process, "verbose info holds the OCI spec");

    const ex = await env.client.unary("ExecSync", { container_id: server["container_id"], cmd: ["/bin/sh", "-c", "echo $ROLE; hostname; echo oops >&2; exit 3"], timeout: 10 });
    assert.equal(Buffer.from(ex["stdout"]).toString(), "server\nweb\n");
    assert.equal(Buffer.from(ex["stderr"]).toString(), "oops\n");
    assert.equal(ex["exit_code"], 3);
    await rejectsWith(env.client.unary("ExecSync", { container_id: server["container_id"], cmd: ["/bin/sleep", "30"], timeout: 1 }), GrpcStatus.DEADLINE_EXCEEDED);

    // List filters.
    const byPod = await env.client.unary("ListContainers", { filter: { pod_sandbox_id: podId } });
    assert.equal(byPod["containers"].length, 2);
    const byLabel = await env.client.unary("ListContainers", { filter: { label_selector: { container: "server" } } });
    assert.deepEqual((byLabel["containers"] as Msg[]).map((c) => c["id"]), [server["container_id"]]);
    const byPrefix = await env.client.unary("ListContainers", { filter: { id: String(fetcher["container_id"]).slice(0, 12) } });
    assert.deepEqual((byPrefix["containers"] as Msg[]).map((c) => c["id"]), [fetcher["container_id"]]);
    const running = await env.client.unary("ListContainers", { filter: { state: { state: "CONTAINER_RUNNING" }, pod_sandbox_id: podId } });
    assert.equal(running["containers"].length, 2);
    const exitedNone = await env.client.unary("ListContainers", { filter: { state: { state: "CONTAINER_EXITED" }, pod_sandbox_id: podId } });
    assert.equal(exitedNone["containers"].length, 0);
    const pods = await env.client.unary("ListPodSandbox", { filter: { label_selector: { app: "web" }, state: { state: "SANDBOX_READY" } } });
    assert.deepEqual((pods["items"] as Msg[]).map((p) => p["id"]), [podId]);
    const noPods = await env.client.unary("ListPodSandbox", { filter: { label_selector: { app: "none" } } });
    assert.equal(noPods["items"].length, 0);
    const streamedPods = await env.client.collect("StreamPodSandboxes", { filter: { id: String(podId).slice(0, 8) } });
    assert.deepEqual(streamedPods.flatMap((m) => (m["pod_sandboxes"] as Msg[]).map((p) => p["id"])), [podId]);
    const streamedCtrs = await env.client.collect("StreamContainers", { filter: { pod_sandbox_id: podId } });
    assert.equal(streamedCtrs.flatMap((m) => m["containers"] as Msg[]).length, 2);

    // Name conflicts name the holder.
    await rejectsWith(env.client.unary("RunPodSandbox", { config: pod }), GrpcStatus.ALREADY_EXISTS, new RegExp(String(podId)));
    await rejectsWith(
      env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "server", ["/bin/true"]), sandbox_config: pod }),
      GrpcStatus.ALREADY_EXISTS,
      new RegExp(String(server["container_id"])),
    );

    // Stop one container with a timeout; stopping again succeeds.
    await env.client.unary("StopContainer", { container_id: server["container_id"], timeout: 5 });
    await env.client.unary("StopContainer", { container_id: server["container_id"], timeout: 5 });
    const stopped = await env.client.unary("ContainerStatus", { container_id: server["container_id"] });
    assert.equal(stopped["status"]["state"], "CONTAINER_EXITED");
    assert.notEqual(stopped["status"]["finished_at"], "0");

    await env.client.unary("StopPodSandbox", { pod_sandbox_id: podId });
    await env.client.unary("StopPodSandbox", { pod_sandbox_id: podId });
    const nr = await env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId });
    assert.equal(nr["status"]["state"], "SANDBOX_NOTREADY");
    assert.ok((nr["containers_statuses"] as Msg[]).every((c) => c["state"] === "CONTAINER_EXITED"));
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
    await rejectsWith(env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId }), GrpcStatus.NOT_FOUND);
    await rejectsWith(env.client.unary("ContainerStatus", { container_id: fetcher["container_id"] }), GrpcStatus.NOT_FOUND);

    await eventually(async () => events.filter((e) => e["container_event_type"] === "CONTAINER_DELETED_EVENT").length >= 3, 5000, "the DELETED events");
    stream.cancel();
    await reading;
    const seq = events.map((e) => `${e["container_event_type"].replace(/^CONTAINER_|_EVENT$/g, "")}:${e["container_id"] === podId ? "pod" : e["container_id"] === server["container_id"] ? "server" : "fetcher"}`);
    assert.deepEqual(seq.map((e, i) => (i === 9 || i === 10 ? "DELETED:*" : e)), [
      "CREATED:pod",
      "STARTED:pod",
      "CREATED:server",
      "STARTED:server",
      "CREATED:fetcher",
      "STARTED:fetcher",
      "STOPPED:server",
      "STOPPED:fetcher",
      "STOPPED:pod",
      "DELETED:*",
      "DELETED:*",
      "DELETED:pod",
    ]);
    // A pod's containers are removed in parallel: their DELETED events come in either order.
    assert.deepEqual(seq.slice(9, 11).sort(), ["DELETED:fetcher", "DELETED:server"]);
    const started = events.find((e) => e["container_id"] === fetcher["container_id"] && e["container_event_type"] === "CONTAINER_STARTED_EVENT");
    assert.equal(started?.["pod_sandbox_status"]?.["id"], podId, "events carry the pod's status");
    assert.equal((started?.["containers_statuses"] as Msg[]).length, 2, "events carry the pod's container statuses");
  });

  it("runs a pod that shares its PID namespace with an infra process", async () => {
    const pod = podConfig(env, "shared", { linux: { security_context: { namespace_options: { network: "POD", pid: "POD", ipc: "POD" } } } });
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod });
    const info = JSON.parse((await env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId, verbose: true }))["info"]["info"]);
    assert.equal(info.sandboxMode, "infra");
    const c = await env.client.unary("CreateContainer", {
      pod_sandbox_id: podId,
      config: containerConfig(env, "ps", ["/bin/sleep", "600"], { linux: { security_context: { namespace_options: { network: "POD", pid: "POD", ipc: "POD" } } } }),
      sandbox_config: pod,
    });
    await env.client.unary("StartContainer", { container_id: c["container_id"] });
    const ex = await env.client.unary("ExecSync", { container_id: c["container_id"], cmd: ["/bin/cat", "/proc/1/cmdline"], timeout: 10 });
    assert.match(Buffer.from(ex["stdout"]).toString(), /catatonit/, "PID 1 of the pod is the infra process");
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
  });

  it("answers the error paths with the codes the kubelet expects", async () => {
    const unknown = "0".repeat(64);
    // Idempotent removal and stop of unknown objects.
    await env.client.unary("StopPodSandbox", { pod_sandbox_id: unknown });
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: unknown });
    await env.client.unary("RemoveContainer", { container_id: unknown });
    await env.client.unary("RemoveImage", { image: { image: `${env.registry.host}/e2e/absent:1` } });
    await rejectsWith(env.client.unary("StopContainer", { container_id: unknown, timeout: 1 }), GrpcStatus.NOT_FOUND);
    await rejectsWith(env.client.unary("ContainerStatus", { container_id: unknown }), GrpcStatus.NOT_FOUND);
    await rejectsWith(env.client.unary("PodSandboxStatus", { pod_sandbox_id: unknown }), GrpcStatus.NOT_FOUND);
    await rejectsWith(env.client.unary("StartContainer", { container_id: unknown }), GrpcStatus.NOT_FOUND);
    await rejectsWith(env.client.unary("ExecSync", { container_id: unknown, cmd: ["true"] }), GrpcStatus.NOT_FOUND);
    // Invalid arguments name the field.
    await rejectsWith(env.client.unary("RunPodSandbox", { config: { metadata: { name: "", namespace: "e2e", uid: "u" } } }), GrpcStatus.INVALID_ARGUMENT, /metadata\.name/);
    await rejectsWith(env.client.unary("RunPodSandbox", { config: podConfig(env, "badrt"), runtime_handler: "nope" }), GrpcStatus.INVALID_ARGUMENT, /runtime_handler/);
    await rejectsWith(
      env.client.unary("RunPodSandbox", { config: podConfig(env, "badgrp", { linux: { security_context: { run_as_group: { value: 5 } } } }) }),
      GrpcStatus.INVALID_ARGUMENT,
      /run_as_group/,
    );
    // A RunPodSandbox that fails late (a DNS option with a space, found after the
    // netns, CNI and the sandbox are set up) rolls everything back and releases the name.
    const sandboxesBefore = await filesUnder(join(env.state, "sandboxes"));
    await rejectsWith(
      env.client.unary("RunPodSandbox", { config: podConfig(env, "errs", { dns_config: { servers: ["10.203.0.1"], options: ["bad option"] } }) }),
      GrpcStatus.INVALID_ARGUMENT,
      /dns_config\.options/,
    );
    assert.deepEqual(await filesUnder(join(env.state, "sandboxes")), sandboxesBefore, "no sandbox dir left");
    assert.deepEqual(await filesUnder(join(env.root, "cni-cache")), [], "no CNI attachment left");
    assert.deepEqual(await mountsUnder(join(env.state, "sandboxes")), [], "no pinned namespace left");
    const pod = podConfig(env, "errs");
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod });
    await rejectsWith(
      env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "noimg", ["/bin/true"], { image: { image: `${env.registry.host}/e2e/absent:1` } }), sandbox_config: pod }),
      GrpcStatus.NOT_FOUND,
      /absent/,
    );
    await rejectsWith(
      env.client.unary("CreateContainer", {
        pod_sandbox_id: podId,
        config: containerConfig(env, "grp", ["/bin/true"], { linux: { security_context: { run_as_group: { value: 5 } } } }),
        sandbox_config: pod,
      }),
      GrpcStatus.INVALID_ARGUMENT,
      /run_as_group/,
    );
    await rejectsWith(
      env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "badmount", ["/bin/true"], { mounts: [{ container_path: "/x", host_path: "/nonexistent/crikit" }] }), sandbox_config: pod }),
      GrpcStatus.INVALID_ARGUMENT,
      /host_path/,
    );
    const done = await env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "done", ["/bin/sh", "-c", "exit 7"]), sandbox_config: pod });
    await env.client.unary("StartContainer", { container_id: done["container_id"] });
    const exited = await eventually(async () => {
      const s = await env.client.unary("ContainerStatus", { container_id: done["container_id"] });
      return s["status"]["state"] === "CONTAINER_EXITED" ? s : undefined;
    }, 10_000, "the container to exit");
    assert.equal(exited["status"]["exit_code"], 7);
    assert.equal(exited["status"]["reason"], "Error");
    await rejectsWith(env.client.unary("StartContainer", { container_id: done["container_id"] }), GrpcStatus.FAILED_PRECONDITION);
    await rejectsWith(env.client.unary("ExecSync", { container_id: done["container_id"], cmd: ["/bin/true"] }), GrpcStatus.FAILED_PRECONDITION);
    await rejectsWith(env.client.unary("ReopenContainerLog", { container_id: done["container_id"] }), GrpcStatus.FAILED_PRECONDITION);
    // Exec of an exited container: it must run (the streaming server serves only running ones).
    await rejectsWith(env.client.unary("Exec", { container_id: done["container_id"], cmd: ["sh"], stdout: true }), GrpcStatus.FAILED_PRECONDITION, /not running/);
    // Unimplemented RPCs say so (the kubelet falls back only on this code).
    await rejectsWith(env.client.unary("CheckpointContainer", { container_id: done["container_id"] }), GrpcStatus.UNIMPLEMENTED);
    // Stopped sandbox: no new containers.
    await env.client.unary("StopPodSandbox", { pod_sandbox_id: podId });
    await rejectsWith(
      env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "late", ["/bin/true"]), sandbox_config: pod }),
      GrpcStatus.FAILED_PRECONDITION,
    );
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
  });

  it("rotates a running container's log with ReopenContainerLog and updates its resources", async () => {
    const pod = podConfig(env, "rot");
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod });
    const c = await env.client.unary("CreateContainer", {
      pod_sandbox_id: podId,
      config: containerConfig(env, "ticker", ["/bin/sh", "-c", "while true; do echo tick; sleep 0.1; done"], { linux: { resources: { memory_limit_in_bytes: 64 * 1024 * 1024 } } }),
      sandbox_config: pod,
    });
    await env.client.unary("StartContainer", { container_id: c["container_id"] });
    const st = await env.client.unary("ContainerStatus", { container_id: c["container_id"] });
    assert.equal(st["status"]["resources"]["linux"]["memory_limit_in_bytes"], String(64 * 1024 * 1024));
    const logPath = st["status"]["log_path"];
    await eventually(async () => (await readFile(logPath, "utf8").catch(() => "")).includes("tick"), 5000, "ticks");
    const { rename } = await import("node:fs/promises");
    await rename(logPath, `${logPath}.1`);
    await env.client.unary("ReopenContainerLog", { container_id: c["container_id"] });
    await eventually(async () => (await readFile(logPath, "utf8").catch(() => "")).includes("tick"), 5000, "ticks in the new file");
    await env.client.unary("UpdateContainerResources", { container_id: c["container_id"], linux: { memory_limit_in_bytes: 128 * 1024 * 1024 } });
    const st2 = await env.client.unary("ContainerStatus", { container_id: c["container_id"] });
    assert.equal(st2["status"]["resources"]["linux"]["memory_limit_in_bytes"], String(128 * 1024 * 1024));
    await env.client.unary("RemoveContainer", { container_id: c["container_id"] });
    await env.client.unary("RemoveContainer", { container_id: c["container_id"] });
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
  });

  it("reports OOMKilled for a container killed by its memory limit", async () => {
    const pod = podConfig(env, "oom");
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod });
    const c = await env.client.unary("CreateContainer", {
      pod_sandbox_id: podId,
      config: containerConfig(env, "hog", ["/bin/sh", "-c", "a=xxxxxxxxxxxxxxxx; while true; do a=$a$a; done"], { linux: { resources: { memory_limit_in_bytes: 32 * 1024 * 1024 } } }),
      sandbox_config: pod,
    });
    await env.client.unary("StartContainer", { container_id: c["container_id"] });
    const st = await eventually(async () => {
      const s = await env.client.unary("ContainerStatus", { container_id: c["container_id"] });
      return s["status"]["state"] === "CONTAINER_EXITED" ? s : undefined;
    }, 20_000, "the container to be OOM-killed");
    assert.equal(st["status"]["reason"], "OOMKilled");
    assert.equal(st["status"]["exit_code"], 137);
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
  });

  it("leaves nothing behind once everything is removed", async () => {
    const pods = await env.client.unary("ListPodSandbox", {});
    assert.equal(pods["items"].length, 0);
    assert.deepEqual(await filesUnder(join(env.root, "records")), [], "no records");
    assert.deepEqual(await filesUnder(join(env.state, "sandboxes")), [], "no sandbox state");
    assert.deepEqual(await filesUnder(join(env.state, "containers")), [], "no bundles");
    assert.deepEqual(await filesUnder(join(env.state, "oci")).then((f) => f.filter((x) => !x.endsWith("/"))), [], "no OCI state");
    assert.deepEqual(await leakedMounts(env), [], "no mounts");
    assert.deepEqual(await pidsMentioning(join(env.state, "oci")), [], "no conmon");
    const recs = await filesUnder(join(env.root, "cni-cache"));
    assert.deepEqual(recs, [], "no cached CNI attachments");
    assert.deepEqual(await netnsPins(env, []), [], "no netns pins");
    await env.client.unary("RemoveImage", { image: { image: env.image } });
    await env.client.unary("RemoveImage", { image: { image: env.image } });
    const list = await env.client.unary("ListImages", {});
    assert.equal(list["images"].length, 0);
  });
});
