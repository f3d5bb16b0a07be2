/**
 * Exec, Attach and PortForward end to end: the real crictl (SPDY) against
 * crikitd, started by the e2e harness (its own process, a local registry, a
 * CNI bridge of the test's own with no default route). The daemon's
 * streaming server listens on its default address (127.0.0.1, a free port);
 * the sessions run through runc and conmon and in the pods' network
 * namespaces.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { execa } from "execa";
import { freePort } from "../helpers/registry.js";
import { CRICTL, crictlInPty } from "../streaming/harness.js";
import { pidsMentioning, setupE2e, type E2eEnv } from "./harness.js";

describe("crictl exec, attach and port-forward against crikitd", () => {
  let env: E2eEnv;
  let socket = "";
  const pods: string[] = [];

  const crictl = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "--timeout", "20s", ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
      child.stdin?.end(input ?? "");
    });

  before(async () => {
    env = await setupE2e({ logLevel: "info" });
    socket = env.socket;
    await env.client.unary("PullImage", { image: { image: env.image } });
  });

  after(async () => {
    for (const id of pods) {
      await env.client.unary("StopPodSandbox", { pod_sandbox_id: id }).catch(() => undefined);
      await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id }).catch(() => undefined);
    }
    const left = await pidsMentioning(env.state);
    await env.cleanup();
    assert.deepEqual(left, [], "no conmon, container or session process is left after the pods are removed");
  });

  async function runPod(name: string, network: "POD" | "NODE", command: string[]): Promise<{ podId: string; containerId: string }> {
    const uid = `uid-${name}`;
    const podConfig = {
      metadata: { name, namespace: "crictl", uid, attempt: 0 },
      hostname: name,
      log_directory: join(env.logDir, `crictl_${name}_${uid}`),
      linux: { security_context: { namespace_options: { network, pid: "CONTAINER", ipc: "POD" } } },
    };
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: podConfig });
    pods.push(podId as string);
    const { container_id: containerId } = await env.client.unary("CreateContainer", {
      pod_sandbox_id: podId,
      config: { metadata: { name: "main", attempt: 0 }, image: { image: env.image }, command, log_path: "main/0.log" },
      sandbox_config: podConfig,
    });
    await env.client.unary("StartContainer", { container_id: containerId });
    return { podId: podId as string, containerId: containerId as string };
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
    assert.equal(bad.code, 1, "crictl 1.26 exits 1 for a non-zero exit and names the code");
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
