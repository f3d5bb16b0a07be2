/**
 * Test harness of the streaming server: a StreamingServer over the host
 * runtime, a CriServer on a throwaway unix socket whose Exec, Attach and
 * PortForward answer with its URLs (so the real crictl can drive it), a
 * crictl runner, and a small SPDY client for what crictl cannot do.
 */
import { execFile, spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Socket } from "node:net";
import type { TestContext } from "node:test";
import { StreamingServer, type StreamingServerOptions } from "../../src/streaming/index.js";
import { SpdySession } from "../../src/streaming/spdy-session.js";
import { CriServer } from "../../src/transport/index.js";
import { createHostRuntime, type HostRuntime } from "./host-runtime.js";

export const CRICTL = resolve(import.meta.dirname, "../../../shared/bin/crictl");

export interface Harness {
  rt: HostRuntime;
  streaming: StreamingServer;
  socket: string;
  crictl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
}

export async function startHarness(t: TestContext, options: Partial<StreamingServerOptions> = {}): Promise<Harness> {
  const rt = createHostRuntime();
  const streaming = new StreamingServer({ runtime: rt, ...options });
  await streaming.listen();
  const dir = await mkdtemp(join(tmpdir(), "crikit-stream-"));
  const socket = join(dir, "cri.sock");
  const server = new CriServer({
    socketPath: socket,
    ready: true,
    runtime: {
      version: () => ({ version: "0.1.0", runtimeName: "crikit-stream-test", runtimeVersion: "0.0.1", runtimeApiVersion: "v1" }),
      exec: (req) => streaming.getExec(req),
      attach: (req) => streaming.getAttach(req),
      portForward: (req) => streaming.getPortForward(req),
      containerStatus: (req) => ({ status: { id: req.containerId, state: 1, metadata: { name: "c" }, image: { image: "x" }, imageRef: "x" } }),
      podSandboxStatus: (req) => ({ status: { id: req.podSandboxId, state: 0, metadata: { name: "p", namespace: "n", uid: "u" } } }),
    },
    image: {},
  });
  await server.listen();
  t.after(async () => {
    await server.close();
    await streaming.close();
    await rm(dir, { recursive: true, force: true });
  });
  const crictl: Harness["crictl"] = (args, opts = {}) =>
    new Promise((resolvePromise) => {
      const child = execFile(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "--timeout", "10s", ...args], { timeout: opts.timeoutMs ?? 20_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      });
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  return { rt, streaming, socket, crictl };
}

/** Runs crictl under `script` (a pseudo-terminal). */
export function crictlInPty(socket: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; out: string }> {
  const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
  const cmd = [CRICTL, "--runtime-endpoint", `unix://${socket}`, ...args].map(q).join(" ");
  return new Promise((resolvePromise) => {
    const child = spawn("script", ["-qec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, out });
    });
    child.stdin.end();
  });
}

/** Upgrades `url` to SPDY/3.1 offering `protocols`; resolves with a client session. */
export function spdyConnect(url: string, protocols: string[]): Promise<{ session: SpdySession; protocol: string; socket: Socket }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method: "POST", headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": protocols } });
    req.on("upgrade", (res, socket, head) => {
      const session = new SpdySession(socket, { isServer: false });
      session.feed(head);
      resolvePromise({ session, protocol: String(res.headers["x-stream-protocol-version"] ?? ""), socket });
    });
    req.on("response", (res) => {
      res.resume();
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A plain HTTP request; resolves with the status (and headers). */
export function httpStatus(url: string, headers: Record<string, string | string[]> = {}, method = "GET"): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method, headers });
    req.on("response", (res) => {
      res.resume();
      resolvePromise({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolvePromise({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on("error", reject);
    req.end();
  });
}
