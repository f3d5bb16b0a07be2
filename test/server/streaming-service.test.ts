/**
 * CriService.streamingRuntime() with real pods, in process: a local
 * registry with the e2e busybox image, a CNI bridge of the test's own (no
 * default route), runc through conmon. Exec runs in a container created
 * through the service; port-forward reaches busybox httpd on the loopback of
 * the pod's network namespace, and of the host for a host-network pod.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable, duplexPair } from "node:stream";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { execa } from "execa";
import { CreateContainerRequestSchema, PullImageRequestSchema, RemovePodSandboxRequestSchema, RunPodSandboxRequestSchema, StartContainerRequestSchema, StopPodSandboxRequestSchema } from "../../src/cri.js";
import { resolveDaemonConfig } from "../../src/config/index.js";
import { createCriService, type CriService } from "../../src/server/index.js";
import { hasErrorCode } from "../../src/errors.js";
import { buildOciLayout } from "../helpers/oci-layout.js";
import { freePort, pushLayout, startRegistry, type TestRegistry } from "../helpers/registry.js";
import { e2eConflist, e2eImage, e2eNetwork, mountsUnder, pidsMentioning, removeE2eNetwork, type E2eNetwork } from "../e2e/harness.js";

class Collector extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString("utf8");
    cb();
  }
}

/** GET `path` through a port-forward session and return the whole answer. */
async function getThrough(service: CriService, podId: string, port: number, path: string): Promise<string> {
  const [stream, client] = duplexPair();
  let text = "";
  client.on("data", (b: Buffer) => (text += b.toString("utf8")));
  const session = service.streamingRuntime().portForward(podId, port, stream, AbortSignal.timeout(20_000));
  client.write(`GET ${path} HTTP/1.0\r\nHost: pod\r\n\r\n`);
  await session;
  return text;
}

describe("CriService.streamingRuntime with real pods", () => {
  let dir = "";
  let net: E2eNetwork;
  let registry: TestRegistry;
  let service: CriService;
  let image = "";
  const pods: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-stream-svc-"));
    net = e2eNetwork();
    const confDir = join(dir, "net.d");
    await mkdir(confDir, { recursive: true });
    await writeFile(join(confDir, "10-test.conflist"), e2eConflist(net));
    registry = await startRegistry();
    await buildOciLayout(join(dir, "layout"), [{ tag: "1", image: e2eImage() }]);
    image = `${registry.host}/e2e/busybox:1`;
    await pushLayout(join(dir, "layout"), "1", image);
    const config = resolveDaemonConfig({
      root: join(dir, "root"),
      state: join(dir, "state"),
      socket: join(dir, "crikit.sock"),
      cni: { conf_dir: confDir, netns_dir: join(dir, "netns") },
      registry: { insecure: [registry.host] },
    });
    service = createCriService({ config });
    await service.recover();
    await service.pullImage(fromJson(PullImageRequestSchema, { image: { image } }));
  });

  after(async () => {
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

  async function runPod(name: string, network: "POD" | "NODE", command: string[], extra: Record<string, unknown> = {}): Promise<{ podId: string; containerId: string }> {
    const uid = `uid-${name}`;
    const podConfig = {
      metadata: { name, namespace: "stream", uid, attempt: 0 },
      hostname: name,
      log_directory: join(dir, "pod-logs", `stream_${name}_${uid}`),
      linux: { security_context: { namespace_options: { network, pid: "CONTAINER", ipc: "POD" } } },
    };
    const { podSandboxId } = await service.runPodSandbox(fromJson(RunPodSandboxRequestSchema, { config: podConfig } as JsonValue));
    assert.ok(podSandboxId);
    pods.push(podSandboxId);
    const { containerId } = await service.createContainer(
      fromJson(CreateContainerRequestSchema, {
        pod_sandbox_id: podSandboxId,
        config: { metadata: { name: "web", attempt: 0 }, image: { image }, command, log_path: "web/0.log", ...extra },
        sandbox_config: podConfig,
      } as JsonValue),
    );
    assert.ok(containerId);
    await service.startContainer(fromJson(StartContainerRequestSchema, { container_id: containerId }));
    return { podId: podSandboxId, containerId };
  }

  it("execs in a pod's container and forwards a port into the pod's network namespace", async () => {
    const { podId, containerId } = await runPod("web", "POD", ["httpd", "-f", "-p", "127.0.0.1:80", "-h", "/www"]);
    const rt = service.streamingRuntime();
    const stdout = new Collector();
    assert.equal(await rt.exec(containerId.slice(0, 12), ["sh", "-c", "echo from-the-pod; exit 3"], { stdout, tty: false }, AbortSignal.timeout(20_000)), 3);
    assert.equal(stdout.text, "from-the-pod\n");
    let answer = "";
    for (let i = 0; i < 50 && !answer.includes("hello from crikit e2e"); i++) {
      answer = await getThrough(service, podId, 80, "/index.html").catch(() => "");
      if (!answer.includes("hello")) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(answer, /^HTTP\/1\.[01] 200/);
    assert.match(answer, /hello from crikit e2e/);
  });

  it("attaches to a pod's container (its bundle path is too long for a socket address)", async () => {
    const { containerId } = await runPod("ticker", "POD", ["sh", "-c", "while true; do echo tick; sleep 0.1; done"]);
    const ac = new AbortController();
    const stdout = new Collector();
    const session = service.streamingRuntime().attach(containerId, { stdout, stderr: new Collector(), tty: false }, ac.signal);
    for (let i = 0; i < 100 && !stdout.text.includes("tick\n"); i++) await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await session;
    assert.match(stdout.text, /tick\n/);
  });

  it("attaches to a container created with tty and stdin: its terminal takes input and resizes", async () => {
    const { containerId } = await runPod("term", "POD", ["sh", "-c", "while true; do read x; echo got-$x; stty size; done"], { tty: true, stdin: true });
    const ac = new AbortController();
    const stdout = new Collector();
    const stdin = new PassThrough();
    const sizes = [{ width: 101, height: 31 }];
    const resize = {
      async *[Symbol.asyncIterator]() {
        yield* sizes;
        await new Promise((r) => ac.signal.addEventListener("abort", r, { once: true }));
      },
    };
    const session = service.streamingRuntime().attach(containerId, { stdin, stdout, tty: true, resize }, ac.signal);
    await new Promise((r) => setTimeout(r, 300));
    stdin.write("hello\r");
    for (let i = 0; i < 100 && !/31 101/.test(stdout.text); i++) await new Promise((r) => setTimeout(r, 50));
    ac.abort();
    await session;
    assert.match(stdout.text, /got-hello/);
    assert.match(stdout.text, /31 101/);
  });

  it("forwards a host-network pod's port on the host's loopback", async () => {
    const port = await freePort();
    const { podId } = await runPod("hostweb", "NODE", ["httpd", "-f", "-p", `127.0.0.1:${port}`, "-h", "/www"]);
    let answer = "";
    for (let i = 0; i < 50 && !answer.includes("hello from crikit e2e"); i++) {
      answer = await getThrough(service, podId, port, "/index.html").catch(() => "");
      if (!answer.includes("hello")) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(answer, /hello from crikit e2e/);
  });

  it("refuses sessions on unknown ids and stopped pods", async () => {
    const rt = service.streamingRuntime();
    const s = AbortSignal.timeout(10_000);
    await assert.rejects(rt.exec("0000nope", ["true"], { tty: false }, s), (e: unknown) => hasErrorCode(e, "NotFound"));
    const { podId, containerId } = await runPod("stopped", "POD", ["sleep", "1000"]);
    await service.stopPodSandbox(fromJson(StopPodSandboxRequestSchema, { podSandboxId: podId }));
    await assert.rejects(rt.exec(containerId, ["true"], { tty: false }, s), (e: unknown) => hasErrorCode(e, "FailedPrecondition"));
    await assert.rejects(rt.portForward(podId, 80, duplexPair()[0], s), (e: unknown) => hasErrorCode(e, "FailedPrecondition"));
  });
});
