/**
 * Workload 9: the streaming RPCs through the real crictl (1.26, SPDY), one
 * pod with a busybox container per daemon, alternating:
 * - `crictl exec -s ID true` (ExecSync, no streaming server) and
 *   `crictl exec ID true` (Exec: the RPC, the upgrade, the session, the
 *   exit status), crictl's own start-up included in both;
 * - port-forward throughput: busybox httpd in the pod serves a 100 MB
 *   file on the pod's loopback; curl downloads it through
 *   `crictl port-forward`, in MB/s.
 * A daemon that answers Exec or PortForward with Unimplemented gets that
 * status in the table.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { execa } from "execa";
import { freePort } from "../../test/helpers/registry.js";
import { alternate, mainPeers, missingCrikit, setupEach, type BenchContext } from "./context.js";
import { createContainer, podName, removePod, runPod, startContainer, type ReadyPod } from "./fixtures.js";
import type { WorkloadResult } from "./result.js";
import type { Peer } from "../peers/peer.js";

const CRICTL = resolve(import.meta.dirname, "../../../shared/bin/crictl");
const SIZE = 100 * 1000 * 1000;

async function crictl(peer: Peer, args: string[]): Promise<void> {
  const r = await execa(CRICTL, ["--runtime-endpoint", `unix://${peer.socket}`, "--timeout", "60s", ...args], { reject: false, timeout: 120_000 });
  if (r.exitCode !== 0) {
    const msg = String(r.stderr);
    throw Object.assign(new Error(msg.split("\n").pop() ?? msg), /Unimplemented/.test(msg) ? { code: 12 } : {});
  }
}

/** CPU time (user + system) a process has used so far, in ms. */
async function cpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const f = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) * (1000 / 100);
}

/** One download of the 100 MB file through a crictl port-forward: MB/s, and the CPU ms the daemon and crictl spent on it. */
async function forwardOnce(peer: Peer, podId: string): Promise<{ mbps: number; daemonCpu: number; crictlCpu: number }> {
  const local = await freePort();
  const pf = spawn(CRICTL, ["--runtime-endpoint", `unix://${peer.socket}`, "port-forward", podId, `${local}:8080`], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    let out = "";
    let err = "";
    pf.stdout.on("data", (c: Buffer) => (out += c.toString()));
    pf.stderr.on("data", (c: Buffer) => (err += c.toString()));
    for (let i = 0; i < 400 && !out.includes("Forwarding from") && pf.exitCode === null; i++) await delay(25);
    if (!out.includes("Forwarding from")) throw Object.assign(new Error(`crictl port-forward: ${err.trim().split("\n").pop() ?? ""}`), /Unimplemented/.test(err) ? { code: 12 } : {});
    const d0 = await cpuMs(peer.pid);
    const c0 = await cpuMs(pf.pid);
    const r = await execa("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", `http://127.0.0.1:${local}/big`], { reject: false, timeout: 120_000 });
    const [bytes, secs] = String(r.stdout).split(" ").map(Number);
    if (bytes !== SIZE) throw new Error(`port-forward moved ${String(bytes)} of ${SIZE} bytes`);
    const daemonCpu = (await cpuMs(peer.pid)) - d0;
    const crictlCpu = (await cpuMs(pf.pid)) - c0;
    return { mbps: SIZE / 1e6 / (secs as number), daemonCpu, crictlCpu };
  } finally {
    pf.kill("SIGTERM");
    await new Promise((r) => (pf.exitCode !== null ? r(null) : pf.once("close", r)));
  }
}

export async function streaming(ctx: BenchContext): Promise<WorkloadResult> {
  const n = ctx.quick ? 8 : 30;
  const k = ctx.quick ? 2 : 5;
  const pods = new Map<Peer, ReadyPod>();
  const containers = new Map<Peer, string>();
  try {
    const { ok: peers, failed } = await setupEach(
      mainPeers(ctx),
      async (p) => {
        await p.client.unary("PullImage", { image: { image: ctx.images.busybox } }, { timeoutMs: 120_000 });
        const pod = await runPod(p, podName("st"));
        pods.set(p, pod);
        const id = await createContainer(p, pod, "web", ctx.images.busybox);
        await startContainer(p, id);
        containers.set(p, id);
        // busybox runs its applets from sh without links: a 100 MB file, and httpd (it daemonizes) on the pod's loopback.
        await p.client.unary(
          "ExecSync",
          { container_id: id, cmd: ["sh", "-c", "mkdir -p /srv && dd if=/dev/zero of=/srv/big bs=1000000 count=100 2>/dev/null && httpd -p 127.0.0.1:8080 -h /srv"], timeout: 60 },
          { timeoutMs: 90_000 },
        );
      },
      ctx.log,
    );
    const id = (p: Peer): string => containers.get(p) as string;
    const execSync = await alternate(peers, n, async (p) => {
      const t0 = performance.now();
      await crictl(p, ["exec", "-s", id(p), "true"]);
      return performance.now() - t0;
    });
    const exec = await alternate(peers, n, async (p) => {
      const t0 = performance.now();
      await crictl(p, ["exec", id(p), "true"]);
      return performance.now() - t0;
    });
    const runs = new Map<Peer, Array<{ mbps: number; daemonCpu: number; crictlCpu: number }>>();
    const forward = await alternate(peers, k, async (p) => {
      const r = await forwardOnce(p, (pods.get(p) as ReadyPod).id);
      runs.set(p, [...(runs.get(p) ?? []), r]);
      return r.mbps;
    });
    const cpuNotes = [...runs].map(
      ([p, rs]) => `${p.label}: ${rs.map((r) => r.mbps.toFixed(0)).join("/")} MB/s in turn, daemon CPU ${rs.map((r) => r.daemonCpu.toFixed(0)).join("/")} ms, crictl CPU ${rs.map((r) => r.crictlCpu.toFixed(0)).join("/")} ms per 100 MB forwarded`,
    );
    return {
      id: "stream",
      title: `(11) Streaming through crictl 1.26 (SPDY): exec round trip N=${n}, port-forward of 100 MB N=${k}, per runtime`,
      measures: [
        { name: "crictl exec -s true (ExecSync)", unit: "ms", series: [...missingCrikit(ctx), ...failed, ...execSync] },
        { name: "crictl exec true (Exec, streaming)", unit: "ms", series: [...missingCrikit(ctx), ...failed, ...exec] },
        { name: "port-forward 100 MB, curl through crictl", unit: "MB/s", series: [...missingCrikit(ctx), ...failed, ...forward] },
      ],
      notes: ["crictl's own start-up (about 20 ms) is in both exec figures; for MB/s higher is better.", ...cpuNotes],
    };
  } finally {
    for (const [p, pod] of pods) await removePod(p, pod.id).catch((e: unknown) => ctx.log(`stream workload: cannot remove pod on ${p.label}: ${String(e)}`));
  }
}
