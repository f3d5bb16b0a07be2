/**
 * Spec generation time per container config: a typical container (a few
 * mounts and env vars, RuntimeDefault seccomp) and a large one (100 mounts,
 * 500 env vars, 50 devices, many capabilities), plus the pause sandbox.
 * Pure CPU: the host and rootfs readers answer from memory.
 */
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, MountPropagation, NamespaceMode, PodSandboxConfigSchema, SecurityProfile_ProfileType } from "../src/cri.js";
import { generateContainerSpec, generateSandboxSpec, type ContainerSpecInit, type HostPathInfo, type SpecHost } from "../src/spec/index.js";
import { nsPerOp, type BenchRow } from "./harness.js";

export const title = "spec";

const enc = new TextEncoder();
const passwd = enc.encode("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
const group = enc.encode("root:x:0:\napp:x:1000:\nstaff:x:50:app\n");
const dir: HostPathInfo = { type: "directory" };
const host: SpecHost = {
  readFile: () => undefined,
  stat: (p) => (p.startsWith("/dev/") ? { type: "char-device", major: 10, minor: Number(p.slice(-2)) || 1, mode: 0o666, uid: 0, gid: 0 } : dir),
  listDevices: () => [],
};
const rootfs = { readFile: (p: string) => (p === "/etc/passwd" ? passwd : p === "/etc/group" ? group : undefined) };

const sandboxConfig = create(PodSandboxConfigSchema, {
  metadata: { name: "web", namespace: "default", uid: "0b8a7f", attempt: 0 },
  hostname: "web-0",
  logDirectory: "/var/log/pods/default_web_0b8a7f",
  linux: { cgroupParent: "/kubepods/burstable/pod0b8a7f", sysctls: { "net.ipv4.ip_unprivileged_port_start": "0" } },
  annotations: { "kubernetes.io/config.source": "api" },
});

function input(config: ContainerSpecInit["config"]): ContainerSpecInit {
  return {
    id: "a".repeat(64),
    sandboxId: "b".repeat(64),
    rootfsPath: "/run/crikit/containers/a/rootfs",
    sandboxPid: 4242,
    rootfs,
    host,
    imageConfig: { Entrypoint: ["/docker-entrypoint.sh"], Cmd: ["nginx", "-g", "daemon off;"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.27.0"], WorkingDir: "/" },
    imageName: "docker.io/library/nginx:1.27",
    sandboxFiles: { hostnamePath: "/run/s/hostname", hostsPath: "/run/s/hosts", resolvConfPath: "/run/s/resolv.conf", shmPath: "/run/s/shm" },
    restrictOomScoreAdj: true,
    config,
    sandboxConfig,
  };
}

const typicalInit = {
  metadata: { name: "nginx", attempt: 0 },
  image: { image: "sha256:" + "c".repeat(64) },
  envs: Array.from({ length: 10 }, (_, i) => ({ key: `KUBE_ENV_${i}`, value: enc.encode(`value-${i}`) })),
  mounts: [
    { containerPath: "/var/run/secrets/kubernetes.io/serviceaccount", hostPath: "/var/lib/kubelet/pods/x/volumes/token", readonly: true },
    { containerPath: "/etc/nginx/conf.d", hostPath: "/var/lib/kubelet/pods/x/volumes/config", readonly: true },
    { containerPath: "/dev/termination-log", hostPath: "/var/lib/kubelet/pods/x/containers/nginx/abc" },
  ],
  logPath: "nginx/0.log",
  linux: {
    resources: { cpuPeriod: 100000n, cpuQuota: 50000n, cpuShares: 512n, memoryLimitInBytes: 268435456n, oomScoreAdj: 999n },
    securityContext: {
      namespaceOptions: { pid: NamespaceMode.CONTAINER },
      seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault },
      runAsUser: { value: 1000n },
      maskedPaths: ["/proc/acpi", "/proc/kcore", "/proc/keys"],
      readonlyPaths: ["/proc/bus", "/proc/sys"],
    },
  },
} satisfies ContainerSpecInit["config"];
const typical = create(ContainerConfigSchema, typicalInit);

const large = create(ContainerConfigSchema, {
  ...typicalInit,
  envs: Array.from({ length: 500 }, (_, i) => ({ key: `ENV_${i}`, value: enc.encode(`some-longer-value-${i}-${"x".repeat(40)}`) })),
  mounts: Array.from({ length: 100 }, (_, i) => ({
    containerPath: `/data/vol${i % 10}/sub${i}`,
    hostPath: `/var/lib/kubelet/pods/x/volumes/v${i}`,
    readonly: i % 2 === 0,
    propagation: i % 7 === 0 ? MountPropagation.PROPAGATION_HOST_TO_CONTAINER : MountPropagation.PROPAGATION_PRIVATE,
  })),
  devices: Array.from({ length: 50 }, (_, i) => ({ containerPath: `/dev/dev${String(i).padStart(2, "0")}`, hostPath: `/dev/dev${String(i).padStart(2, "0")}`, permissions: "rw" })),
  linux: {
    ...typicalInit.linux,
    securityContext: {
      ...typicalInit.linux.securityContext,
      capabilities: { addCapabilities: ["NET_ADMIN", "SYS_PTRACE", "SYS_ADMIN"], dropCapabilities: ["MKNOD"] },
      supplementalGroups: Array.from({ length: 32 }, (_, i) => BigInt(2000 + i)),
    },
  },
});

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const opts = quick ? { batches: 5, opsPerBatch: 200 } : { batches: 30, opsPerBatch: 1000 };
  const typicalInput = input(typical);
  const largeInput = input(large);
  const rows = [
    nsPerOp("generateContainerSpec, typical (3 mounts, 10 env, RuntimeDefault seccomp)", () => generateContainerSpec(typicalInput), opts),
    nsPerOp("generateContainerSpec, large (100 mounts, 500 env, 50 devices)", () => generateContainerSpec(largeInput), quick ? opts : { batches: 20, opsPerBatch: 200 }),
    nsPerOp("generateSandboxSpec (pause)", () => generateSandboxSpec({ id: "b".repeat(64), rootfsPath: "/run/crikit/s/rootfs", rootfs, config: sandboxConfig, restrictOomScoreAdj: true }), opts),
  ];
  const bytes = JSON.stringify(generateContainerSpec(typicalInput)).length;
  const largeBytes = JSON.stringify(generateContainerSpec(largeInput)).length;
  rows[0] = { ...rows[0]!, note: `config.json ${bytes} bytes` };
  rows[1] = { ...rows[1]!, note: `config.json ${largeBytes} bytes` };
  return rows;
}
