/**
 * Load: 50 concurrent clients, each on its own gRPC channel, run pod and
 * container lifecycles (RunPodSandbox, CreateContainer, StartContainer,
 * StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox) for
 * CRIKIT_LOAD_SECONDS (default 20), while two kubelet-like pollers call
 * ListPodSandbox, ListContainers, PodSandboxStatus, ContainerStatus and
 * ListContainerStats in a loop. Checked: no unexpected error (only NotFound
 * for a status of an object another client just removed), every client
 * finishes (no deadlock: each call has a deadline), and at the end nothing
 * is leaked: the daemon's descriptors and memory are back near where they
 * started, no container process, mount, netns pin, veth, address, record or
 * state dir is left. Polling latency p50/p99 per RPC is printed (no timing
 * assertion: speed belongs in `npm run bench`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { createCriClient, GrpcStatus, isServiceError, type CriClient } from "../helpers/cri-client.js";
import { containerConfig, podConfig, setupE2e, type E2eEnv } from "./harness.js";
import { assertNoLeftovers } from "./faults/fault-env.js";

const SECONDS = Number(process.env["CRIKIT_LOAD_SECONDS"] ?? "20");
const CLIENTS = Number(process.env["CRIKIT_LOAD_CLIENTS"] ?? "50");
const CALL_DEADLINE_MS = 120_000;

async function daemonFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}
async function daemonRssKiB(pid: number): Promise<number> {
  const m = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0);
}
function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

describe(`load: ${CLIENTS} clients for ${SECONDS} s with kubelet-like polling`, { timeout: (SECONDS + 600) * 1000 }, () => {
  let env: E2eEnv;
  const clients: CriClient[] = [];

  before(async () => {
    env = await setupE2e({ logLevel: "warn" });
    await env.client.unary("PullImage", { image: { image: env.image } });
    for (let i = 0; i < CLIENTS; i++) clients.push(createCriClient(env.socket));
  });
  after(async () => {
    for (const c of clients) c.close();
    await env?.cleanup();
  });

  it("runs lifecycles with no unexpected error, no deadlock and no leak", async () => {
    // A warm-up round so that lazily loaded code and caches count in the baseline.
    await lifecycle(env.client, "warmup", 0);
    const fds0 = await daemonFds(env.daemon.pid);
    const rss0 = await daemonRssKiB(env.daemon.pid);
    const until = Date.now() + SECONDS * 1000;
    const errors: string[] = [];
    let cycles = 0;
    const latencies: Record<string, number[]> = {};
    let polling = true;

    async function lifecycle(c: CriClient, name: string, n: number): Promise<void> {
      const o = { timeoutMs: CALL_DEADLINE_MS };
      const pod = podConfig(env, `${name}-${n}`);
      const { pod_sandbox_id: id } = await c.unary("RunPodSandbox", { config: pod }, o);
      const { container_id: cid } = await c.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "c", ["/bin/sleep", "60"]), sandbox_config: pod }, o);
      await c.unary("StartContainer", { container_id: cid }, o);
      await c.unary("StopContainer", { container_id: cid, timeout: 0 }, o);
      await c.unary("RemoveContainer", { container_id: cid }, o);
      await c.unary("StopPodSandbox", { pod_sandbox_id: id }, o);
      await c.unary("RemovePodSandbox", { pod_sandbox_id: id }, o);
    }
    const worker = async (i: number): Promise<void> => {
      const c = clients[i] as CriClient;
      for (let n = 0; Date.now() < until; n++) {
        try {
          await lifecycle(c, `load${i}`, n);
          cycles++;
        } catch (err) {
          errors.push(`client ${i}: ${isServiceError(err) ? `${GrpcStatus[err.code] ?? err.code} ${err.details}` : String(err)}`);
          return;
        }
      }
    };
    const timed = async (c: CriClient, rpc: string, req: Record<string, unknown>): Promise<Record<string, unknown> | undefined> => {
      const t0 = performance.now();
      try {
        const r = await c.unary(rpc, req, { timeoutMs: CALL_DEADLINE_MS });
        (latencies[rpc] ??= []).push(performance.now() - t0);
        return r;
      } catch (err) {
        // A status of an object a client removed in the meantime.
        if (isServiceError(err) && err.code === GrpcStatus.NOT_FOUND && rpc.endsWith("Status")) return undefined;
        errors.push(`poller ${rpc}: ${isServiceError(err) ? `${GrpcStatus[err.code] ?? err.code} ${err.details}` : String(err)}`);
        return undefined;
      }
    };
    const poller = async (c: CriClient): Promise<void> => {
      while (polling) {
        const pods = ((await timed(c, "ListPodSandbox", {}))?.["items"] ?? []) as { id: string }[];
        const ctrs = ((await timed(c, "ListContainers", {}))?.["containers"] ?? []) as { id: string }[];
        for (const p of pods.slice(0, 5)) await timed(c, "PodSandboxStatus", { pod_sandbox_id: p.id });
        for (const x of ctrs.slice(0, 5)) await timed(c, "ContainerStatus", { container_id: x.id });
        await timed(c, "ListContainerStats", {});
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const pollers = [poller(env.client), poller(createCriClient(env.socket))];
    await Promise.all(clients.map((_, i) => worker(i)));
    polling = false;
    await Promise.all(pollers);

    const report = Object.entries(latencies)
      .map(([rpc, xs]) => `${rpc}: n=${xs.length} p50=${pct(xs, 50).toFixed(1)} ms p99=${pct(xs, 99).toFixed(1)} ms`)
      .join("\n  ");
    // Memory: let the daemon settle, then compare.
    await new Promise((r) => setTimeout(r, 2000));
    const fds1 = await daemonFds(env.daemon.pid);
    const rss1 = await daemonRssKiB(env.daemon.pid);
    console.log(`load: ${CLIENTS} clients, ${SECONDS} s, ${cycles} pod+container lifecycles (${cycles * 7} lifecycle calls), errors ${errors.length}\n  ${report}\n  daemon fds ${fds0} -> ${fds1}, RSS ${(rss0 / 1024).toFixed(0)} -> ${(rss1 / 1024).toFixed(0)} MiB`);
    assert.deepEqual(errors, []);
    assert.ok(cycles >= CLIENTS, `every client finished at least one lifecycle (${cycles})`);
    assert.deepEqual((await env.client.unary("ListPodSandbox", {}))["items"], []);
    assert.deepEqual((await env.client.unary("ListContainers", {}))["containers"], []);
    await assertNoLeftovers(env, "after the load");
    // Descriptors: the clients' connections are still open (one each, plus a poller's).
    assert.ok(fds1 <= fds0 + CLIENTS + 10, `daemon descriptors ${fds0} -> ${fds1}`);
    assert.ok(rss1 - rss0 < 150 * 1024, `daemon RSS grew by ${((rss1 - rss0) / 1024).toFixed(0)} MiB`);
    for (const c of clients) c.close();
    clients.length = 0;
    await new Promise((r) => setTimeout(r, 1000));
    const fds2 = await daemonFds(env.daemon.pid);
    assert.ok(fds2 <= fds0 + 5, `daemon descriptors after the clients closed: ${fds0} -> ${fds2}`);
  });
});
