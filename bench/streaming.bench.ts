/**
 * Streaming benchmark: the streaming server (SPDY) driven by the real
 * crictl, over the host-process runtime of the streaming tests, so what is
 * measured is the server (tokens, upgrade, SPDY framing, channels), not a
 * container runtime:
 * - a streaming `crictl exec` of `true`, end to end (crictl's start-up,
 *   the Exec RPC over the CRI socket, the upgrade, the process, the status);
 * - port-forward throughput: curl downloads 100 MB from an HTTP server in
 *   another process through `crictl port-forward`.
 * This process runs only the CRI and streaming servers. A comparison with
 * containerd needs the runc/conmon streaming runtime (a separate piece).
 */
import { execFile, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StreamingServer } from "../src/streaming/index.js";
import { CriServer } from "../src/transport/index.js";
import { createHostRuntime } from "../test/streaming/host-runtime.js";
import { CRICTL } from "../test/streaming/harness.js";
import { summarize } from "./harness.js";
import type { BenchRow } from "./harness.js";

export const title = "streaming";

const SOURCE = `
const http = require("node:http");
const chunk = Buffer.alloc(1 << 20, 97);
const size = Number(process.argv[1]);
const s = http.createServer((req, res) => {
  res.writeHead(200, { "content-length": size });
  let left = size;
  const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return res.once("drain", pump); } res.end(); };
  pump();
});
s.listen(0, "127.0.0.1", () => console.log(s.address().port));
`;

function execOut(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(file, args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })));
}

export async function run(options: { quick: boolean }): Promise<BenchRow[]> {
  const quick = options.quick;
  const dir = await mkdtemp(join(tmpdir(), "crikit-bench-stream-"));
  const socket = join(dir, "cri.sock");
  const streaming = new StreamingServer({ runtime: createHostRuntime() });
  await streaming.listen();
  const server = new CriServer({
    socketPath: socket,
    ready: true,
    runtime: {
      version: () => ({ version: "0.1.0", runtimeName: "crikit-bench", runtimeVersion: "0.1.0", runtimeApiVersion: "v1" }),
      exec: (r) => streaming.getExec(r),
      portForward: (r) => streaming.getPortForward(r),
      containerStatus: (r) => ({ status: { id: r.containerId, state: 1, metadata: { name: "c" }, image: { image: "x" }, imageRef: "x" } }),
      podSandboxStatus: (r) => ({ status: { id: r.podSandboxId, state: 0, metadata: { name: "p", namespace: "n", uid: "u" } } }),
    },
  });
  await server.listen();
  const rows: BenchRow[] = [];
  const source = spawn(process.execPath, ["-e", SOURCE, String(100 * 1000 * 1000)], { stdio: ["ignore", "pipe", "inherit"] });
  let pf: ReturnType<typeof spawn> | undefined;
  try {
    const n = quick ? 10 : 30;
    const samples: number[] = [];
    for (let i = 0; i < n + 3; i++) {
      const t0 = performance.now();
      const r = await execOut(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "exec", "ctr", "true"]);
      if (r.code !== 0) throw new Error(`crictl exec failed: ${r.stderr}`);
      if (i >= 3) samples.push(performance.now() - t0);
    }
    rows.push(summarize("crictl exec true (streaming, SPDY)", "ms", samples, "crictl start-up included; host-process runtime"));

    const port = Number(await new Promise<string>((resolve) => source.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()))));
    const local = 20000 + Math.floor(Math.random() * 20000);
    pf = spawn(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "port-forward", "pod", `${local}:${port}`], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    pf.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && !out.includes("Forwarding from"); i++) await delay(25);
    const mbps: number[] = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) {
      const r = await execOut("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", `http://127.0.0.1:${local}/`]);
      const [bytes, secs] = r.stdout.split(" ").map(Number);
      if (bytes !== 100 * 1000 * 1000) throw new Error(`port-forward transfer got ${bytes} bytes`);
      mbps.push((bytes as number) / 1e6 / (secs as number));
    }
    rows.push(summarize("port-forward, 100 MB over loopback (crictl, SPDY)", "MB/s", mbps, "curl through crictl port-forward; source in another process"));
  } finally {
    pf?.kill("SIGTERM");
    source.kill("SIGTERM");
    await server.close();
    await streaming.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
