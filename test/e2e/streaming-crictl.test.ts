/**
 * Exec, Attach and PortForward end to end with the real crictl (SPDY):
 * CriService with a StreamingServer whose sessions run through the
 * service's own streaming runtime (runc through conmon, the pod's network
 * namespace), real pods from a local registry on a CNI bridge of the
 * test's own (no default route), served by CriServer on a unix socket.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { execa } from "execa";
import { CreateContainerRequestSchema, PullImageRequestSchema, RemovePodSandboxRequestSchema, RunPodSandboxRequestSchema, StartContainerRequestSchema, StopPodSandboxRequestSchema } from "../../src/cri.js";
import { resolveDaemonConfig } from "../../src/config/index.js";
import { CriService } from "../../src/server/index.js";
import { StreamingServer, type StreamingRuntime } from "../../src/streaming/index.js";
import { CriServer } from "../../src/transport/index.js";
import { buildOciLayout } from "../helpers/oci-layout.js";
import { freePort, pushLayout, startRegistry, type TestRegistry } from "../helpers/registry.js";
import { CRICTL, crictlInPty } from "../streaming/harness.js";
import { e2eConflist, e2eImage, e2eNetwork, mountsUnder, pidsMentioning, removeE2eNetwork, type E2eNetwork } from "./harness.js";

describe("crictl exec, attach and port-forward against real pods", () => {
  let dir = "";
  let net: E2eNetwork;
  let registry: TestRegistry;
  let service: CriService;
  let streaming: StreamingServer;
  let server: CriServer;
  let socket = "";
  let image = "";
  const pods: string[] = [];

  const crictl = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "--timeout", "20s", ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
      child.stdin?.end(input ?? "");
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-stream-e2e-"));
    net = e2eNetwork();
    const confDir = join(dir, "net.d");
    await mkdir(confDir, { recursive: true });
    await writeFile(join(confDir, "10-test.conflist"), e2eConflist(net));
    registry = await startRegistry();
    await buildOciLayout(join(dir, "layout"), [{ tag: "1", image: e2eImage() }]);
    image = `${registry.host}/e2e/busybox:1`;
    await pushLayout(join(dir, "layout"), "1", image);
    socket = join(dir, "crikit.sock");
    const config = resolveDaemonConfig({
      root: join(dir, "root"),
      state: join(dir, "state"),
      socket,
      cni: { conf_dir: confDir, netns_dir: join(dir, "netns") },
      registry: { insecure: [registry.host] },
    });
    // The server calls the runtime only when a client connects: it delegates to the service's, built after.
    let rt: StreamingRuntime | undefined;
    const sessions = (): StreamingRuntime => rt as StreamingRuntime;
    streaming = new StreamingServer({
      runtime: { exec: (...a) => sessions().exec(...a), attach: (...a) => sessions().attach(...a), portForward: (...a) => sessions().portForward(...a) },
    });
    await streaming.listen();
    service = new CriService({ config, streaming });
    rt = (service as unknown as { streamingRuntime(): StreamingRuntime }).streamingRuntime();
    await service.recover();
    await service.pullImage(fromJson(PullImageRequestSchema, { image: { image } }));
    server = new CriServer({ socketPath: socket, ...service.handlers(), ready: true });
    await server.listen();
  });

  after(async () => {
    await server?.close();
    await streaming?.close();
    for (const id of pods) {
      await service.stopPodSandbox(fromJson(StopPodSandboxRequestSchema, { podSandboxId: id })).catch(() => undefined);
      await service.removePodSandbox(fromJson(RemovePodSandboxRequestSchema, { podSandboxId: id })).catch(() => undefined);
    }
    await service?.close();
    const left = await pidsMentioning(join(dir, "state"));
    for (const m of (await mountsUnder(dir)).reverse()) await execa("umount", ["-l", m], { reject: false });
    await registry?.stop();
    await removeE2eNetwork(net);
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], "no conmon or container process is left after the pods are removed");
  });

  async function runPod(name: string, network: "POD" | "NODE", command: string[]): Promise<{ podId: string; containerId: string }> {
    const uid = `uid-${name}`;
    const podConfig = {
      metadata: { name, namespace: "crictl", uid, attempt: 0 },
      hostname: name,
      log_directory: join(dir, "pod-logs", `crictl_${name}_${uid}`),
      linux: { security_context: { namespace_options: { network, pid: "CONTAINER", ipc: "POD" } } },
    };
    const { podSandboxId } = await service.runPodSandbox(fromJson(RunPodSandboxRequestSchema, { config: podConfig } as JsonValue));
    pods.push(podSandboxId as string);
    const { containerId } = await service.createContainer(
      fromJson(CreateContainerRequestSchema, {
        pod_sandbox_id: podSandboxId,
        config: { metadata: { name: "main", attempt: 0 }, image: { image }, command, log_path: "main/0.log" },
        sandbox_config: podConfig,
      } as JsonValue),
    );
    await service.startContainer(fromJson(StartContainerRequestSchema, { container_id: containerId as string }));
    return { podId: podSandboxId as string, containerId: containerId as string };
  }

  async function forwardAndGet(podId: string, remote: number): Promise<string> {
    const local = await freePort();
    const pf = spawn(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "port-forward", podId, `${local}:${remote}`], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let out = "";
      pf.stdout.on("data", (c: Buffer) => (out += c.toString()));
      for (let i = 0; i < 200 && !out.includes("Forwarding from"); i++) await delay(25);
      let body = "";
      for (let i = 0; i < 50 && !body.includes("hello"); i++) {
        const r = await execa("curl", ["-s", "--max-time", "5", `http://127.0.0.1:${local}/index.html`], { reject: false });
        body = r.stdout;
        if (!body.includes("hello")) await delay(100);
      }
      return body;
    } finally {
      pf.kill("SIGTERM");
      await new Promise((r) => (pf.exitCode !== null ? r(null) : pf.once("close", r)));
    }
  }

  it("crictl exec -i, exec -it and a non-zero exit in a pod's container", async () => {
    const { containerId } = await runPod("shell", "POD", ["sleep", "1000"]);
    const piped = await crictl(["exec", "-i", containerId, "sh", "-c", "tr a-z A-Z"], "piped into the pod\n");
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, "PIPED INTO THE POD\n");
    const tty = await crictlInPty(socket, ["exec", "-it", containerId, "sh", "-c", "tty"]);
    assert.match(tty.out, /\/dev\/pts\/\d+/);
    const bad = await crictl(["exec", containerId, "sh", "-c", "exit 3"]);
    assert.match(bad.stderr, /exit code 3/);
  });

  it("crictl attach shows a running container's output", async () => {
    const { containerId } = await runPod("ticker", "POD", ["sh", "-c", "while true; do echo tick; sleep 0.1; done"]);
    const at = spawn(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "attach", containerId], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    at.stdout.on("data", (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 100 && !out.includes("tick\ntick"); i++) await delay(50);
    at.kill("SIGKILL");
    await new Promise((r) => (at.exitCode !== null ? r(null) : at.once("close", r)));
    assert.match(out, /tick\ntick/);
  });

  it("crictl port-forward reaches an HTTP server inside a pod, and in a host-network pod", async () => {
    const { podId } = await runPod("web", "POD", ["httpd", "-f", "-p", "127.0.0.1:80", "-h", "/www"]);
    assert.match(await forwardAndGet(podId, 80), /hello from crikit e2e/);
    const port = await freePort();
    const host = await runPod("hostweb", "NODE", ["httpd", "-f", "-p", `127.0.0.1:${port}`, "-h", "/www"]);
    assert.match(await forwardAndGet(host.podId, port), /hello from crikit e2e/);
  });
});
