/**
 * The service's orchestration without root: RunPodSandbox and
 * CreateContainer roll back newest first whichever step fails, late results
 * are kept for the retry and hidden meanwhile, and recovery decides what an
 * object is after a restart. The service runs on real implementations of
 * its interfaces that need no privileges (test/helpers/rootless.ts):
 * containers are host processes, network namespaces are files, the image
 * rootfs is a directory, the sandbox is a directory
 * (`createDirSandboxController`).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  ContainerState,
  CreateContainerRequestSchema,
  ListContainersRequestSchema,
  ListPodSandboxRequestSchema,
  NamespaceMode,
  PodSandboxState,
  PodSandboxStatusRequestSchema,
  RemoveContainerRequestSchema,
  StopContainerRequestSchema,
  UpdateContainerResourcesRequestSchema,
  ContainerStatusRequestSchema,
  RunPodSandboxRequestSchema,
  StartContainerRequestSchema,
  type RunPodSandboxRequest,
} from "../../src/cri.js";
import { resolveDaemonConfig } from "../../src/config/index.js";
import { createObjectDirs } from "../../src/naming/index.js";
import type { SandboxController } from "../../src/runtime/index.js";
import { createDirSandboxController } from "../../src/sandbox/index.js";
import { CriService, RecordDir, createDirRootfsReader, createNodeSpecHost, type ResolvedHandler } from "../../src/server/index.js";
import { StatsCollector } from "../../src/stats/index.js";
import { DirImages, DirNetwork, DirRuntime } from "../helpers/rootless.js";

interface Rig {
  dir: string;
  runtime: DirRuntime;
  network: DirNetwork;
  images: DirImages;
  service: CriService;
}

/** A service over the rootless implementations in `dir` (a second call over the same `dir` is a restart). */
async function rig(dir: string, sandboxes: SandboxController = createDirSandboxController()): Promise<Rig> {
  // The handler is given, not configured: the service resolves a pod's handler among the ones it was given.
  const config = { ...resolveDaemonConfig({ root: join(dir, "root"), state: join(dir, "state"), socket: join(dir, "s.sock") }), default_runtime: "dir" };
  const runtime = new DirRuntime(join(dir, "runtime"));
  const network = new DirNetwork(join(dir, "netns"));
  const images = new DirImages();
  const handler: ResolvedHandler = {
    name: "dir",
    runtime,
    sandboxes,
    type: "io.crikit.test.dir",
    rootfsHeldByRuntime: false,
    options: {},
    podAnnotations: [],
    containerAnnotations: [],
    cgroupDriver: "cgroupfs",
  };
  const service = new CriService({
    config,
    handlers: new Map([["dir", handler]]),
    network,
    images,
    dirs: createObjectDirs({ rootDir: config.root, stateDir: config.state }),
    records: { sandboxes: new RecordDir(join(config.root, "records", "sandboxes")), containers: new RecordDir(join(config.root, "records", "containers")) },
    env: { host: createNodeSpecHost(), hostCapabilities: [], oomScoreAdj: 0, swapController: false, rlimits: [], nodeHostname: () => "node", rootfsReader: createDirRootfsReader },
    stats: new StatsCollector(),
  });
  await service.recover();
  return { dir, runtime, network, images, service };
}

/** A pod in the host IPC namespace (no shm tmpfs to mount) with its own network. */
function podRequest(name: string, extra: Record<string, string> = {}): RunPodSandboxRequest {
  return create(RunPodSandboxRequestSchema, {
    config: { metadata: { name, namespace: "ns", uid: `uid-${name}` }, labels: extra, linux: { securityContext: { namespaceOptions: { ipc: NamespaceMode.NODE } } } },
  });
}

function containerRequest(podSandboxId: string, name: string, args = ["sleep", "30"]) {
  return create(CreateContainerRequestSchema, { podSandboxId, config: { metadata: { name }, image: { image: "example.com/app:1" }, command: args } });
}

const dirs: string[] = [];
async function fresh(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "crikit-orch-"));
  dirs.push(d);
  return d;
}
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("RunPodSandbox rolls back newest first", () => {
  const cases = [
    { desc: "a failed netns leaves nothing to undo but the name", fail: "netns", journal: [] },
    { desc: "a failed CNI ADD removes the netns", fail: "add", journal: ["netns create", "netns remove"] },
  ];
  for (const c of cases) {
    it(c.desc, async () => {
      const r = await rig(await fresh());
      r.network.failNext.add(c.fail);
      await assert.rejects(r.service.runPodSandbox(podRequest("web")), /injected failure/);
      assert.deepEqual(r.network.journal, c.journal);
      assert.deepEqual(r.service.listPodSandbox(create(ListPodSandboxRequestSchema, {})).items, []);
      assert.deepEqual(await readdir(join(r.dir, "state", "sandboxes")).catch(() => []), [], "no sandbox dir is left");
      // The name was released: the same request now succeeds.
      const { podSandboxId } = await r.service.runPodSandbox(podRequest("web"));
      assert.ok(podSandboxId);
      await r.service.close();
    });
  }

  it("a failed sandbox tears the pod network down before it removes the netns", async () => {
    const failing: SandboxController = { ...createDirSandboxController(), start: async () => Promise.reject(new Error("injected failure: sandbox")) };
    const r = await rig(await fresh(), failing);
    await assert.rejects(r.service.runPodSandbox(podRequest("db")), /injected failure: sandbox/);
    assert.deepEqual(r.network.journal, ["netns create", "cni add", "cni del", "netns remove"]);
    await r.service.close();
  });
});

describe("CreateContainer rolls back newest first", () => {
  const cases = [
    { desc: "a failed rootfs mount removes the writable layer and the bundle", fail: ["images", "mount"], images: [], runtime: [] },
  ] as const;
  for (const c of cases) {
    it(c.desc, async () => {
      const r = await rig(await fresh());
      const podSandboxId = (await r.service.runPodSandbox(podRequest("web"))).podSandboxId ?? "";
      (c.fail[0] === "images" ? r.images : r.runtime).failNext.add(c.fail[1]);
      await assert.rejects(r.service.createContainer(containerRequest(podSandboxId, "app")), /injected failure/);
      assert.deepEqual(r.images.journal, c.images);
      assert.deepEqual(r.runtime.journal, c.runtime);
      assert.deepEqual(await readdir(join(r.dir, "state", "containers")).catch(() => []), [], "no bundle is left");
      assert.deepEqual(await readdir(join(r.dir, "root", "containers")).catch(() => []), [], "no writable layer is left");
      // The name was released.
      const { containerId } = await r.service.createContainer(containerRequest(podSandboxId, "app"));
      assert.ok(containerId);
      await r.service.close();
    });
  }
});

describe("the runtime creates a container at its first start", () => {
  const ctrState = async (r: Rig, id: string) => (await r.service.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }))).status;

  it("CreateContainer asks nothing of the runtime; StartContainer creates and starts it there", async () => {
    const r = await rig(await fresh());
    const podSandboxId = (await r.service.runPodSandbox(podRequest("web"))).podSandboxId ?? "";
    const id = (await r.service.createContainer(containerRequest(podSandboxId, "app"))).containerId ?? "";
    assert.deepEqual(r.runtime.journal, [], "no runtime call at create");
    assert.equal(r.images.journal.filter((j) => j === "mount").length, 1, "the rootfs is mounted at create");
    assert.equal((await ctrState(r, id))?.state, ContainerState.CONTAINER_CREATED);
    await r.service.startContainer(create(StartContainerRequestSchema, { containerId: id }));
    assert.deepEqual(r.runtime.journal, [`create ${id}`, `start ${id}`]);
    assert.equal((await ctrState(r, id))?.state, ContainerState.CONTAINER_RUNNING);
    await r.service.close();
    r.runtime.killAll();
  });

  it("a failed runtime create is a StartError; RemoveContainer then unmounts the rootfs, asking nothing of the runtime", async () => {
    const r = await rig(await fresh());
    const podSandboxId = (await r.service.runPodSandbox(podRequest("web"))).podSandboxId ?? "";
    const id = (await r.service.createContainer(containerRequest(podSandboxId, "app"))).containerId ?? "";
    r.runtime.failNext.add("create");
    await assert.rejects(r.service.startContainer(create(StartContainerRequestSchema, { containerId: id })), /injected failure/);
    const st = await ctrState(r, id);
    assert.equal(st?.state, ContainerState.CONTAINER_EXITED);
    assert.equal(st?.reason, "StartError");
    assert.equal(st?.exitCode, 128);
    await r.service.removeContainer(create(RemoveContainerRequestSchema, { containerId: id }));
    assert.deepEqual(r.images.journal, ["mount", "unmount"]);
    assert.deepEqual(r.runtime.journal, [], "a failed create leaves nothing in the runtime (its contract): nothing to remove there");
    assert.deepEqual(await readdir(join(r.dir, "state", "containers")), [], "no bundle is left");
    await r.service.close();
  });

  it("a container stopped, updated or removed before its start never reaches the runtime", async () => {
    const r = await rig(await fresh());
    const podSandboxId = (await r.service.runPodSandbox(podRequest("web"))).podSandboxId ?? "";
    const updated = (await r.service.createContainer(containerRequest(podSandboxId, "updated"))).containerId ?? "";
    await r.service.updateContainerResources(create(UpdateContainerResourcesRequestSchema, { containerId: updated, linux: { cpuShares: 512n, memoryLimitInBytes: 64n << 20n } }));
    const spec = JSON.parse(await readFile(join(r.dir, "state", "containers", updated, "config.json"), "utf8")) as { linux?: { resources?: { memory?: { limit?: number }; cpu?: { shares?: number } } } };
    assert.equal(spec.linux?.resources?.memory?.limit, 64 << 20, "the new limit is in the bundle's spec the runtime creates it from");
    assert.equal(spec.linux?.resources?.cpu?.shares, 512);
    assert.equal((await ctrState(r, updated))?.resources?.linux?.memoryLimitInBytes, 64n << 20n);
    const stopped = (await r.service.createContainer(containerRequest(podSandboxId, "stopped"))).containerId ?? "";
    await r.service.stopContainer(create(StopContainerRequestSchema, { containerId: stopped, timeout: 0n }));
    const st = await ctrState(r, stopped);
    assert.equal(st?.state, ContainerState.CONTAINER_EXITED);
    assert.equal(st?.exitCode, 137);
    assert.equal(st?.reason, "Error");
    await r.service.removeContainer(create(RemoveContainerRequestSchema, { containerId: stopped }));
    await r.service.removeContainer(create(RemoveContainerRequestSchema, { containerId: updated }));
    assert.deepEqual(r.runtime.journal, [], "no runtime call for containers that never started");
    assert.deepEqual(r.images.journal, ["mount", "mount", "unmount", "unmount"]);
    await r.service.close();
  });

  it("a created container stays created across a restart, and starts after it", async () => {
    const dir = await fresh();
    const r = await rig(dir);
    const podSandboxId = (await r.service.runPodSandbox(podRequest("web"))).podSandboxId ?? "";
    const id = (await r.service.createContainer(containerRequest(podSandboxId, "app"))).containerId ?? "";
    await r.service.close();
    const again = await rig(dir);
    assert.equal((await ctrState(again, id))?.state, ContainerState.CONTAINER_CREATED, "not lost: its runtime was never meant to know it yet");
    await again.service.startContainer(create(StartContainerRequestSchema, { containerId: id }));
    assert.equal((await ctrState(again, id))?.state, ContainerState.CONTAINER_RUNNING);
    assert.deepEqual(again.runtime.journal, [`create ${id}`, `start ${id}`]);
    await again.service.close();
    again.runtime.killAll();
  });
});

describe("late results", () => {
  it("a create that finishes after the client gave up is hidden, and the same request gets its ID", async () => {
    const r = await rig(await fresh());
    const gone = AbortSignal.abort();
    await assert.rejects(r.service.runPodSandbox(podRequest("web"), { signal: gone }), (e: unknown) => (e as { code?: string }).code === "DeadlineExceeded");
    assert.deepEqual(r.service.listPodSandbox(create(ListPodSandboxRequestSchema, {})).items, [], "a parked pod is not listed");
    assert.equal(r.service.sandboxes.size, 1, "but it is kept");
    const { podSandboxId } = await r.service.runPodSandbox(podRequest("web"));
    assert.equal(r.service.sandboxes.list()[0]?.id, podSandboxId, "the retry gets the parked pod");
    assert.equal(r.service.listPodSandbox(create(ListPodSandboxRequestSchema, {})).items?.length, 1);
    await r.service.close();
  });

  it("a changed request removes the parked result and makes a new one", async () => {
    const r = await rig(await fresh());
    await assert.rejects(r.service.runPodSandbox(podRequest("web"), { signal: AbortSignal.abort() }));
    const parked = r.service.sandboxes.list()[0]?.id;
    const podSandboxId = (await r.service.runPodSandbox(podRequest("web", { changed: "yes" }))).podSandboxId ?? "";
    assert.notEqual(podSandboxId, parked);
    assert.deepEqual(r.service.sandboxes.list().map((s) => s.id), [podSandboxId]);
    await r.service.close();
  });

  it("a parked result stays parked across a restart", async () => {
    const dir = await fresh();
    const r = await rig(dir);
    await assert.rejects(r.service.runPodSandbox(podRequest("web"), { signal: AbortSignal.abort() }));
    const parked = r.service.sandboxes.list()[0]?.id;
    await r.service.close();
    const again = await rig(dir);
    assert.deepEqual(again.service.listPodSandbox(create(ListPodSandboxRequestSchema, {})).items, []);
    const { podSandboxId } = await again.service.runPodSandbox(podRequest("web"));
    assert.equal(podSandboxId, parked);
    await again.service.close();
  });
});

describe("recovery decides what each object is after a restart", () => {
  it("running, exited while the daemon was down, state lost; a pod whose sandbox is gone is not ready", async () => {
    const dir = await fresh();
    const r = await rig(dir);
    const podSandboxId = (await r.service.runPodSandbox(podRequest("web"))).podSandboxId ?? "";
    const ids: Record<string, string> = {};
    for (const [name, args] of [["runs", ["sleep", "30"]], ["exits", ["sh", "-c", "sleep 0.3; exit 7"]], ["lost", ["sleep", "30"]]] as const) {
      const id = (await r.service.createContainer(containerRequest(podSandboxId, name, [...args]))).containerId ?? "";
      ids[name] = id;
      await r.service.startContainer(create(StartContainerRequestSchema, { containerId: id }));
    }
    const lostPod = (await r.service.runPodSandbox(podRequest("gone"))).podSandboxId ?? "";
    await r.service.close();
    // While the daemon is down: one exits, one's runtime state is lost, one pod's sandbox dir goes.
    await new Promise((res) => setTimeout(res, 600));
    await rm(join(dir, "runtime", `${ids["lost"]}.json`));
    await rm(join(dir, "state", "sandboxes", lostPod), { recursive: true });
    const again = await rig(dir);
    const state = async (id: string) => (await again.service.containerStatus(create(ContainerStatusRequestSchema, { containerId: id }))).status;
    assert.equal((await state(ids["runs"] as string))?.state, ContainerState.CONTAINER_RUNNING);
    const exited = await state(ids["exits"] as string);
    assert.equal(exited?.state, ContainerState.CONTAINER_EXITED);
    assert.equal(exited?.exitCode, 7);
    const lost = await state(ids["lost"] as string);
    assert.equal(lost?.state, ContainerState.CONTAINER_EXITED);
    assert.equal(lost?.reason, "Unknown");
    const pod = async (id: string) => (await again.service.podSandboxStatus(create(PodSandboxStatusRequestSchema, { podSandboxId: id }))).status?.state;
    assert.equal(await pod(podSandboxId), PodSandboxState.SANDBOX_READY);
    assert.equal(await pod(lostPod), PodSandboxState.SANDBOX_NOTREADY);
    assert.equal(again.service.listContainers(create(ListContainersRequestSchema, {})).containers?.length, 3);
    assert.ok(existsSync(join(dir, "runtime", `${ids["runs"]}.json`)));
    await again.service.close();
    r.runtime.killAll();
  });
});

describe("RunPodSandbox records the mode the handler's controller reports", () => {
  it("a pod sharing one PID namespace asks for infra; a directory controller runs it pinned, and pinned is recorded", async () => {
    const r = await rig(await fresh());
    // The default namespace_options.pid is POD: mode `auto` asks the controller for `infra`.
    const { podSandboxId } = await r.service.runPodSandbox(podRequest("web"));
    const facts = r.service.sandboxes.get(podSandboxId ?? "").metadata.runtime;
    assert.equal(facts?.handle.mode, "pinned");
    assert.equal(facts?.mode, "pinned");
    await r.service.close();
  });
});
