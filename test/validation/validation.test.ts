/**
 * Request validation (src/validation): every bad-input class of issue 16 is
 * InvalidArgument naming the field and what is accepted; good requests pass.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import {
  cri,
  isCrikitError,
  MIN_MEMORY_LIMIT_BYTES,
  parseCpuset,
  validateCriRequest,
  validateLinuxResources,
  validateLogPath,
  type ValidationHost,
} from "../../src/index.js";

const host: ValidationHost = { hugepageSizes: ["2MB", "1GB"], onlineCpus: "0-1", onlineMems: "0", cgroupV2: false };
const podMeta = { name: "p", namespace: "n", uid: "u", attempt: 0 };

function pod(config: Record<string, unknown> = {}): cri.RunPodSandboxRequest {
  return create(cri.RunPodSandboxRequestSchema, { config: { metadata: podMeta, logDirectory: "/var/log/pods/n_p_u", ...config } as never });
}

function ctr(config: Record<string, unknown> = {}): cri.CreateContainerRequest {
  return create(cri.CreateContainerRequestSchema, {
    podSandboxId: "abc",
    config: { metadata: { name: "c" }, image: { image: "busybox" }, command: ["sh"], logPath: "c/0.log", ...config } as never,
  });
}

function resources(r: Record<string, unknown>): cri.CreateContainerRequest {
  return ctr({ linux: { resources: r } });
}

function rejects(fn: () => void, field: string, match?: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.ok(isCrikitError(err), `expected a CrikitError, got ${String(err)}`);
    assert.equal(err.code, "InvalidArgument", err.message);
    assert.equal(err.details["field"], field, err.message);
    assert.ok(err.message.includes(field), `the message names ${field}: ${err.message}`);
    if (match) assert.match(err.message, match);
    return;
  }
  assert.fail(`expected InvalidArgument for ${field}`);
}

const I64_MAX = (1n << 63n) - 1n;

describe("validateCriRequest", () => {
  const bad: Array<{ desc: string; req: () => { $typeName: string }; field: string; match?: RegExp }> = [
    { desc: "a log_path climbing out of the log directory", req: () => ctr({ logPath: "../../../../etc/crikit-escape" }), field: "config.log_path", match: /inside the pod's log_directory/ },
    { desc: "an absolute log_path", req: () => ctr({ logPath: "/etc/passwd" }), field: "config.log_path", match: /absolute/ },
    { desc: "a log_path with a .. in the middle", req: () => ctr({ logPath: "c/../../x.log" }), field: "config.log_path" },
    { desc: "a log_path component past NAME_MAX", req: () => ctr({ logPath: "x".repeat(300) }), field: "config.log_path", match: /255 bytes/ },
    { desc: "a log_path with a colon (conmon splits there)", req: () => ctr({ logPath: "::1" }), field: "config.log_path", match: /":"/ },
    { desc: "a log_directory with a colon", req: () => pod({ logDirectory: "/var/log/pods/a:b" }), field: "config.log_directory" },
    { desc: "a log_path ending in /", req: () => ctr({ logPath: "c/" }), field: "config.log_path" },
    { desc: "a relative log_directory", req: () => pod({ logDirectory: "logs/p" }), field: "config.log_directory", match: /absolute/ },
    { desc: "a log_directory with ..", req: () => pod({ logDirectory: "/var/log/pods/../../etc" }), field: "config.log_directory" },
    { desc: "cpu_shares -1", req: () => resources({ cpuShares: -1n }), field: "config.linux.resources.cpu_shares", match: /2\.\.262144/ },
    { desc: "cpu_shares 1", req: () => resources({ cpuShares: 1n }), field: "config.linux.resources.cpu_shares" },
    { desc: "cpu_shares above 262144", req: () => resources({ cpuShares: 262145n }), field: "config.linux.resources.cpu_shares" },
    { desc: "cpu_quota 999", req: () => resources({ cpuQuota: 999n }), field: "config.linux.resources.cpu_quota", match: /1000\.\.17592186044415/ },
    { desc: "cpu_quota -2", req: () => resources({ cpuQuota: -2n }), field: "config.linux.resources.cpu_quota" },
    { desc: "cpu_quota 2^63-1 (above the kernel's 2^44-1)", req: () => resources({ cpuQuota: I64_MAX }), field: "config.linux.resources.cpu_quota", match: /9223372036854775807/ },
    { desc: "cpu_period 999", req: () => resources({ cpuPeriod: 999n }), field: "config.linux.resources.cpu_period" },
    { desc: "cpu_period 1000001", req: () => resources({ cpuPeriod: 1_000_001n }), field: "config.linux.resources.cpu_period" },
    { desc: "memory_limit_in_bytes 1", req: () => resources({ memoryLimitInBytes: 1n }), field: "config.linux.resources.memory_limit_in_bytes", match: /6291456/ },
    { desc: "memory_limit_in_bytes -1", req: () => resources({ memoryLimitInBytes: -1n }), field: "config.linux.resources.memory_limit_in_bytes" },
    { desc: "a swap limit below the memory limit", req: () => resources({ memoryLimitInBytes: 64n << 20n, memorySwapLimitInBytes: 32n << 20n }), field: "config.linux.resources.memory_swap_limit_in_bytes" },
    { desc: "a swap limit without a memory limit", req: () => resources({ memorySwapLimitInBytes: 64n << 20n }), field: "config.linux.resources.memory_swap_limit_in_bytes" },
    { desc: "oom_score_adj 99999", req: () => resources({ oomScoreAdj: 99999n }), field: "config.linux.resources.oom_score_adj", match: /-1000\.\.1000/ },
    { desc: "oom_score_adj -1001", req: () => resources({ oomScoreAdj: -1001n }), field: "config.linux.resources.oom_score_adj" },
    { desc: "a malformed cpuset", req: () => resources({ cpusetCpus: "0-" }), field: "config.linux.resources.cpuset_cpus" },
    { desc: "a descending cpuset range", req: () => resources({ cpusetCpus: "3-1" }), field: "config.linux.resources.cpuset_cpus" },
    { desc: "a CPU the host does not have", req: () => resources({ cpusetCpus: "0,7" }), field: "config.linux.resources.cpuset_cpus", match: /7/ },
    { desc: "a memory node the host does not have", req: () => resources({ cpusetMems: "1" }), field: "config.linux.resources.cpuset_mems" },
    { desc: "a malformed huge page size", req: () => resources({ hugepageLimits: [{ pageSize: "2M", limit: 1n }] }), field: "config.linux.resources.hugepage_limits[0].page_size" },
    { desc: "a huge page size the host lacks", req: () => resources({ hugepageLimits: [{ pageSize: "16GB", limit: 1n }] }), field: "config.linux.resources.hugepage_limits[0].page_size", match: /"2MB", "1GB"/ },
    { desc: "unified on a cgroup v1 host", req: () => resources({ unified: { "memory.high": "1" } }), field: "config.linux.resources.unified" },
    { desc: "pod overhead out of range", req: () => pod({ linux: { overhead: { cpuShares: 1n } } }), field: "config.linux.overhead.cpu_shares" },
    { desc: "UpdateContainerResources out of range", req: () => create(cri.UpdateContainerResourcesRequestSchema, { containerId: "x", linux: { oomScoreAdj: 5000n } }), field: "linux.oom_score_adj" },
    { desc: "UpdatePodSandboxResources out of range", req: () => create(cri.UpdatePodSandboxResourcesRequestSchema, { podSandboxId: "x", resources: { cpuPeriod: 5n } }), field: "resources.cpu_period" },
    { desc: "an unknown network namespace mode", req: () => pod({ linux: { securityContext: { namespaceOptions: { network: 99 } } } }), field: "config.linux.security_context.namespace_options.network", match: /NamespaceMode.*POD \(0\)/ },
    { desc: "an unknown mount propagation", req: () => ctr({ mounts: [{ containerPath: "/a", hostPath: "/tmp", propagation: 99 }] }), field: "config.mounts[0].propagation", match: /PROPAGATION_PRIVATE/ },
    { desc: "an unknown port protocol", req: () => pod({ portMappings: [{ protocol: 7, containerPort: 80 }] }), field: "config.port_mappings[0].protocol", match: /TCP/ },
    { desc: "an unknown stop signal", req: () => ctr({ stopSignal: 1000 }), field: "config.stop_signal" },
    { desc: "an unknown state in a list filter", req: () => create(cri.ListContainersRequestSchema, { filter: { state: { state: 42 as never } } }), field: "filter.state.state" },
    { desc: "a NUL byte in a pod name", req: () => pod({ metadata: { ...podMeta, name: "a\0b" } }), field: "config.metadata.name", match: /NUL/ },
    { desc: "a NUL byte in an argument", req: () => ctr({ args: ["ok", "a\0b"] }), field: "config.args[1]", match: /NUL/ },
    { desc: "a NUL byte in an env value", req: () => ctr({ envs: [{ key: "K", value: new Uint8Array([65, 0, 66]) }] }), field: "config.envs[0].value" },
    { desc: "a NUL byte in a label value", req: () => pod({ labels: { app: "x\0" } }), field: 'config.labels["app"]' },
    { desc: "a NUL byte in an annotation key", req: () => ctr({ annotations: { "a\0": "x" } }), field: "config.annotations key \"a\\u0000\"" },
    { desc: "a NUL byte in a host path", req: () => ctr({ mounts: [{ containerPath: "/a", hostPath: "/tmp\0x" }] }), field: "config.mounts[0].host_path" },
    { desc: "a NUL byte in an image name", req: () => create(cri.PullImageRequestSchema, { image: { image: "busybox\0" } }), field: "image.image" },
    { desc: "an env key with =", req: () => ctr({ envs: [{ key: "A=B", value: new Uint8Array() }] }), field: "config.envs[0].key" },
    { desc: "a relative working_dir", req: () => ctr({ workingDir: "srv" }), field: "config.working_dir" },
    { desc: "a relative mount container_path", req: () => ctr({ mounts: [{ containerPath: "a", hostPath: "/tmp" }] }), field: "config.mounts[0].container_path" },
    { desc: "an empty mount host_path", req: () => ctr({ mounts: [{ containerPath: "/a" }] }), field: "config.mounts[0].host_path" },
    { desc: "a relative masked path", req: () => ctr({ linux: { securityContext: { maskedPaths: ["proc/kcore"] } } }), field: "config.linux.security_context.masked_paths[0]" },
    { desc: "a negative run_as_user", req: () => ctr({ linux: { securityContext: { runAsUser: { value: -1n } } } }), field: "config.linux.security_context.run_as_user.value" },
    { desc: "a run_as_user past uint32", req: () => ctr({ linux: { securityContext: { runAsUser: { value: 1n << 40n } } } }), field: "config.linux.security_context.run_as_user.value" },
    { desc: "a host port without a container port", req: () => pod({ portMappings: [{ hostPort: 8080 }] }), field: "config.port_mappings[0].container_port" },
    { desc: "a port past 65535", req: () => pod({ portMappings: [{ containerPort: 70000 }] }), field: "config.port_mappings[0].container_port" },
    { desc: "a host_ip that is not an IP", req: () => pod({ portMappings: [{ containerPort: 80, hostIp: "localhost" }] }), field: "config.port_mappings[0].host_ip" },
    { desc: "a DNS server that is not an IP", req: () => pod({ dnsConfig: { servers: ["dns.example"] } }), field: "config.dns_config.servers[0]" },
    { desc: "a DNS search with a line break", req: () => pod({ dnsConfig: { searches: ["a\nnameserver 6.6.6.6"] } }), field: "config.dns_config.searches[0]" },
    { desc: "a hostname with a line break", req: () => pod({ hostname: "a\nb" }), field: "config.hostname" },
    { desc: "a hostname past 64 bytes", req: () => pod({ hostname: "h".repeat(65) }), field: "config.hostname" },
    { desc: "a sysctl that is not namespaced", req: () => pod({ linux: { sysctls: { "vm.swappiness": "1" } } }), field: 'config.linux.sysctls["vm.swappiness"]' },
    { desc: "a net sysctl with host network", req: () => pod({ linux: { sysctls: { "net.ipv4.ip_forward": "1" }, securityContext: { namespaceOptions: { network: cri.NamespaceMode.NODE } } } }), field: 'config.linux.sysctls["net.ipv4.ip_forward"]' },
    { desc: "a cgroup_parent with ..", req: () => pod({ linux: { cgroupParent: "/kubepods/../../x" } }), field: "config.linux.cgroup_parent" },
    { desc: "a negative ExecSync timeout", req: () => create(cri.ExecSyncRequestSchema, { containerId: "x", cmd: ["true"], timeout: -1n }), field: "timeout" },
    { desc: "an ExecSync timeout past Node's timers", req: () => create(cri.ExecSyncRequestSchema, { containerId: "x", cmd: ["true"], timeout: I64_MAX }), field: "timeout" },
    { desc: "a port-forward port of 0", req: () => create(cri.PortForwardRequestSchema, { podSandboxId: "x", port: [80, 0] }), field: "port[1]" },
    { desc: "a pod CIDR that is not a CIDR", req: () => create(cri.UpdateRuntimeConfigRequestSchema, { runtimeConfig: { networkConfig: { podCidr: "10.0.0.0/33" } } }), field: "runtime_config.network_config.pod_cidr" },
  ];
  for (const c of bad) {
    it(`refuses ${c.desc}`, () => rejects(() => validateCriRequest(c.req(), host), c.field, c.match));
  }

  const good: Array<{ desc: string; req: () => { $typeName: string } }> = [
    { desc: "a minimal pod", req: () => pod() },
    { desc: "a pod without a log directory", req: () => pod({ logDirectory: "" }) },
    { desc: "a container with a nested log path", req: () => ctr({ logPath: "c/0.log" }) },
    { desc: "resources at every bound", req: () => resources({ cpuShares: 2n, cpuQuota: 1000n, cpuPeriod: 1_000_000n, memoryLimitInBytes: MIN_MEMORY_LIMIT_BYTES, oomScoreAdj: -1000n, cpusetCpus: "0-1", cpusetMems: "0", hugepageLimits: [{ pageSize: "2MB", limit: 0n }] }) },
    { desc: "unlimited quota and swap", req: () => resources({ cpuQuota: -1n, memoryLimitInBytes: I64_MAX, memorySwapLimitInBytes: -1n }) },
    { desc: "a memory limit of 2^63-1 with equal swap", req: () => resources({ memoryLimitInBytes: I64_MAX, memorySwapLimitInBytes: I64_MAX }) },
    { desc: "the largest quota the kernel takes", req: () => resources({ cpuQuota: (1n << 44n) - 1n }) },
    { desc: "namespaced sysctls", req: () => pod({ linux: { sysctls: { "net.ipv4.ip_unprivileged_port_start": "0", "kernel/shm_rmid_forced": "1", "fs.mqueue.msg_max": "10" } } }) },
    { desc: "every known enum value", req: () => pod({ linux: { securityContext: { namespaceOptions: { network: cri.NamespaceMode.NODE, pid: cri.NamespaceMode.CONTAINER, ipc: cri.NamespaceMode.POD } } }, portMappings: [{ protocol: cri.Protocol.SCTP, containerPort: 1, hostPort: 65535, hostIp: "::1" }] }) },
    { desc: "an image volume", req: () => ctr({ mounts: [{ containerPath: "/data", image: { image: "busybox" }, imageSubPath: "etc" }] }) },
    { desc: "env values with any byte but NUL", req: () => ctr({ envs: [{ key: "B", value: new Uint8Array([1, 255, 10]) }] }) },
    { desc: "a list request without a filter", req: () => create(cri.ListPodSandboxRequestSchema, {}) },
  ];
  for (const c of good) {
    it(`accepts ${c.desc}`, () => validateCriRequest(c.req(), host));
  }

  it("checks syntax only when host facts are missing", () => {
    validateLinuxResources(create(cri.LinuxContainerResourcesSchema, { cpusetCpus: "0-63", hugepageLimits: [{ pageSize: "16GB", limit: 1n }], unified: { "memory.high": "max" } }), "r");
  });

  it("leaves a plain object without a type name alone", () => {
    validateCriRequest({} as { $typeName: string });
  });

  it("refuses a message type that is not runtime.v1", () => {
    assert.throws(() => validateCriRequest({ $typeName: "other.Thing" }), /not a runtime\.v1 message/);
  });
});

describe("validateLogPath and parseCpuset", () => {
  it("keeps the escape case from the issue out", () => rejects(() => validateLogPath("../../../../etc/crikit-escape"), "config.log_path"));
  it("parses cpuset lists", () => {
    assert.deepEqual([...(parseCpuset("0-2,5") ?? [])], [0, 1, 2, 5]);
    assert.equal(parseCpuset("1,,2"), undefined);
    assert.equal(parseCpuset(" 1"), undefined);
  });
});
