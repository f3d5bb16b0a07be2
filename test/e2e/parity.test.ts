/**
 * Parity with containerd, end to end (issue 19): a kubelet-shaped scenario
 * driven over the socket with grpc-js, whose answers and what the containers
 * see inside are asserted field by field against the values the kubelet
 * expects (the values containerd 1.6/2.x gives for the same requests).
 *
 * The pod: DNS config, a host port on 127.0.0.1, a cgroup parent of its own
 * (cgroupfs, as the kubelet's `/kubepods/besteffort/pod<uid>`), sysctls,
 * infra-less (no shared PID namespace). Its containers are created by image
 * ID, as the kubelet creates them, with a host-path mount, resources and a
 * security context (uid/gid 33, a supplemental group, RuntimeDefault
 * seccomp, no_new_privs, the kubelet's masked and read-only paths). Then
 * update, exec, stats, stop, remove; a second pod in the host IPC namespace;
 * a restart with `default_ulimits` configured.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { execa } from "execa";
import { join } from "node:path";
import type { Msg } from "../helpers/cri-client.js";
import { leftoverCgroups, removeTestCgroup } from "../helpers/bundle.js";
import { containerConfig, eventually, leakedMounts, mountsUnder, netnsPins, podConfig, setupE2e, type E2eEnv } from "./harness.js";

const tag = randomBytes(3).toString("hex");
/** What the kubelet gives a BestEffort pod with the cgroupfs driver. */
const cgroupParent = `/kubepods-crikit-parity-${tag}/besteffort/pod${tag}`;
const hostPort = 20000 + (randomBytes(2).readUInt16BE() % 10000);
const MiB = 1024 * 1024;

/** The pod's DNS as the kubelet writes it for a ClusterFirst pod. */
const dns = { servers: ["10.96.0.10"], searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"], options: ["ndots:5"] };
const kubeletMaskedPaths = ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"];
const kubeletReadonlyPaths = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** A container that exits 0 on SIGTERM, as a well-behaved server does: a shell and its sleep, two processes. */
const sleeper = (first = ""): string[] => ["/bin/sh", "-c", `trap "exit 0" TERM; ${first} sleep 600 & wait`];

/** The hard RLIMIT_NOFILE of a process, from /proc/PID/limits. */
async function hardNofile(pid: number): Promise<number> {
  const row = (await readFile(`/proc/${pid}/limits`, "utf8")).split("\n").find((l) => l.startsWith("Max open files")) ?? "";
  const v = row.slice("Max open files".length).trim().split(/\s+/)[1] ?? "";
  return v === "unlimited" ? Number.POSITIVE_INFINITY : Number(v);
}

async function isMountPoint(path: string): Promise<boolean> {
  return (await mountsUnder(path)).includes(path);
}

describe("parity with containerd: what the kubelet and workloads see", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  let imageId = "";
  let repoDigest = "";
  let podId = "";
  let appId = "";
  let sidecarId = "";
  let dataDir = "";
  const pods: string[] = [];

  const exec = async (id: string, script: string): Promise<{ out: string; err: string; code: number }> => {
    const r = await env.client.unary("ExecSync", { container_id: id, cmd: ["/bin/sh", "-c", script], timeout: 10 });
    return { out: Buffer.from(r["stdout"]).toString(), err: Buffer.from(r["stderr"]).toString(), code: r["exit_code"] };
  };

  const pod = (): Msg =>
    podConfig(env, "parity", {
      metadata: { name: "parity", namespace: "default", uid: `uid-${tag}`, attempt: 0 },
      hostname: "parity",
      dns_config: dns,
      port_mappings: [{ protocol: "TCP", container_port: 8080, host_port: hostPort, host_ip: "127.0.0.1" }],
      labels: { "io.kubernetes.pod.name": "parity", "io.kubernetes.pod.namespace": "default", "io.kubernetes.pod.uid": `uid-${tag}` },
      annotations: { "kubernetes.io/config.source": "api", "kubernetes.io/config.seen": "2026-12-04T00:00:00Z" },
      linux: {
        cgroup_parent: cgroupParent,
        sysctls: { "net.ipv4.ip_unprivileged_port_start": "80", "kernel.shm_rmid_forced": "1" },
        security_context: { namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" }, seccomp: { profile_type: "RuntimeDefault" } },
      },
    });

  const container = (name: string, command: string[], extra: Msg = {}): Msg =>
    containerConfig(env, name, command, {
      image: { image: imageId, user_specified_image: env.image },
      labels: { "io.kubernetes.container.name": name, "io.kubernetes.pod.name": "parity", "io.kubernetes.pod.namespace": "default" },
      annotations: { "io.kubernetes.container.restartCount": "0", "io.kubernetes.container.terminationMessagePath": "/dev/termination-log" },
      linux: {
        resources: { cpu_period: 100000, cpu_quota: 50000, cpu_shares: 256, memory_limit_in_bytes: 128 * MiB, oom_score_adj: 1000 },
        security_context: {
          run_as_user: { value: 33 },
          run_as_group: { value: 33 },
          supplemental_groups: [1234],
          no_new_privs: true,
          seccomp: { profile_type: "RuntimeDefault" },
          namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" },
          masked_paths: kubeletMaskedPaths,
          readonly_paths: kubeletReadonlyPaths,
        },
      },
      ...extra,
    });

  before(async () => {
    env = await setupE2e({ logLevel: "info" });
    imageId = (await env.client.unary("PullImage", { image: { image: env.image } }))["image_ref"];
    const st = await env.client.unary("ImageStatus", { image: { image: imageId } });
    repoDigest = st["image"]["repo_digests"][0];
    dataDir = join(env.dir, "volume");
    await mkdir(dataDir, { recursive: true });
    await chmod(dataDir, 0o777);
    await writeFile(join(dataDir, "from-host"), "host data\n");
  });

  after(async () => {
    if (env) {
      for (const p of pods) await env.client.unary("RemovePodSandbox", { pod_sandbox_id: p }).catch(() => undefined);
      await env.cleanup();
    }
    await removeTestCgroup(`${cgroupParent}/x`);
    assert.deepEqual(leftoverCgroups(cgroupParent.split("/").slice(0, 2).join("/")), [], "the pod cgroup parent is removed");
  });

  it("the image is named as the kubelet shows it", () => {
    assert.match(imageId, /^sha256:[0-9a-f]{64}$/, "PullImage.image_ref is the image ID (CRI 1.36)");
    assert.equal(repoDigest, `${env.image.replace(/:1$/, "")}@${repoDigest.split("@")[1]}`);
    assert.match(repoDigest, /@sha256:[0-9a-f]{64}$/);
  });

  it("runs the pod: PodSandboxStatus field by field", async () => {
    const cfg = pod();
    podId = (await env.client.unary("RunPodSandbox", { config: cfg }))["pod_sandbox_id"];
    pods.push(podId);
    const r = await env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId, verbose: true });
    const s = r["status"];
    assert.equal(s["id"], podId);
    assert.deepEqual(s["metadata"], cfg["metadata"]);
    assert.equal(s["state"], "SANDBOX_READY");
    assert.match(s["network"]["ip"], /^10\.203\.\d+\.\d+$/);
    assert.deepEqual(s["network"]["additional_ips"], []);
    assert.deepEqual(s["linux"]["namespaces"]["options"], { network: "POD", pid: "CONTAINER", ipc: "POD", target_id: "", userns_options: null });
    assert.deepEqual(s["labels"], cfg["labels"]);
    assert.deepEqual(s["annotations"], cfg["annotations"]);
    assert.equal(s["runtime_handler"], "");
    const created = BigInt(s["created_at"]);
    assert.ok(created > BigInt(Date.now() - 60_000) * 1_000_000n && created <= BigInt(Date.now()) * 1_000_000n, "created_at is in nanoseconds since the epoch");
    // The pod's shm: a 64 MiB tmpfs in the sandbox's state dir.
    const shm = join(env.state, "sandboxes", podId, "shm");
    assert.ok(await isMountPoint(shm), "the pod's shm is mounted in its state dir");
    const line = (await readFile("/proc/self/mountinfo", "utf8")).split("\n").find((l) => l.split(" ")[4] === shm) ?? "";
    assert.match(line, / - tmpfs shm .*size=65536k/, "a 64 MiB tmpfs");
    // The verbose info: containerd's keys.
    const info = JSON.parse(r["info"]["info"]);
    assert.equal(info.pid, 0, "infra-less: no process");
    assert.equal(info.runtimeHandler, "runc");
    assert.equal(info.runtimeType, "io.containerd.runc.v2");
    assert.equal(info.netNamespacePath, join(env.netnsDir, `crikit-${podId.slice(0, 32)}`));
    assert.equal(info.processStatus, "running");
    assert.equal(info.netNamespaceClosed, false);
    assert.equal(info.runtimeOptions, null);
    assert.deepEqual(info.config.dns_config, dns, "config in the CRI's own field names, as containerd prints it");
    assert.deepEqual(info.config.metadata, { name: "parity", uid: `uid-${tag}`, namespace: "default" });
    // An infra-less pod runs no process: its spec is what its containers join.
    assert.equal(info.runtimeSpec.process, undefined);
    assert.equal(info.runtimeSpec.hostname, "parity");
    assert.deepEqual(info.runtimeSpec.linux.namespaces.map((n: Msg) => n["type"]), ["network", "ipc", "uts"]);
    assert.equal(info.runtimeSpec.linux.namespaces[0].path, info.netNamespacePath);
    assert.deepEqual(info.runtimeSpec.linux.sysctl, pod()["linux"]["sysctls"]);
    assert.equal(info.sandboxMode, "pinned");
    assert.equal(info.shmPath, shm);
  });

  it("creates and starts two containers by image ID: ContainerStatus field by field", async () => {
    const cfg = container("app", sleeper("echo from-app > /dev/shm/parity;"), {
      mounts: [{ container_path: "/data", host_path: dataDir, readonly: false }],
    });
    appId = (await env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: cfg, sandbox_config: pod() }))["container_id"];
    await env.client.unary("StartContainer", { container_id: appId });
    sidecarId = (await env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: container("sidecar", sleeper("httpd -p 8080 -h /www;")), sandbox_config: pod() }))["container_id"];
    await env.client.unary("StartContainer", { container_id: sidecarId });

    const r = await env.client.unary("ContainerStatus", { container_id: appId, verbose: true });
    const s = r["status"];
    assert.equal(s["id"], appId);
    assert.deepEqual(s["metadata"], { name: "app", attempt: 0 });
    assert.equal(s["state"], "CONTAINER_RUNNING");
    assert.equal(s["image"]["image"], env.image, "image.image: the image's name (containerStatuses[].image), not its ID");
    assert.equal(s["image"]["user_specified_image"], env.image);
    assert.equal(s["image_ref"], repoDigest, "image_ref: the pullable repo digest (containerStatuses[].imageID)");
    assert.equal(s["image_id"], imageId);
    assert.equal(s["exit_code"], 0);
    assert.equal(s["reason"], "");
    assert.equal(s["finished_at"], "0");
    const createdAt = BigInt(s["created_at"]);
    const startedAt = BigInt(s["started_at"]);
    assert.ok(startedAt > createdAt, "started after created");
    assert.notEqual(createdAt % 1_000_000n, 0n, "created_at has sub-millisecond digits (a ms clock ends in 000000)");
    assert.deepEqual(s["labels"], cfg["labels"]);
    assert.deepEqual(s["annotations"], cfg["annotations"]);
    assert.deepEqual(s["mounts"].map((m: Msg) => [m["container_path"], m["host_path"], m["readonly"]]), [["/data", dataDir, false]]);
    assert.equal(s["log_path"], join(pod()["log_directory"] as string, "app/0.log"));
    assert.equal(s["stop_signal"], "SIGTERM");
    const res = s["resources"]["linux"];
    assert.equal(res["cpu_period"], "100000");
    assert.equal(res["cpu_quota"], "50000");
    assert.equal(res["cpu_shares"], "256");
    assert.equal(res["memory_limit_in_bytes"], String(128 * MiB));
    assert.equal(res["oom_score_adj"], "1000");
    assert.equal(s["user"]["linux"]["uid"], "33");
    assert.equal(s["user"]["linux"]["gid"], "33");
    assert.deepEqual(s["user"]["linux"]["supplemental_groups"], ["33", "1234"]);

    const sidecar = (await env.client.unary("ContainerStatus", { container_id: sidecarId }))["status"];
    assert.ok(BigInt(sidecar["created_at"]) > createdAt, "the later container sorts after the earlier one");

    const info = JSON.parse(r["info"]["info"]);
    assert.equal(info.sandboxID, podId);
    assert.ok(info.pid > 0);
    assert.equal(info.runtimeType, "io.containerd.runc.v2");
    assert.equal(info.runtimeOptions, null);
    assert.equal(info.snapshotKey, appId);
    assert.equal(info.snapshotter, "overlayfs");
    assert.deepEqual(info.config.metadata, { name: "app" });
    assert.equal(info.runtimeSpec.process.user.uid, 33);
    assert.equal(info.runtimeSpec.linux.cgroupsPath, `${cgroupParent}/${appId}`);
    assert.equal(info.config.log_path, "app/0.log");
    assert.equal(info.removing, false);
  });

  it("shows the containers what containerd shows them: shm, ulimits, cgroup, resolv.conf, uid, sysctls, mounts", async () => {
    // /dev/shm: one tmpfs for the pod; what one container writes the other reads.
    assert.equal((await exec(sidecarId, "cat /dev/shm/parity")).out, "from-app\n");
    await exec(sidecarId, "echo from-sidecar > /dev/shm/back");
    assert.equal((await exec(appId, "cat /dev/shm/back")).out, "from-sidecar\n");
    assert.match((await exec(appId, "grep ' /dev/shm ' /proc/mounts")).out, /^shm \/dev\/shm tmpfs rw,nosuid,nodev,noexec,.*size=65536k/);
    // RLIMIT_NOFILE: the default_ulimits default 1048576:1048576, lowered to
    // the daemon's own hard limit where it lacks CAP_SYS_RESOURCE (as here).
    const want = Math.min(1048576, await hardNofile(env.daemon.pid));
    assert.equal((await exec(appId, "ulimit -Hn")).out, `${want}\n`);
    assert.equal((await exec(appId, "ulimit -n")).out, `${want}\n`);
    assert.match((await exec(appId, "cat /proc/1/limits")).out, new RegExp(`^Max open files +${want} +${want} +files`, "m"), "the container's own process, not only exec");
    // cgroup: the pod's parent and the container's ID, in every controller.
    const cg = (await exec(appId, "cat /proc/self/cgroup")).out;
    assert.match(cg, new RegExp(`:memory:${cgroupParent}/${appId}$`, "m"));
    assert.match(cg, new RegExp(`:pids:${cgroupParent}/${appId}$`, "m"));
    // DNS: the kubelet's ClusterFirst resolv.conf, as is.
    assert.equal((await exec(appId, "cat /etc/resolv.conf")).out, "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n");
    assert.equal((await exec(appId, "cat /etc/hostname")).out, "parity\n");
    assert.equal((await exec(appId, "hostname")).out, "parity\n");
    // User and groups.
    assert.equal((await exec(appId, "id -u; id -g; id -G")).out, "33\n33\n33 1234\n");
    // Pod sysctls.
    assert.equal((await exec(appId, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shm_rmid_forced")).out, "80\n1\n");
    // The host-path mount, writable; the kubelet's masked and read-only paths.
    assert.equal((await exec(appId, "cat /data/from-host; echo written > /data/from-app")).out, "host data\n");
    assert.equal(await readFile(join(dataDir, "from-app"), "utf8"), "written\n");
    assert.equal((await exec(appId, "grep -c ' /proc/timer_list ' /proc/self/mountinfo; cat /proc/timer_list | wc -c")).out, "1\n0\n", "masked: /proc/timer_list reads as /dev/null");
    assert.notEqual((await exec(appId, "echo 1 > /proc/sys/kernel/shm_rmid_forced")).code, 0, "/proc/sys is read-only");
    assert.equal((await exec(appId, "grep NoNewPrivs /proc/self/status")).out, "NoNewPrivs:\t1\n");
    assert.equal((await exec(appId, "grep Seccomp: /proc/self/status")).out, "Seccomp:\t2\n");
  });

  it("forwards the host port to the pod", async () => {
    const body = await eventually(
      () =>
        new Promise<string | undefined>((resolve) => {
          const req = request({ host: "127.0.0.1", port: hostPort, path: "/index.html", timeout: 1000 }, (res) => {
            let text = "";
            res.on("data", (c: Buffer) => (text += c.toString()));
            res.on("end", () => resolve(text));
          });
          req.on("error", () => resolve(undefined));
          req.on("timeout", () => req.destroy());
          req.end();
        }),
      10_000,
      "the page through the host port",
    );
    assert.equal(body, "hello from crikit e2e\n");
  });

  it("updates resources: the status and the cgroup agree; memory plus swap is the memory limit", async () => {
    await env.client.unary("UpdateContainerResources", { container_id: appId, linux: { cpu_period: 100000, cpu_quota: 20000, cpu_shares: 256, memory_limit_in_bytes: 256 * MiB } });
    const res = (await env.client.unary("ContainerStatus", { container_id: appId }))["status"]["resources"]["linux"];
    assert.equal(res["cpu_quota"], "20000");
    assert.equal(res["memory_limit_in_bytes"], String(256 * MiB));
    const memDir = join("/sys/fs/cgroup/memory", cgroupParent, appId);
    assert.equal((await readFile(join(memDir, "memory.limit_in_bytes"), "utf8")).trim(), String(256 * MiB));
    assert.equal((await readFile(join("/sys/fs/cgroup/cpu", cgroupParent, appId, "cpu.cfs_quota_us"), "utf8")).trim(), "20000");
    // No swap asked for: swap limited to nothing beyond memory, as containerd does.
    const memsw = await readFile(join(memDir, "memory.memsw.limit_in_bytes"), "utf8").catch(() => undefined);
    if (memsw !== undefined) {
      assert.equal(memsw.trim(), String(256 * MiB));
      assert.equal(res["memory_swap_limit_in_bytes"], String(256 * MiB));
    }
  });

  it("reports stats for the containers and the pod", async () => {
    const cs = (await env.client.unary("ContainerStats", { container_id: appId }))["stats"];
    assert.equal(cs["attributes"]["id"], appId);
    assert.deepEqual(cs["attributes"]["metadata"], { name: "app", attempt: 0 });
    assert.ok(Number(cs["memory"]["working_set_bytes"]["value"]) > 0);
    assert.ok(Number(cs["cpu"]["usage_core_nano_seconds"]["value"]) > 0);
    const ps = (await env.client.unary("PodSandboxStats", { pod_sandbox_id: podId }))["stats"];
    assert.equal(ps["attributes"]["id"], podId);
    assert.deepEqual(ps["linux"]["containers"].map((c: Msg) => c["attributes"]["id"]).sort(), [appId, sidecarId].sort());
    // The pod cgroup's pids.current, as containerd counts: each container's
    // shell and sleep, and the sidecar's httpd; containerd would count its
    // pause process too (6), an infra-less pod has none.
    assert.equal(ps["linux"]["process"]["process_count"]["value"], "5");
    assert.ok(ps["linux"]["network"]["default_interface"]["name"] === "eth0");
  });

  it("stops a container: exit 0, Completed; its cgroup is gone at once", async () => {
    await env.client.unary("StopContainer", { container_id: appId, timeout: 10 });
    const s = (await env.client.unary("ContainerStatus", { container_id: appId }))["status"];
    assert.equal(s["state"], "CONTAINER_EXITED");
    assert.equal(s["exit_code"], 0);
    assert.equal(s["reason"], "Completed");
    assert.ok(BigInt(s["finished_at"]) >= BigInt(s["started_at"]));
    assert.notEqual(BigInt(s["finished_at"]) % 1_000_000n, 0n, "finished_at in nanoseconds, from the exit file's time");
    await eventually(async () => leftoverCgroups(`${cgroupParent}/${appId}`).length === 0, 5_000, "the exited container's cgroups to be removed");
  });

  it("stops the pod: no IP once the network is down, no shm; removes it without a trace", async () => {
    await env.client.unary("StopPodSandbox", { pod_sandbox_id: podId });
    const s = (await env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId }))["status"];
    assert.equal(s["state"], "SANDBOX_NOTREADY");
    assert.equal(s["network"]["ip"], "", "the address went back to the pool");
    assert.equal(await isMountPoint(join(env.state, "sandboxes", podId, "shm")), false, "the pod's shm is released at stop");
    const side = (await env.client.unary("ContainerStatus", { container_id: sidecarId }))["status"];
    assert.equal(side["state"], "CONTAINER_EXITED");
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
    assert.deepEqual((await env.client.unary("ListContainers", { filter: { pod_sandbox_id: podId } }))["containers"], []);
    assert.deepEqual(await leakedMounts(env), []);
    assert.deepEqual(await netnsPins(env, [podId]), []);
    await assert.rejects(stat(join(env.state, "sandboxes", podId)), /ENOENT/);
  });

  it("gives a pod in the host IPC namespace the host's /dev/shm", async () => {
    const name = `crikit-parity-${tag}`;
    await writeFile(join("/dev/shm", name), "host shm\n");
    try {
      const cfg = podConfig(env, "hostipc", { linux: { security_context: { namespace_options: { network: "POD", pid: "CONTAINER", ipc: "NODE" } } } });
      const id = (await env.client.unary("RunPodSandbox", { config: cfg }))["pod_sandbox_id"];
      pods.push(id);
      assert.equal(await isMountPoint(join(env.state, "sandboxes", id, "shm")), false, "no pod shm of its own");
      const c = (await env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "c", sleeper()), sandbox_config: cfg }))["container_id"];
      await env.client.unary("StartContainer", { container_id: c });
      assert.equal((await exec(c, `cat /dev/shm/${name}`)).out, "host shm\n");
      await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
    } finally {
      await rm(join("/dev/shm", name), { force: true });
    }
  });

  it("applies a configured default_ulimits after a restart; keeps timestamps exactly and the shm of ready pods only", async () => {
    const cfg = podConfig(env, "ulimits");
    const id = (await env.client.unary("RunPodSandbox", { config: cfg }))["pod_sandbox_id"];
    pods.push(id);
    const before = (await env.client.unary("PodSandboxStatus", { pod_sandbox_id: id }))["status"]["created_at"];
    // A second pod loses its network namespace while the daemon is down.
    const lostCfg = podConfig(env, "lost");
    const lost = (await env.client.unary("RunPodSandbox", { config: lostCfg }))["pod_sandbox_id"];
    pods.push(lost);
    await env.stop();
    const pin = join(env.netnsDir, `crikit-${lost.slice(0, 32)}`);
    await execa("umount", [pin]);
    await rm(pin);
    const toml = await readFile(env.configPath, "utf8");
    await writeFile(env.configPath, `default_ulimits = ["nofile=4096:8192"]\n${toml}`);
    await env.start();
    assert.equal((await env.client.unary("PodSandboxStatus", { pod_sandbox_id: id }))["status"]["created_at"], before, "created_at restored to the nanosecond");
    assert.ok(await isMountPoint(join(env.state, "sandboxes", id, "shm")), "a ready pod keeps its shm across a restart");
    assert.equal((await env.client.unary("PodSandboxStatus", { pod_sandbox_id: lost }))["status"]["state"], "SANDBOX_NOTREADY");
    assert.equal(await isMountPoint(join(env.state, "sandboxes", lost, "shm")), false, "a pod found not ready at start-up has its shm released");
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: lost });
    const c = (await env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "c", sleeper()), sandbox_config: cfg }))["container_id"];
    await env.client.unary("StartContainer", { container_id: c });
    const created = (await env.client.unary("ContainerStatus", { container_id: c }))["status"]["created_at"];
    assert.ok(BigInt(created) > BigInt(before));
    assert.equal((await exec(c, "ulimit -n; ulimit -Hn")).out, "4096\n8192\n");
    assert.match((await exec(c, "cat /proc/1/limits")).out, /^Max open files +4096 +8192 +files/m);
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
    assert.deepEqual(await leakedMounts(env), []);
  });
});
