/**
 * CriService in-process: its handlers plug into a Connect router
 * (createRouterTransport, no socket), the service answers without a
 * transport too, and recovery over empty directories is quick and leaves
 * an empty runtime. Pods and containers are exercised end to end in
 * test/e2e (they need the real runc, conmon and CNI plugins).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { CgroupDriver, ExecSyncRequestSchema, ImageService as ImageServiceDesc, ListPodSandboxRequestSchema, UpdateRuntimeConfigRequestSchema, RuntimeService, VersionRequestSchema } from "../../src/cri.js";
import { resolveDaemonConfig } from "../../src/config/index.js";
import { createCriService, type CriService } from "../../src/server/index.js";
import { createCriRoutes, createErrorInterceptor } from "../../src/transport/index.js";

/** The routes with the transport's error conversion, as CriServer installs it. */
function transportOf(service: CriService) {
  return createRouterTransport(createCriRoutes(service.handlers()), { router: { interceptors: [createErrorInterceptor()] } });
}

describe("CriService in process", () => {
  let dir = "";
  let service: CriService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-service-"));
    const config = resolveDaemonConfig({ root: join(dir, "root"), state: join(dir, "state"), socket: join(dir, "s.sock"), cni: { conf_dir: join(dir, "net.d") } });
    service = createCriService({ config, version: "9.9.9" });
    await service.recover();
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers Unavailable before recovery has finished", async () => {
    const config = resolveDaemonConfig({ root: join(dir, "root2"), state: join(dir, "state2"), socket: join(dir, "s2.sock") });
    const fresh = createCriService({ config });
    assert.throws(() => fresh.listPodSandbox(create(ListPodSandboxRequestSchema, {})), (e: unknown) => e instanceof Error && (e as { code?: string }).code === "Unavailable");
    await fresh.recover();
    assert.deepEqual(fresh.listPodSandbox(create(ListPodSandboxRequestSchema, {})), { items: [] });
    await fresh.close();
    assert.throws(() => fresh.listPodSandbox(create(ListPodSandboxRequestSchema, {})), /shutting down/);
  });

  it("answers direct calls with response init shapes", async () => {
    assert.deepEqual(service.version(create(VersionRequestSchema, {})), { version: "0.1.0", runtimeName: "crikit", runtimeVersion: "9.9.9", runtimeApiVersion: "v1" });
    assert.deepEqual(service.listPodSandbox(create(ListPodSandboxRequestSchema, {})), { items: [] });
  });

  it("has a method for every RPC of both services, answering as its module does: at once, a promise or a stream", async () => {
    for (const m of [...RuntimeService.methods, ...ImageServiceDesc.methods]) assert.equal(typeof (service as unknown as Record<string, unknown>)[m.localName], "function", m.localName);
    // A request the edge refuses: a rejected promise from a promise RPC, a throw from an immediate one, a failed first step from a stream.
    const invalid = (e: unknown) => (e as { code?: string }).code === "InvalidArgument";
    const pending = service.execSync(create(ExecSyncRequestSchema, { containerId: "c", cmd: ["true"], timeout: -1n }));
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending, invalid);
    assert.throws(() => service.updateRuntimeConfig(create(UpdateRuntimeConfigRequestSchema, { runtimeConfig: { networkConfig: { podCidr: "not a cidr" } } })), invalid);
    const stream = service.streamContainers({ $typeName: "example.NotACriRequest" } as never);
    await assert.rejects(stream.next(), invalid);
  });

  it("plugs into a Connect router through handlers()", async () => {
    const transport = transportOf(service);
    const rt = createClient(RuntimeService, transport);
    const img = createClient(ImageServiceDesc, transport);
    assert.equal((await rt.version({})).runtimeName, "crikit");
    assert.equal((await rt.runtimeConfig({})).linux?.cgroupDriver, CgroupDriver.CGROUPFS);
    const st = await rt.status({});
    const net = st.status?.conditions.find((c) => c.type === "NetworkReady");
    assert.equal(net?.status, false, "no CNI configuration: the network is not ready");
    assert.equal(net?.reason, "NetworkPluginNotReady");
    assert.deepEqual(st.runtimeHandlers.map((h) => h.name), ["", "runc"]);
    assert.deepEqual((await rt.listContainers({})).containers, []);
    assert.deepEqual((await rt.listContainerStats({})).stats, [], "stats of no containers is an empty list, not an error");
    assert.deepEqual((await rt.listPodSandboxStats({})).stats, []);
    assert.deepEqual((await rt.listPodSandboxMetrics({})).podMetrics, [], "metrics of no pods is an empty list");
    assert.ok((await rt.listMetricDescriptors({})).descriptors.some((d) => d.name === "container_cpu_usage_seconds_total"));
    assert.deepEqual((await img.listImages({})).images, []);
    assert.equal((await img.imageStatus({ image: { image: "example.com/absent:1" } })).image, undefined);
  });

  const errors = [
    { desc: "Exec is unimplemented", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.exec({ containerId: "x", cmd: ["sh"], stdout: true }), code: Code.Unimplemented },
    { desc: "ContainerStats of an unknown ID is NotFound", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.containerStats({ containerId: "x" }), code: Code.NotFound },
    { desc: "PodSandboxStats of an unknown ID is NotFound", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.podSandboxStats({ podSandboxId: "x" }), code: Code.NotFound },
    { desc: "CheckpointContainer is unimplemented", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.checkpointContainer({ containerId: "x" }), code: Code.Unimplemented },
    { desc: "ContainerStatus of an unknown ID is NotFound", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.containerStatus({ containerId: "abc" }), code: Code.NotFound },
    { desc: "an empty pod ID is InvalidArgument", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.podSandboxStatus({ podSandboxId: "" }), code: Code.InvalidArgument },
    { desc: "an unknown runtime handler is InvalidArgument", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.runPodSandbox({ config: { metadata: { name: "p", namespace: "n", uid: "u" } }, runtimeHandler: "nope" }), code: Code.InvalidArgument },
    { desc: "missing sandbox metadata is InvalidArgument", call: (rt: ReturnType<typeof createClient<typeof RuntimeService>>) => rt.runPodSandbox({ config: {} }), code: Code.InvalidArgument },
  ];
  for (const e of errors) {
    it(`answers: ${e.desc}`, async () => {
      const rt = createClient(RuntimeService, transportOf(service));
      await assert.rejects(e.call(rt), (err: unknown) => {
        assert.ok(err instanceof ConnectError);
        assert.equal(err.code, e.code, err.message);
        return true;
      });
    });
  }
});
