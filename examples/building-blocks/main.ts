/**
 * The building blocks in use, without any I/O: name a pod and a container,
 * reserve the names, keep the objects in stores, look one up by ID prefix,
 * generate the container's OCI spec from its CRI config, and read the
 * resources back as the CRI reports them. Run it with
 * `node --import tsx examples/building-blocks/main.ts`.
 */
import {
  ContainerStore,
  cri,
  Registrar,
  SandboxStore,
  generateContainerSpec,
  generateId,
  makeContainerName,
  makeSandboxName,
  newContainerStatus,
  newSandboxStatus,
  passthroughAnnotations,
  resourcesFromSpec,
} from "crikit";
import { create } from "@bufbuild/protobuf";

const pod = { name: "web", namespace: "default", uid: "7f3c", attempt: 0 };
const ctr = { name: "nginx", attempt: 1 };
const sandboxConfig = create(cri.PodSandboxConfigSchema, { metadata: pod, annotations: { "example.com/team": "web" } });
const containerConfig = create(cri.ContainerConfigSchema, {
  metadata: ctr,
  image: { image: "docker.io/library/nginx:latest" },
  command: ["nginx"],
  args: ["-g", "daemon off;"],
  envs: [{ key: "MODE", value: new TextEncoder().encode("production") }],
  linux: { resources: { cpuQuota: 50_000n, cpuPeriod: 100_000n, memoryLimitInBytes: 256n << 20n } },
});

// Names: what the kubelet's pod and container are called inside the runtime.
const sandboxId = generateId();
const containerId = generateId();
const names = new Registrar();
names.reserve(makeSandboxName(pod), sandboxId); // "web_default_7f3c_0"
names.reserve(makeContainerName(ctr, pod), containerId); // "nginx_web_default_7f3c_1"

// Stores: immutable metadata, status changed only through update().
const sandboxes = new SandboxStore();
const containers = new ContainerStore();
const now = BigInt(Date.now()) * 1_000_000n;
sandboxes.add(sandboxId, { name: makeSandboxName(pod), config: sandboxConfig, runtimeHandler: "" }, newSandboxStatus(now));
containers.add(
  containerId,
  { name: makeContainerName(ctr, pod), sandboxId, config: containerConfig, imageRef: "", logPath: "/var/log/pods/web/nginx/1.log" },
  newContainerStatus(now),
);
const found = containers.get(containerId.slice(0, 8)); // a unique prefix resolves

// Spec: the OCI config.json runc would run for a CreateContainer request.
const spec = generateContainerSpec({
  id: containerId,
  sandboxId,
  rootfsPath: "/run/crikit/containers/rootfs",
  config: containerConfig,
  sandboxConfig,
  podAnnotationPatterns: ["example.com/*"],
  namespacePaths: { network: "/var/run/netns/web", ipc: "/proc/1234/ns/ipc", uts: "/proc/1234/ns/uts", pid: "/proc/1234/ns/pid" },
});

// Status: the spec's resources as ContainerStatus reports them.
const resources = resourcesFromSpec(spec);

console.log(
  JSON.stringify(
    {
      names: [makeSandboxName(pod), makeContainerName(ctr, pod)],
      found: found.id === containerId,
      args: spec.process?.args,
      passedThrough: passthroughAnnotations({ "example.com/team": "web", other: "x" }, ["example.com/*"]),
      memoryLimit: resources?.linux?.memoryLimitInBytes.toString(),
      cpuQuota: resources?.linux?.cpuQuota.toString(),
    },
    null,
    1,
  ),
);
