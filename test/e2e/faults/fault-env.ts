/**
 * What the component-fault suites share: the leftovers one pod call may
 * leave on the host, read from the daemon's own directories and the test
 * network, and the check that a restarted daemon recovers cleanly.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { filesUnder, leakedMounts, netnsPins, pidsMentioning, type E2eEnv } from "../harness.js";

/** Everything a pod or container may leave behind, by kind (empty arrays: nothing). */
export interface Leftovers {
  netnsPins: string[];
  veths: string[];
  ipam: string[];
  cniCache: string[];
  mounts: string[];
  sandboxRecords: string[];
  containerRecords: string[];
  stateDirs: string[];
  processes: number[];
}

async function names(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** Host-local address records of the test network (not its `last_reserved_ip` and `lock` files). */
export async function ipamRecords(env: E2eEnv): Promise<string[]> {
  return (await names(join("/var/lib/cni/networks", env.net.network))).filter((n) => !n.startsWith("last_reserved_ip") && n !== "lock");
}

/** Interfaces enslaved to the test bridge (pod veths' host ends). */
export async function bridgePorts(env: E2eEnv): Promise<string[]> {
  const r = await execa("ip", ["-o", "link", "show", "master", env.net.bridge], { reject: false });
  return String(r.stdout)
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(":")[1]?.trim().split("@")[0] ?? l);
}

/** What is left of pods and containers; `keep` lists the IDs of objects that should exist. */
export async function leftovers(env: E2eEnv, keep: readonly string[] = []): Promise<Leftovers> {
  const k = (xs: string[]): string[] => xs.filter((x) => !keep.some((id) => x.includes(id) || x.includes(id.slice(0, 32))));
  const stateDirs = [...(await names(join(env.state, "sandboxes"))), ...(await names(join(env.state, "containers")))];
  return {
    netnsPins: k(await netnsPins(env, [])),
    veths: keep.length > 0 ? [] : await bridgePorts(env),
    ipam: keep.length > 0 ? [] : await ipamRecords(env),
    cniCache: k(await filesUnder(join(env.root, "cni-cache"))),
    mounts: k(await leakedMounts(env)).filter((m) => !m.endsWith("/root") && !m.endsWith("/state")),
    sandboxRecords: k(await names(join(env.root, "records", "sandboxes"))),
    containerRecords: k(await names(join(env.root, "records", "containers"))),
    stateDirs: k(stateDirs),
    processes: keep.length > 0 ? [] : (await pidsMentioning(join(env.state, "containers"))).concat(await pidsMentioning(join(env.state, "sandboxes"))),
  };
}

/** Asserts that nothing is left (`keep`: IDs of objects that should exist). */
export async function assertNoLeftovers(env: E2eEnv, what: string, keep: readonly string[] = []): Promise<void> {
  const l = await leftovers(env, keep);
  const bad = Object.entries(l).filter(([, v]) => (v as unknown[]).length > 0);
  assert.deepEqual(bad, [], `${what}: left behind ${JSON.stringify(Object.fromEntries(bad))}`);
}

/** Runs one pod with one started container and removes it all again: the daemon still serves. */
export async function podRoundTrip(env: E2eEnv, name: string, extra: { runtime_handler?: string } = {}): Promise<void> {
  const { podConfig, containerConfig } = await import("../harness.js");
  const pod = podConfig(env, name);
  const { pod_sandbox_id: id } = await env.client.unary("RunPodSandbox", { config: pod, ...extra });
  const c = await env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "c", ["/bin/sleep", "30"]), sandbox_config: pod });
  await env.client.unary("StartContainer", { container_id: c["container_id"] });
  const st = await env.client.unary("ContainerStatus", { container_id: c["container_id"] });
  assert.equal(st["status"]?.["state"], "CONTAINER_RUNNING");
  await env.client.unary("StopPodSandbox", { pod_sandbox_id: id });
  await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
}

/**
 * kill -9 and start the daemon again: recovery must not find an unreadable
 * record nor log an error (but those matching `allow`), and the daemon lists
 * exactly `pods` afterwards.
 */
export async function restartRecoversCleanly(env: E2eEnv, pods: readonly string[] = [], allow?: RegExp): Promise<void> {
  await env.kill9();
  await env.start();
  const log = await readFile(env.daemon.logFile, "utf8");
  for (const line of log.split("\n").filter(Boolean)) {
    const rec = JSON.parse(line) as { level: number; msg: string };
    if (allow?.test(line)) continue;
    assert.ok(rec.level < 50, `no error at recovery: ${line}`);
    assert.doesNotMatch(rec.msg, /corrupt|unreadable|cannot parse|invalid record/i, `recovery: ${line}`);
  }
  const { items } = await env.client.unary("ListPodSandbox", {});
  assert.deepEqual(
    (items as { id: string }[]).map((p) => p.id).sort(),
    [...pods].sort(),
  );
}
