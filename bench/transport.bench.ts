/**
 * Transport benchmark: Version round trips over the unix socket, driven by
 * the independent grpc-js client (test/helpers/cri-client.ts), sequential and
 * with 16 calls in flight. Measures the gRPC stack (HTTP/2, Connect router,
 * interceptors), not a runtime: the handler returns a constant.
 *
 * The server runs in a child process (this file with `--transport-server
 * SOCKET`), as crikitd would, so client and server do not share an event
 * loop; a second pair of rows sends the socket path as `:authority`, as
 * grpc-go does on a unix socket (the authority gate's rewriter serves it), and
 * a third pair runs both in one process for comparison, and a fourth runs
 * the child's server with `unaryFastPath: false` (every call through
 * connect's full pipeline).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CriServer } from "../src/transport/index.js";
import { createCriClient } from "../test/helpers/cri-client.js";
import type { CriClient } from "../test/helpers/cri-client.js";
import { msPerCall, summarize } from "./harness.js";
import type { BenchRow } from "./harness.js";

export const title = "transport";

function versionServer(socketPath: string, unaryFastPath = true): CriServer {
  return new CriServer({
    socketPath,
    ready: true,
    unaryFastPath,
    runtime: { version: () => ({ version: "0.1.0", runtimeName: "crikit", runtimeVersion: "0.1.0", runtimeApiVersion: "v1" }) },
  });
}

async function measure(client: CriClient, n: number, where: string): Promise<BenchRow[]> {
  await client.waitForReady();
  for (let i = 0; i < 300; i++) await client.unary("Version", {}); // warm up
  const rows: BenchRow[] = [];
  rows.push(await msPerCall(`Version, sequential (${where})`, () => client.unary("Version", {}), n, "unary over unix socket, grpc-js client"));
  // 16 concurrent callers; each sample is one call's latency under that load.
  const concurrency = 16;
  const perWorker = Math.ceil(n / concurrency);
  const samples: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < perWorker; i++) {
        const s = performance.now();
        await client.unary("Version", {});
        samples.push(performance.now() - s);
      }
    }),
  );
  const wall = performance.now() - t0;
  rows.push(summarize(`Version, 16 concurrent (${where})`, "ms", samples, `${Math.round((samples.length / wall) * 1000)} calls/s`));
  return rows;
}

async function childServer(socketPath: string, unaryFastPath: boolean): Promise<void> {
  const server = versionServer(socketPath, unaryFastPath);
  await server.listen();
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const n = quick ? 500 : 5000;
  const dir = await mkdtemp(join(tmpdir(), "crikit-bench-transport-"));
  const rows: BenchRow[] = [];
  try {
    // The same server with every call through connect's full path, for comparison.
    rows.push(...(await withChild(join(dir, "full.sock"), ["--no-fast-path"], (socket) => measureWith(socket, n, "child process, unaryFastPath: false"))));
    // Server in a child process.
    const childSocket = join(dir, "child.sock");
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--transport-server", childSocket], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`transport bench server exited with ${String(code)}`)));
        child.stdout.on("data", (b: Buffer) => {
          if (b.toString().includes("ready")) resolve();
        });
      });
      const client = createCriClient(childSocket);
      try {
        rows.push(...(await measure(client, n, "server in a child process")));
      } finally {
        client.close();
      }
      // What grpc-go on a unix socket sends (crictl, kubelets up to 1.30): the
      // socket path as :authority, served through the authority gate's rewriter.
      const pathClient = createCriClient(childSocket, { channelOptions: { "grpc.default_authority": childSocket } });
      try {
        rows.push(...(await measure(pathClient, n, "child process, socket path as :authority")));
      } finally {
        pathClient.close();
      }
    } finally {
      child.removeAllListeners("exit");
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(child.pid, "SIGTERM");
        await exited;
      }
    }

    // Client and server in one process.
    const server = versionServer(join(dir, "inproc.sock"));
    await server.listen();
    const client = createCriClient(join(dir, "inproc.sock"));
    try {
      rows.push(...(await measure(client, n, "same process")));
    } finally {
      client.close();
      await server.close();
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureWith(socket: string, n: number, where: string): Promise<BenchRow[]> {
  const client = createCriClient(socket);
  try {
    return await measure(client, n, where);
  } finally {
    client.close();
  }
}

/** Run `fn` against this file's server in a child process (with `flags`), stopped by pid afterwards. */
async function withChild<T>(socket: string, flags: string[], fn: (socket: string) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--transport-server", socket, ...flags], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`transport bench server exited with ${String(code)}`)));
      child.stdout.on("data", (b: Buffer) => {
        if (b.toString().includes("ready")) resolve();
      });
    });
    return await fn(socket);
  } finally {
    child.removeAllListeners("exit");
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      await exited;
    }
  }
}

const at = process.argv.indexOf("--transport-server");
if (at !== -1) {
  const socket = process.argv[at + 1];
  if (socket === undefined) throw new Error("--transport-server needs a socket path");
  await childServer(socket, !process.argv.includes("--no-fast-path"));
}
