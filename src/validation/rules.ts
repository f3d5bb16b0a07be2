/**
 * The value rules of CRI request fields: what the kernel, runc and the
 * CNI plugins accept, checked before anything is created so that a bad
 * value is an `InvalidArgument` naming the field, not an `Unknown` error
 * from a runtime that already half-built the object.
 *
 * The ranges, each measured on Linux 6.18 (cgroup v1) with runc 1.1.5:
 *
 * | field | accepted | why |
 * | --- | --- | --- |
 * | `cpu_shares` | 0 (unset) or 2..262144 | the kernel clamps `cpu.shares` to 2..262144; a negative value makes runc fail |
 * | `cpu_quota` | -1 (unlimited), 0 (unset) or 1000..17592186044415 | `cpu.cfs_quota_us` refuses below 1 ms and above 2^44-1 µs (EINVAL) |
 * | `cpu_period` | 0 or 1000..1000000 | `cpu.cfs_period_us` refuses outside 1 ms..1 s (EINVAL) |
 * | `memory_limit_in_bytes` | 0 or at least {@link MIN_MEMORY_LIMIT_BYTES} (6 MiB) | runc 1.1.5 fails to start a container at 2 MiB and below (its init runs in the cgroup); 6 MiB is Docker's floor and leaves room for conmon's runc and the container's first process |
 * | `memory_swap_limit_in_bytes` | 0, -1 (unlimited), or at least the memory limit (which must be set) | `memory.memsw.limit_in_bytes` below the memory limit is EINVAL |
 * | `oom_score_adj` | -1000..1000 | `/proc/PID/oom_score_adj`; anything else makes runc's init fail ("can't get final child's PID from pipe") |
 * | `cpuset_cpus`, `cpuset_mems` | a list such as `0-3,7` of CPUs / nodes the host has online | `cpuset.cpus` refuses others |
 * | `hugepage_limits[].page_size` | `<n>KB`/`MB`/`GB` the host supports (`/sys/kernel/mm/hugepages`) | runc writes `hugetlb.<size>.limit_in_bytes` |
 * | `unified` | `<controller>.<file>` keys, on a cgroup v2 host only | runc refuses `unified` on cgroup v1 |
 *
 * @packageDocumentation
 */
import { isIP } from "node:net";
import { invalidArgument } from "../errors.js";
import { NamespaceMode, type LinuxContainerResources, type Mount, type PodSandboxConfig, type ContainerConfig, type PortMapping, type DNSConfig } from "../cri.js";

/**
 * The smallest memory limit crikit passes to the OCI runtime: 6 MiB (see
 * the file header).
 *
 * @public
 */
export const MIN_MEMORY_LIMIT_BYTES = 6n * 1024n * 1024n;

/**
 * The ranges of {@link validateLinuxResources} (see the file header).
 *
 * @public
 */
export const RESOURCE_RANGES = Object.freeze({
  cpuShares: { min: 2n, max: 262_144n },
  cpuQuota: { min: 1_000n, max: (1n << 44n) - 1n },
  cpuPeriod: { min: 1_000n, max: 1_000_000n },
  oomScoreAdj: { min: -1_000n, max: 1_000n },
});

/**
 * Facts about the node that some rules need. Every field is optional; a
 * rule whose fact is missing checks syntax only.
 *
 * @public
 */
export interface ValidationHost {
  /** The smallest accepted memory limit. @defaultValue {@link MIN_MEMORY_LIMIT_BYTES} */
  memoryFloorBytes?: bigint;
  /** Huge page sizes the host supports, as the CRI writes them (`"2MB"`, `"1GB"`). */
  hugepageSizes?: readonly string[];
  /** The host's online CPUs as a cpuset list (`/sys/devices/system/cpu/online`). */
  onlineCpus?: string;
  /** The host's online memory nodes as a cpuset list (`/sys/devices/system/node/online`). */
  onlineMems?: string;
  /** Whether the host has the cgroup v2 unified hierarchy (needed by `unified`). */
  cgroupV2?: boolean;
}

function bad(field: string, message: string): never {
  throw invalidArgument(message, field);
}

function inRange(v: bigint, r: { min: bigint; max: bigint }): boolean {
  return v >= r.min && v <= r.max;
}

/**
 * Parses a cpuset list (`0-3,7`); undefined when malformed.
 *
 * @public
 */
export function parseCpuset(text: string): Set<number> | undefined {
  if (!/^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$/.test(text)) return undefined;
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const [a, b] = part.split("-");
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (hi < lo || hi > 65535) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function checkCpuset(field: string, text: string, online: string | undefined, what: string): void {
  if (text === "") return;
  const set = parseCpuset(text);
  if (set === undefined) bad(field, `${field} ${JSON.stringify(text)} is not a cpuset list; accepted: ${what} numbers and ascending ranges, comma-separated, such as "0-3,7"`);
  const have = online !== undefined ? parseCpuset(online.trim()) : undefined;
  if (have !== undefined) {
    const missing = [...set].filter((n) => !have.has(n));
    if (missing.length > 0) bad(field, `${field} ${JSON.stringify(text)} names ${what} ${missing.slice(0, 5).join(", ")}, which this host does not have online; accepted: a subset of ${JSON.stringify(online?.trim())}`);
  }
}

const HUGEPAGE_SIZE = /^[1-9][0-9]*[KMG]B$/;
const UNIFIED_KEY = /^[a-z][a-z0-9_]*\.[A-Za-z0-9_.]+$/;

/**
 * Checks CRI `LinuxContainerResources` against the ranges of the file
 * header. `field` is the path of the message in the request, such as
 * `config.linux.resources`.
 *
 * @throws `InvalidArgument` naming the field and the accepted values.
 * @public
 */
export function validateLinuxResources(r: LinuxContainerResources | undefined, field: string, host: ValidationHost = {}): void {
  if (r === undefined) return;
  const f = (n: string): string => `${field}.${n}`;
  const R = RESOURCE_RANGES;
  if (r.cpuShares !== 0n && !inRange(r.cpuShares, R.cpuShares)) bad(f("cpu_shares"), `${f("cpu_shares")} is ${r.cpuShares}; accepted: 0 (not set) or ${R.cpuShares.min}..${R.cpuShares.max}`);
  if (r.cpuQuota !== 0n && r.cpuQuota !== -1n && !inRange(r.cpuQuota, R.cpuQuota)) {
    bad(f("cpu_quota"), `${f("cpu_quota")} is ${r.cpuQuota}; accepted: 0 (not set), -1 (unlimited) or ${R.cpuQuota.min}..${R.cpuQuota.max} microseconds (the kernel's range)`);
  }
  if (r.cpuPeriod !== 0n && !inRange(r.cpuPeriod, R.cpuPeriod)) bad(f("cpu_period"), `${f("cpu_period")} is ${r.cpuPeriod}; accepted: 0 (not set) or ${R.cpuPeriod.min}..${R.cpuPeriod.max} microseconds`);
  const floor = host.memoryFloorBytes ?? MIN_MEMORY_LIMIT_BYTES;
  if (r.memoryLimitInBytes !== 0n && r.memoryLimitInBytes < floor) {
    bad(f("memory_limit_in_bytes"), `${f("memory_limit_in_bytes")} is ${r.memoryLimitInBytes}; accepted: 0 (not set) or at least ${floor} bytes (${Number(floor) / 1048576} MiB)`);
  }
  const swap = r.memorySwapLimitInBytes;
  if (swap !== 0n && swap !== -1n) {
    if (swap < 0n) bad(f("memory_swap_limit_in_bytes"), `${f("memory_swap_limit_in_bytes")} is ${swap}; accepted: 0 (not set), -1 (unlimited) or a limit at least memory_limit_in_bytes`);
    if (r.memoryLimitInBytes === 0n) bad(f("memory_swap_limit_in_bytes"), `${f("memory_swap_limit_in_bytes")} is ${swap} but memory_limit_in_bytes is not set; a memory+swap limit needs a memory limit at most as large`);
    if (swap < r.memoryLimitInBytes) bad(f("memory_swap_limit_in_bytes"), `${f("memory_swap_limit_in_bytes")} is ${swap}, below memory_limit_in_bytes ${r.memoryLimitInBytes}; it is memory plus swap, so accepted: at least the memory limit, or -1`);
  }
  if (!inRange(r.oomScoreAdj, R.oomScoreAdj)) bad(f("oom_score_adj"), `${f("oom_score_adj")} is ${r.oomScoreAdj}; accepted: ${R.oomScoreAdj.min}..${R.oomScoreAdj.max}`);
  checkCpuset(f("cpuset_cpus"), r.cpusetCpus, host.onlineCpus, "CPU");
  checkCpuset(f("cpuset_mems"), r.cpusetMems, host.onlineMems, "memory node");
  const seen = new Set<string>();
  r.hugepageLimits.forEach((h, i) => {
    const p = f(`hugepage_limits[${i}].page_size`);
    if (!HUGEPAGE_SIZE.test(h.pageSize)) bad(p, `${p} ${JSON.stringify(h.pageSize)} is not a page size; accepted: <size><KB|MB|GB> such as "2MB"`);
    if (host.hugepageSizes !== undefined && !host.hugepageSizes.includes(h.pageSize)) {
      bad(p, `${p} ${JSON.stringify(h.pageSize)} is not a huge page size of this host; accepted: ${host.hugepageSizes.map((s) => JSON.stringify(s)).join(", ") || "none (no huge pages)"}`);
    }
    if (seen.has(h.pageSize)) bad(p, `${p} ${JSON.stringify(h.pageSize)} appears twice in ${f("hugepage_limits")}`);
    seen.add(h.pageSize);
    if (h.limit > (1n << 63n) - 1n) bad(f(`hugepage_limits[${i}].limit`), `${f(`hugepage_limits[${i}].limit`)} is ${h.limit}; accepted: at most 2^63-1 bytes`);
  });
  const keys = Object.keys(r.unified);
  if (keys.length > 0) {
    if (host.cgroupV2 === false) bad(f("unified"), `${f("unified")} sets ${keys.map((k) => JSON.stringify(k)).join(", ")}, but this host has no cgroup v2 unified hierarchy; leave unified empty here`);
    for (const k of keys) {
      const p = `${f("unified")}[${JSON.stringify(k)}]`;
      if (!UNIFIED_KEY.test(k) || k.startsWith("cgroup.")) bad(p, `${p}: ${JSON.stringify(k)} is not a cgroup v2 interface file; accepted: <controller>.<file> such as "memory.high" (no "/", not cgroup.*)`);
      if (/[\n\r]/.test(r.unified[k] ?? "")) bad(p, `${p} holds a line break; accepted: a single-line value`);
    }
  }
}

function components(p: string): string[] {
  return p.split("/");
}

/**
 * Checks a pod's `log_directory`: empty (no pod log directory) or an
 * absolute path without `.` or `..` components and without `:` (conmon
 * splits its log path at colons).
 *
 * @public
 */
export function validateLogDirectory(dir: string, field = "config.log_directory"): void {
  if (dir === "") return;
  if (!dir.startsWith("/")) bad(field, `${field} ${JSON.stringify(dir)} must be an absolute path (or empty: no pod log directory)`);
  if (components(dir).some((c) => c === ".." || c === ".")) bad(field, `${field} ${JSON.stringify(dir)} has a "." or ".." component; accepted: a clean absolute path`);
  if (dir.includes(":")) bad(field, `${field} ${JSON.stringify(dir)} contains ":", which conmon reads as the end of the log path; accepted: a path without ":"`);
}

/**
 * Checks a container's `log_path`: empty, or a path relative to the pod's
 * log directory that stays inside it: not absolute, no `..` or `.`
 * component, no empty component, not ending in `/`; each component at most
 * 255 bytes (NAME_MAX) and the whole at most 1024; no `:` (conmon's
 * `--log-path driver:path` splits at every colon).
 *
 * @example
 * ```ts
 * validateLogPath("app/0.log"); // ok
 * validateLogPath("../../../../etc/crikit-escape"); // throws InvalidArgument
 * ```
 *
 * @public
 */
export function validateLogPath(logPath: string, field = "config.log_path"): void {
  if (logPath === "") return;
  const accepted = `accepted: a relative path inside the pod's log_directory, such as "app/0.log"`;
  if (logPath.startsWith("/")) bad(field, `${field} ${JSON.stringify(logPath)} is absolute; ${accepted}`);
  if (components(logPath).some((c) => c === ".." || c === "." || c === "")) bad(field, `${field} ${JSON.stringify(logPath)} has a "..", "." or empty component; ${accepted}`);
  if (components(logPath).some((c) => Buffer.byteLength(c) > 255) || Buffer.byteLength(logPath) > 1024) {
    bad(field, `${field} has a component longer than 255 bytes or is longer than 1024 bytes; ${accepted}`);
  }
  if (logPath.includes(":")) bad(field, `${field} ${JSON.stringify(logPath)} contains ":", which conmon reads as the end of the log path; ${accepted} without ":"`);
}

function checkAbsolute(field: string, p: string, what: string, allowEmpty = false): void {
  if (p === "" && allowEmpty) return;
  if (!p.startsWith("/")) bad(field, `${field} ${JSON.stringify(p)} must be an absolute ${what}`);
}

/** The id range a uid or gid may take (uint32 without the 2^32-1 "no id" value). */
const MAX_ID = 4_294_967_294n;

function checkId(field: string, v: bigint | undefined): void {
  if (v === undefined) return;
  if (v < 0n || v > MAX_ID) bad(field, `${field} is ${v}; accepted: 0..${MAX_ID}`);
}

function checkMount(m: Mount, field: string): void {
  if (m.containerPath === "") bad(`${field}.container_path`, `${field}.container_path is empty; accepted: an absolute path`);
  checkAbsolute(`${field}.container_path`, m.containerPath, "path");
  const image = m.image?.image ?? "";
  if (image === "") {
    if (m.hostPath === "") bad(`${field}.host_path`, `${field}.host_path is empty; accepted: an absolute host path (or an image volume through ${field}.image)`);
    checkAbsolute(`${field}.host_path`, m.hostPath, "path");
  } else if (m.hostPath !== "") {
    bad(`${field}.host_path`, `${field} is an image volume (${field}.image is set), so ${field}.host_path must be empty`);
  }
  if (m.imageSubPath !== "" && (m.imageSubPath.startsWith("/") || components(m.imageSubPath).includes(".."))) {
    bad(`${field}.image_sub_path`, `${field}.image_sub_path ${JSON.stringify(m.imageSubPath)} must be relative and stay inside the image (no "..")`);
  }
}

function checkPort(p: PortMapping, field: string): void {
  for (const [name, v] of [["container_port", p.containerPort], ["host_port", p.hostPort]] as const) {
    if (v < 0 || v > 65535) bad(`${field}.${name}`, `${field}.${name} is ${v}; accepted: 0..65535`);
  }
  if (p.hostPort > 0 && p.containerPort === 0) bad(`${field}.container_port`, `${field}.container_port is 0 but host_port is ${p.hostPort}; accepted: 1..65535 when a host port is mapped`);
  if (p.hostIp !== "" && isIP(p.hostIp) === 0) bad(`${field}.host_ip`, `${field}.host_ip ${JSON.stringify(p.hostIp)} is not an IP address; accepted: an IPv4 or IPv6 address, or empty for all`);
}

function checkDns(d: DNSConfig | undefined, field: string): void {
  if (d === undefined) return;
  d.servers.forEach((s, i) => {
    if (isIP(s) === 0) bad(`${field}.servers[${i}]`, `${field}.servers[${i}] ${JSON.stringify(s)} is not an IP address; accepted: IPv4 or IPv6 addresses (resolv.conf "nameserver")`);
  });
  for (const key of ["searches", "options"] as const) {
    d[key].forEach((s, i) => {
      if (s === "" || /\s/.test(s)) bad(`${field}.${key}[${i}]`, `${field}.${key}[${i}] ${JSON.stringify(s)} is empty or holds white space; accepted: one resolv.conf word`);
    });
  }
}

/** IPC-namespaced sysctls runc accepts (besides `fs.mqueue.*`). */
const IPC_SYSCTLS = new Set(["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"]);

function checkSysctls(map: Readonly<Record<string, string>>, field: string, hostNetwork: boolean, hostIpc: boolean): void {
  for (const [rawKey, value] of Object.entries(map)) {
    const p = `${field}[${JSON.stringify(rawKey)}]`;
    const key = rawKey.replaceAll("/", ".");
    if (!/^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/.test(key)) bad(p, `${p}: ${JSON.stringify(rawKey)} is not a sysctl name; accepted: dotted names such as "net.ipv4.ip_forward"`);
    if (/[\n\r]/.test(value) || value === "") bad(p, `${p} is empty or holds a line break; accepted: a one-line value`);
    if (key.startsWith("net.")) {
      if (hostNetwork) bad(p, `${p}: net.* sysctls cannot be set in a pod that uses the host network`);
    } else if (IPC_SYSCTLS.has(key) || key.startsWith("fs.mqueue.")) {
      if (hostIpc) bad(p, `${p}: IPC sysctls cannot be set in a pod that uses the host IPC namespace`);
    } else if (key !== "kernel.domainname") {
      bad(p, `${p}: ${JSON.stringify(rawKey)} is not a namespaced sysctl; accepted: net.*, fs.mqueue.*, kernel.domainname and the kernel IPC ones (${[...IPC_SYSCTLS].join(", ")})`);
    }
  }
}

function checkCgroupParent(v: string, field: string): void {
  if (v === "") return;
  if (components(v).includes("..")) bad(field, `${field} ${JSON.stringify(v)} has a ".." component; accepted: a cgroup path (cgroupfs) or a systemd slice`);
}

function checkPodCidr(v: string, field: string): void {
  if (v === "") return;
  for (const part of v.split(",").map((s) => s.trim())) {
    const m = /^(.+)\/([0-9]{1,3})$/.exec(part);
    const fam = m ? isIP(m[1] ?? "") : 0;
    if (m === null || fam === 0 || Number(m[2]) > (fam === 4 ? 32 : 128)) bad(field, `${field} ${JSON.stringify(part)} is not a CIDR; accepted: comma-separated CIDRs such as "10.244.1.0/24"`);
  }
}

/**
 * Checks a `PodSandboxConfig` (RunPodSandbox): log directory, hostname,
 * DNS, port mappings, sysctls, cgroup parent, the pod's user and groups,
 * and the pod-level resources and overhead.
 *
 * @public
 */
export function validatePodSandboxConfig(cfg: PodSandboxConfig, field = "config", host: ValidationHost = {}): void {
  validateLogDirectory(cfg.logDirectory, `${field}.log_directory`);
  if (/[\s\x00-\x1f\x7f/]/.test(cfg.hostname)) bad(`${field}.hostname`, `${field}.hostname ${JSON.stringify(cfg.hostname)} holds white space, a control character or "/"; accepted: a host name such as "web-0"`);
  if (Buffer.byteLength(cfg.hostname) > 64) {
    bad(`${field}.hostname`, `${field}.hostname is ${Buffer.byteLength(cfg.hostname)} bytes long; Linux allows at most 64: shorten it, or leave it empty to use the node's hostname`);
  }
  checkDns(cfg.dnsConfig, `${field}.dns_config`);
  cfg.portMappings.forEach((p, i) => checkPort(p, `${field}.port_mappings[${i}]`));
  const linux = cfg.linux;
  if (linux === undefined) return;
  const sc = linux.securityContext;
  const ns = sc?.namespaceOptions;
  checkCgroupParent(linux.cgroupParent, `${field}.linux.cgroup_parent`);
  checkSysctls(linux.sysctls, `${field}.linux.sysctls`, ns?.network === NamespaceMode.NODE, ns?.ipc === NamespaceMode.NODE);
  if (sc !== undefined) {
    const p = `${field}.linux.security_context`;
    checkId(`${p}.run_as_user.value`, sc.runAsUser?.value);
    checkId(`${p}.run_as_group.value`, sc.runAsGroup?.value);
    sc.supplementalGroups.forEach((g, i) => checkId(`${p}.supplemental_groups[${i}]`, g));
  }
  validateLinuxResources(linux.overhead, `${field}.linux.overhead`, host);
  validateLinuxResources(linux.resources, `${field}.linux.resources`, host);
}

/**
 * Checks a `ContainerConfig` (CreateContainer): log path, working
 * directory, environment, mounts, devices, masked and read-only paths,
 * user and groups, and resources.
 *
 * @public
 */
export function validateContainerConfig(cfg: ContainerConfig, field = "config", host: ValidationHost = {}): void {
  validateLogPath(cfg.logPath, `${field}.log_path`);
  checkAbsolute(`${field}.working_dir`, cfg.workingDir, "path (or empty: the image's)", true);
  cfg.envs.forEach((e, i) => {
    const p = `${field}.envs[${i}].key`;
    if (e.key === "" || e.key.includes("=")) bad(p, `${p} ${JSON.stringify(e.key)} is empty or contains "="; accepted: a variable name`);
  });
  cfg.mounts.forEach((m, i) => checkMount(m, `${field}.mounts[${i}]`));
  cfg.devices.forEach((d, i) => {
    checkAbsolute(`${field}.devices[${i}].container_path`, d.containerPath, "path");
    checkAbsolute(`${field}.devices[${i}].host_path`, d.hostPath, "path");
  });
  const linux = cfg.linux;
  if (linux === undefined) return;
  const sc = linux.securityContext;
  if (sc !== undefined) {
    const p = `${field}.linux.security_context`;
    checkId(`${p}.run_as_user.value`, sc.runAsUser?.value);
    checkId(`${p}.run_as_group.value`, sc.runAsGroup?.value);
    sc.supplementalGroups.forEach((g, i) => checkId(`${p}.supplemental_groups[${i}]`, g));
    sc.maskedPaths.forEach((m, i) => checkAbsolute(`${p}.masked_paths[${i}]`, m, "path"));
    sc.readonlyPaths.forEach((m, i) => checkAbsolute(`${p}.readonly_paths[${i}]`, m, "path"));
  }
  validateLinuxResources(linux.resources, `${field}.linux.resources`, host);
}

/**
 * Checks an ExecSync `timeout` (seconds): 0 (no limit) up to 2147483 s, the
 * longest timer Node can arm (2^31-1 ms, about 24.8 days).
 *
 * @public
 */
export function validateExecTimeout(timeout: bigint, field = "timeout"): void {
  if (timeout < 0n || timeout > 2_147_483n) bad(field, `${field} is ${timeout}; accepted: 0 (no limit) to 2147483 seconds`);
}

/** @internal */
export { checkPodCidr };
