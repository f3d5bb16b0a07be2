/**
 * crikitd survives `kill -9`: with 10 pods and 20 running containers, the
 * daemon is killed by pid and started again. Every sandbox and container is
 * listed with its right state, running containers still run and log, a
 * container that exited while the daemon was down reports its exit code,
 * and after removing everything nothing is leaked (processes, mounts, netns
 * pins, state files). A SIGTERM shutdown leaves containers running too.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Msg } from "../helpers/cri-client.js";
import { containerConfig, eventually, filesUnder, leakedMounts, netnsPins, pidsMentioning, podConfig, setupE2e, type E2eEnv } from "./harness.js";

describe("crikitd restart", { timeout: 600_000 }, () => {
  let env: E2eEnv;
  const pods: string[] = [];
  const tickers: string[] = [];
  let waiter = "";
  let created = "";
  let stoppedPod = "";
  let hostDir = "";

  before(async () => {
    env = await setupE2e();
    hostDir = join(env.dir, "shared");
    await mkdir(hostDir, { recursive: true });
    await env.client.unary("PullImage", { image: { image: env.image } });
  });
  after(async () => {
    await env?.cleanup();
  });

  it("restores 10 pods and 20 running containers after kill -9", async () => {
    for (let i = 0; i < 10; i++) {
      // The last pod shares its PID namespace: an infra (catatonit) process holds it.
      const pod = i === 9 ? podConfig(env, `r${i}`, { linux: { security_context: { namespace_options: { network: "POD", pid: "POD", ipc: "POD" } } } }) : podConfig(env, `r${i}`);
      const { pod_sandbox_id: id } = await env.client.unary("RunPodSandbox", { config: pod });
      pods.push(id);
      for (let j = 0; j < 2; j++) {
        const isWaiter = i === 0 && j === 1;
        const cmd = isWaiter
          ? ["/bin/sh", "-c", "echo waiting; while [ ! -f /shared/go ]; do sleep 0.1; done; exit 42"]
          : ["/bin/sh", "-c", `while true; do echo tick-${i}-${j}; sleep 0.2; done`];
        const c = await env.client.unary("CreateContainer", {
          pod_sandbox_id: id,
          config: containerConfig(env, `c${j}`, cmd, isWaiter ? { mounts: [{ container_path: "/shared", host_path: hostDir }] } : {}),
          sandbox_config: pod,
        });
        await env.client.unary("StartContainer", { container_id: c["container_id"] });
        if (isWaiter) waiter = c["container_id"];
        else tickers.push(c["container_id"]);
      }
    }
    // Extra states: a created, never started container and a stopped pod.
    const pod0 = podConfig(env, "r0");
    created = (await env.client.unary("CreateContainer", { pod_sandbox_id: pods[0], config: containerConfig(env, "idle", ["/bin/true"]), sandbox_config: pod0 }))["container_id"];
    const sp = podConfig(env, "stopped");
    stoppedPod = (await env.client.unary("RunPodSandbox", { config: sp }))["pod_sandbox_id"];
    await env.client.unary("StopPodSandbox", { pod_sandbox_id: stoppedPod });

    const before = await env.client.unary("ListContainers", {});
    assert.equal((before["containers"] as Msg[]).filter((c) => c["state"] === "CONTAINER_RUNNING").length, 20);

    await env.kill9();
    // While the daemon is down: the waiter exits with 42.
    await writeFile(join(hostDir, "go"), "");
    const waiterExit = join(env.state, "oci", "runc", "exits", waiter);
    await eventually(async () => stat(waiterExit).then(() => true, () => false), 10_000, "the waiter's exit file");
    // And one container vanishes: its conmon and its process die without an exit file.
    const vanished = tickers.pop() as string;
    const cdir = join(env.state, "oci", "runc", "containers", vanished);
    process.kill(Number((await readFile(join(cdir, "conmon.pid"), "utf8")).trim()), "SIGKILL");
    process.kill(Number((await readFile(join(cdir, "pid"), "utf8")).trim()), "SIGKILL");
    await env.start();

    const v = await env.client.unary("ContainerStatus", { container_id: vanished });
    assert.equal(v["status"]["state"], "CONTAINER_EXITED");
    assert.equal(v["status"]["reason"], "Unknown", "a container that vanished while the daemon was down is exited with reason Unknown");

    const after = await env.client.unary("ListContainers", {});
    const byId = new Map((after["containers"] as Msg[]).map((c) => [c["id"] as string, c]));
    assert.equal(byId.size, 21, "20 started containers and one created");
    for (const id of tickers) assert.equal(byId.get(id)?.["state"], "CONTAINER_RUNNING", `ticker ${id} still runs`);
    assert.equal(byId.get(vanished)?.["state"], "CONTAINER_EXITED");
    assert.equal(byId.get(created)?.["state"], "CONTAINER_CREATED");
    const w = await env.client.unary("ContainerStatus", { container_id: waiter });
    assert.equal(w["status"]["state"], "CONTAINER_EXITED");
    assert.equal(w["status"]["exit_code"], 42, "the exit code of a container that exited while the daemon was down");
    assert.equal(w["status"]["reason"], "Error");
    const sandboxes = await env.client.unary("ListPodSandbox", {});
    const states = new Map((sandboxes["items"] as Msg[]).map((p) => [p["id"] as string, p["state"]]));
    assert.equal(states.size, 11);
    for (const id of pods) assert.equal(states.get(id), "SANDBOX_READY");
    const infraInfo = JSON.parse((await env.client.unary("PodSandboxStatus", { pod_sandbox_id: pods[9], verbose: true }))["info"]["info"]);
    assert.equal(infraInfo.sandboxMode, "infra");
    const ps = await env.client.unary("ExecSync", { container_id: tickers.at(-1), cmd: ["/bin/cat", "/proc/1/cmdline"], timeout: 10 });
    assert.match(Buffer.from(ps["stdout"]).toString(), /catatonit/, "the infra process still holds the pod's PID namespace");
    assert.equal(states.get(stoppedPod), "SANDBOX_NOTREADY");

    // Running containers still log, and the names are reserved again.
    const st = await env.client.unary("ContainerStatus", { container_id: tickers[5] });
    const logPath = st["status"]["log_path"];
    const size0 = (await readFile(logPath, "utf8")).length;
    await eventually(async () => (await readFile(logPath, "utf8")).length > size0, 5000, "the log to grow");
    await assert.rejects(env.client.unary("RunPodSandbox", { config: podConfig(env, "r3") }), /reserved/);
    const ex = await env.client.unary("ExecSync", { container_id: tickers[0], cmd: ["/bin/echo", "still here"], timeout: 10 });
    assert.equal(Buffer.from(ex["stdout"]).toString(), "still here\n");
  });

  it("notices exits after the restart through the exit monitor", async () => {
    await env.client.unary("StopContainer", { container_id: tickers[1], timeout: 0 });
    const s = await env.client.unary("ContainerStatus", { container_id: tickers[1] });
    assert.equal(s["status"]["state"], "CONTAINER_EXITED");
    // An exit the daemon did not cause: kill the process from outside.
    const victim = tickers[2] as string;
    const pidFile = join(env.state, "oci", "runc", "containers", victim, "pid");
    process.kill(Number((await readFile(pidFile, "utf8")).trim()), "SIGKILL");
    const gone = await eventually(async () => {
      const r = await env.client.unary("ContainerStatus", { container_id: victim });
      return r["status"]["state"] === "CONTAINER_EXITED" ? r : undefined;
    }, 10_000, "the killed container to be reported exited");
    assert.equal(gone["status"]["exit_code"], 137);
  });

  it("keeps containers running across a SIGTERM shutdown", async () => {
    const code = await env.stop();
    assert.equal(code, 0, "crikitd exits 0 on SIGTERM");
    const pid = Number((await readFile(join(env.state, "oci", "runc", "containers", tickers[3] as string, "pid"), "utf8")).trim());
    process.kill(pid, 0); // throws if the container died with the daemon
    await env.start();
    const s = await env.client.unary("ContainerStatus", { container_id: tickers[3] });
    assert.equal(s["status"]["state"], "CONTAINER_RUNNING");
  });

  it("removes everything without leaking processes, mounts, netns pins or state files", async () => {
    const all = await env.client.unary("ListPodSandbox", {});
    const ids = (all["items"] as Msg[]).map((p) => p["id"] as string);
    for (const id of ids) {
      await env.client.unary("StopPodSandbox", { pod_sandbox_id: id });
      await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
    }
    assert.equal((await env.client.unary("ListContainers", {}))["containers"].length, 0);
    assert.equal((await env.client.unary("ListPodSandbox", {}))["items"].length, 0);
    assert.deepEqual(await pidsMentioning(join(env.state, "oci")), [], "no conmon or container process");
    assert.deepEqual(await leakedMounts(env), [], "no mounts");
    assert.deepEqual(await netnsPins(env, ids), [], "no netns pins");
    assert.deepEqual(await filesUnder(join(env.root, "records")), [], "no records");
    assert.deepEqual(await filesUnder(join(env.state, "sandboxes")), []);
    assert.deepEqual(await filesUnder(join(env.state, "containers")), []);
    assert.deepEqual(await filesUnder(join(env.state, "oci")), []);
    assert.deepEqual(await filesUnder(join(env.root, "containers")), []);
    assert.deepEqual(await filesUnder(join(env.root, "cni-cache")), []);
  });
});
