/**
 * CriService's Exec, Attach and PortForward with a streaming server: the
 * checks the RPCs make (unknown container NotFound, not running
 * FailedPrecondition, unknown pod NotFound, no streaming server
 * Unimplemented), and crictl driving an exec end to end through CriServer.
 * Records are put into the stores directly (the host runtime of the
 * streaming tests runs the sessions; no runc needed).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import type { TestContext } from "node:test";
import { ContainerConfigSchema, PodSandboxConfigSchema } from "../../src/cri.js";
import { resolveDaemonConfig } from "../../src/config/index.js";
import { hasErrorCode } from "../../src/errors.js";
import { createCriService, type CriService } from "../../src/server/index.js";
import { newContainerStatus, newSandboxStatus } from "../../src/stores/index.js";
import { StreamingServer } from "../../src/streaming/index.js";
import { CriServer } from "../../src/transport/index.js";
import { createHostRuntime } from "../streaming/host-runtime.js";
import { CRICTL } from "../streaming/harness.js";

const POD = "a".repeat(64);
const RUNNING = "b".repeat(64);
const CREATED = "c".repeat(64);

async function setUp(t: TestContext, withStreaming = true): Promise<{ service: CriService; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "crikit-service-stream-"));
  const config = resolveDaemonConfig({ root: join(dir, "root"), state: join(dir, "state"), socket: join(dir, "s.sock"), cni: { conf_dir: join(dir, "net.d") } });
  const streaming = new StreamingServer({ runtime: createHostRuntime() });
  await streaming.listen();
  const service = createCriService({ config, ...(withStreaming ? { streaming } : {}) });
  await service.recover();
  t.after(async () => {
    await service.close();
    await streaming.close();
    await rm(dir, { recursive: true, force: true });
  });
  const now = BigInt(Date.now()) * 1_000_000n;
  const sandboxConfig = create(PodSandboxConfigSchema, { metadata: { name: "p", namespace: "n", uid: "u" } });
  service.sandboxes.add(POD, { name: "p_n_u_0", config: sandboxConfig, runtimeHandler: "" }, newSandboxStatus(now, { readyAt: now }));
  const config1 = create(ContainerConfigSchema, { metadata: { name: "c" } });
  service.containers.add(RUNNING, { name: "c_p_n_u_0", sandboxId: POD, config: config1, imageRef: "", logPath: "" }, newContainerStatus(now, { startedAt: now, pid: 1 }));
  service.containers.add(CREATED, { name: "d_p_n_u_0", sandboxId: POD, config: config1, imageRef: "", logPath: "" }, newContainerStatus(now));
  return { service, dir };
}

test("Exec, Attach and PortForward answer URLs on the streaming server, with the full IDs", async (t) => {
  const { service } = await setUp(t);
  const e = service.exec({ containerId: RUNNING.slice(0, 8), cmd: ["true"], stdout: true } as never);
  assert.match(String(e.url), /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]+$/);
  assert.match(String(service.attach({ containerId: RUNNING, stdout: true } as never).url), /\/attach\//);
  assert.match(String(service.portForward({ podSandboxId: POD.slice(0, 6), port: [80] } as never).url), /\/portforward\//);
});

test("the RPCs check their target and the request", async (t) => {
  const { service } = await setUp(t);
  const code = (c: string) => (e: unknown) => hasErrorCode(e, c as never);
  assert.throws(() => service.exec({ containerId: "nosuch", cmd: ["true"], stdout: true } as never), code("NotFound"));
  assert.throws(() => service.exec({ containerId: CREATED, cmd: ["true"], stdout: true } as never), code("FailedPrecondition"));
  assert.throws(() => service.attach({ containerId: CREATED, stdout: true } as never), code("FailedPrecondition"));
  assert.throws(() => service.exec({ containerId: RUNNING, cmd: ["true"] } as never), code("InvalidArgument"));
  assert.throws(() => service.exec({ containerId: RUNNING, cmd: ["true"], tty: true, stdout: true, stderr: true } as never), code("InvalidArgument"));
  assert.throws(() => service.portForward({ podSandboxId: "nosuch", port: [] } as never), code("NotFound"));
});

test("without a streaming server the RPCs answer Unimplemented", async (t) => {
  const { service } = await setUp(t, false);
  assert.throws(() => service.exec({ containerId: RUNNING, cmd: ["true"], stdout: true } as never), (e: unknown) => hasErrorCode(e, "Unimplemented"));
  assert.throws(() => service.portForward({ podSandboxId: POD, port: [] } as never), (e: unknown) => hasErrorCode(e, "Unimplemented"));
});

test("crictl exec -i through CriServer and the service reaches the streaming runtime", async (t) => {
  const { service, dir } = await setUp(t);
  const socket = join(dir, "cri.sock");
  const server = new CriServer({ socketPath: socket, ...service.handlers(), ready: true });
  await server.listen();
  t.after(() => server.close());
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "exec", "-i", RUNNING.slice(0, 12), "sh", "-c", "cat; exit 4"], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
    child.stdin?.end("through the service\n");
  });
  assert.equal(out.stdout, "through the service\n");
  assert.match(out.stderr, /exit code 4/);
  const missing = await new Promise<string>((resolve) =>
    execFile(CRICTL, ["--runtime-endpoint", `unix://${socket}`, "exec", CREATED, "true"], (_err, _o, stderr) => resolve(stderr)),
  );
  assert.match(missing, /FailedPrecondition|not running/);
});
