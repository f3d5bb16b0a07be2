/**
 * Container and sandbox spec options for `linux`: namespaces, resources,
 * the cgroups path, sysctls, devices, masked and read-only paths.
 *
 * The rules are in the TSDoc of {@link withContainerNamespaces}.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import type { LinuxContainerResources, NamespaceOption, UserNamespace } from "../cri.js";
import { NamespaceMode } from "../cri-enums.js";
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from "./defaults.js";
import type { CgroupDriver, CommonSpecInput, ContainerSpecInput, SandboxSpecInput, SpecFeatures } from "./input.js";
import type { OciIdMapping, OciLinuxResources, OciNamespaceType, OciSpec } from "./oci-types.js";
import { badField, isAbsolute, linuxOf, type SpecOption } from "./spec-option.js";
import { specInt } from "./exact-json.js";

const NS_FIELD = "linux.security_context.namespace_options";

function setNamespace(spec: OciSpec, type: OciNamespaceType, path: string | undefined | null): void {
  const linux = linuxOf(spec);
  const rest = (linux.namespaces ?? []).filter((n) => n.type !== type);
  if (path !== null) rest.push(path === undefined ? { type } : { type, path });
  linux.namespaces = rest;
}

const nsFile: Record<string, string> = { network: "net", ipc: "ipc", uts: "uts", pid: "pid", user: "user" };

/** The sandbox's namespace of `kind` to join; undefined (a new one) when the sandbox holds none (an empty path). */
function sandboxNsPath(input: ContainerSpecInput, kind: "network" | "ipc" | "uts" | "pid" | "user"): string | undefined {
  const explicit = input.namespacePaths?.[kind];
  if (explicit !== undefined) return explicit === "" ? undefined : explicit;
  if (input.sandboxPid === undefined) {
    throw new CrikitError("FailedPrecondition", `cannot join the sandbox's ${kind} namespace: neither sandboxPid nor namespacePaths.${kind} was given`);
  }
  return `/proc/${input.sandboxPid}/ns/${nsFile[kind] ?? kind}`;
}

function mappings(list: UserNamespace["uids"]): OciIdMapping[] {
  return list.map((m) => ({ containerID: m.containerId, hostID: m.hostId, size: m.length }));
}

/** The user namespace request, or undefined when none is wanted. */
function usernsOf(ns: NamespaceOption | undefined, input: CommonSpecInput): UserNamespace | undefined {
  const u = ns?.usernsOptions;
  if (u === undefined || u.mode === NamespaceMode.NODE) return undefined;
  if (u.mode !== NamespaceMode.POD) throw badField(`${NS_FIELD}.userns_options.mode`, `${NS_FIELD}.userns_options.mode must be POD or NODE`);
  if (u.uids.length === 0 && u.gids.length === 0) return undefined;
  if (!input.features?.userNamespaces) {
    throw badField(`${NS_FIELD}.userns_options`, "user namespaces are not supported by this node's kernel or OCI runtime");
  }
  if (u.uids.length === 0 || u.gids.length === 0) {
    throw badField(`${NS_FIELD}.userns_options`, `${NS_FIELD}.userns_options needs both uid and gid mappings`);
  }
  return u;
}

/**
 * Set the container's namespaces.
 *
 * Namespaces of a container: network, IPC and UTS are the sandbox's, joined
 * by path (`/proc/<sandboxPid>/ns/*` or explicit paths), or the host's for
 * NODE modes (host network also means the host's UTS). PID: POD joins the
 * sandbox's, CONTAINER creates one, NODE uses the host's, TARGET joins the
 * target container's. User namespaces: with mode POD and mappings, the
 * sandbox creates one with the mappings and containers join it (the
 * mappings are repeated, as containerd does); refused with InvalidArgument
 * when `features.userNamespaces` is false. A mount namespace is always new;
 * a cgroup namespace only with `features.cgroupNamespace`.
 *
 * @public
 */
export const withContainerNamespaces: SpecOption<ContainerSpecInput> = (spec, input) => {
  const ns = input.config.linux?.securityContext?.namespaceOptions;
  const podNs = input.sandboxConfig.linux?.securityContext?.namespaceOptions;
  const network = podNs?.network ?? ns?.network ?? NamespaceMode.POD;
  const ipc = podNs?.ipc ?? ns?.ipc ?? NamespaceMode.POD;
  if (network === NamespaceMode.NODE) {
    setNamespace(spec, "network", null);
    setNamespace(spec, "uts", null);
  } else {
    setNamespace(spec, "network", sandboxNsPath(input, "network"));
    setNamespace(spec, "uts", sandboxNsPath(input, "uts"));
  }
  setNamespace(spec, "ipc", ipc === NamespaceMode.NODE ? null : sandboxNsPath(input, "ipc"));
  const pid = ns?.pid ?? NamespaceMode.POD;
  switch (pid) {
    case NamespaceMode.NODE:
      setNamespace(spec, "pid", null);
      break;
    case NamespaceMode.CONTAINER:
      setNamespace(spec, "pid", undefined);
      break;
    case NamespaceMode.TARGET: {
      if (!ns?.targetId) throw badField(`${NS_FIELD}.target_id`, `${NS_FIELD}.target_id is required for PID mode TARGET`);
      if (input.targetPid === undefined) {
        throw new CrikitError("FailedPrecondition", `the PID of target container "${ns.targetId}" is unknown`, { details: { field: `${NS_FIELD}.target_id` } });
      }
      setNamespace(spec, "pid", `/proc/${input.targetPid}/ns/pid`);
      break;
    }
    default:
      setNamespace(spec, "pid", sandboxNsPath(input, "pid"));
  }
  setNamespace(spec, "mount", undefined);
  if (input.features?.cgroupNamespace) setNamespace(spec, "cgroup", undefined);
  const userns = usernsOf(ns ?? podNs, input);
  if (userns) {
    setNamespace(spec, "user", sandboxNsPath(input, "user"));
    linuxOf(spec).uidMappings = mappings(userns.uids);
    linuxOf(spec).gidMappings = mappings(userns.gids);
  }
};

/**
 * Set the sandbox's namespaces: a network namespace at `netnsPath` (or a
 * new one; none with host network), new PID, IPC and UTS namespaces unless
 * NODE, a new mount namespace, and a new user namespace with the request's
 * mappings.
 *
 * @public
 */
export const withSandboxNamespaces: SpecOption<SandboxSpecInput> = (spec, input) => {
  const ns = input.config.linux?.securityContext?.namespaceOptions;
  const hostNet = ns?.network === NamespaceMode.NODE;
  setNamespace(spec, "network", hostNet ? null : input.netnsPath);
  setNamespace(spec, "uts", hostNet ? null : undefined);
  setNamespace(spec, "ipc", ns?.ipc === NamespaceMode.NODE ? null : undefined);
  setNamespace(spec, "pid", ns?.pid === NamespaceMode.NODE ? null : undefined);
  setNamespace(spec, "mount", undefined);
  if (input.features?.cgroupNamespace) setNamespace(spec, "cgroup", undefined);
  const userns = usernsOf(ns, input);
  if (userns) {
    setNamespace(spec, "user", undefined);
    linuxOf(spec).uidMappings = mappings(userns.uids);
    linuxOf(spec).gidMappings = mappings(userns.gids);
  }
};

/**
 * The OCI `linux.resources` for CRI resources; zero values mean "not set"
 * and are left out. With `options.swapController` (see
 * {@link SpecFeatures.swapController}) a memory limit without a swap limit
 * sets `memory.swap` (memory plus swap) to the memory limit. int64 values
 * stay exact: a value beyond 2^53 is kept as a `bigint` (write the spec
 * with `stringifyExactJson`).
 *
 * @public
 */
export function resourcesToOci(r: LinuxContainerResources | undefined, base: OciLinuxResources = {}, options: { swapController?: boolean } = {}): OciLinuxResources {
  const out: OciLinuxResources = { ...base };
  if (r === undefined) return out;
  const cpu = { ...(out.cpu ?? {}) };
  if (r.cpuPeriod !== 0n) cpu.period = specInt(r.cpuPeriod);
  if (r.cpuQuota !== 0n) cpu.quota = specInt(r.cpuQuota);
  if (r.cpuShares !== 0n) cpu.shares = specInt(r.cpuShares);
  if (r.cpusetCpus !== "") cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems !== "") cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  const memory = { ...(out.memory ?? {}) };
  if (r.memoryLimitInBytes !== 0n) memory.limit = specInt(r.memoryLimitInBytes);
  if (r.memorySwapLimitInBytes !== 0n) memory.swap = specInt(r.memorySwapLimitInBytes);
  else if (r.memoryLimitInBytes !== 0n && options.swapController) memory.swap = specInt(r.memoryLimitInBytes);
  if (Object.keys(memory).length > 0) out.memory = memory;
  if (r.hugepageLimits.length > 0) out.hugepageLimits = r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: specInt(h.limit) }));
  if (Object.keys(r.unified).length > 0) out.unified = { ...r.unified };
  return out;
}

/**
 * Set `linux.resources` from the request's resources.
 *
 * @public
 */
export const withResources: SpecOption<ContainerSpecInput> = (spec, input) => {
  const linux = linuxOf(spec);
  linux.resources = resourcesToOci(input.config.linux?.resources, linux.resources, { swapController: input.features?.swapController ?? false });
};

/**
 * The CPU shares of a pause process (containerd's value).
 *
 * @public
 */
export const SANDBOX_CPU_SHARES = 2;

/**
 * Set the sandbox's CPU shares to {@link SANDBOX_CPU_SHARES}.
 *
 * @public
 */
export const withSandboxResources: SpecOption<SandboxSpecInput> = (spec) => {
  const linux = linuxOf(spec);
  linux.resources = { ...(linux.resources ?? {}), cpu: { ...(linux.resources?.cpu ?? {}), shares: SANDBOX_CPU_SHARES } };
};

/**
 * The `linux.cgroupsPath` for an object under a cgroup parent: for
 * cgroupfs `parent/id`; for systemd `slice:prefix:id`, where the slice is
 * the last element of the parent (`system.slice` when the parent names no
 * slice).
 *
 * @public
 */
export function cgroupsPath(driver: CgroupDriver, parent: string, id: string, systemdPrefix = "crikit"): string {
  if (driver === "systemd") {
    const base = parent.split("/").filter((s) => s !== "").pop() ?? "";
    return `${base.endsWith(".slice") ? base : "system.slice"}:${systemdPrefix}:${id}`;
  }
  if (parent === "") return id;
  return `${parent.replace(/\/+$/, "")}/${id}`;
}

/**
 * Set the container's `linux.cgroupsPath` under the pod's cgroup_parent.
 *
 * @public
 */
export const withContainerCgroupsPath: SpecOption<ContainerSpecInput> = (spec, input) => {
  const parent = input.sandboxConfig.linux?.cgroupParent ?? "";
  linuxOf(spec).cgroupsPath = cgroupsPath(input.cgroupDriver ?? "cgroupfs", parent, input.id, input.systemdCgroupPrefix);
};

/**
 * Set the sandbox's `linux.cgroupsPath` under its cgroup_parent.
 *
 * @public
 */
export const withSandboxCgroupsPath: SpecOption<SandboxSpecInput> = (spec, input) => {
  const parent = input.config.linux?.cgroupParent ?? "";
  linuxOf(spec).cgroupsPath = cgroupsPath(input.cgroupDriver ?? "cgroupfs", parent, input.id, input.systemdCgroupPrefix);
};

function sysctls(spec: OciSpec, map: Readonly<Record<string, string>> | undefined): void {
  const entries = Object.entries(map ?? {});
  if (entries.length === 0) return;
  const linux = linuxOf(spec);
  linux.sysctl = { ...(linux.sysctl ?? {}), ...Object.fromEntries(entries) };
}

/**
 * Set `linux.sysctl` from the pod config's sysctls.
 *
 * @public
 */
export const withContainerSysctls: SpecOption<ContainerSpecInput> = (spec, input) => sysctls(spec, input.sandboxConfig.linux?.sysctls);

/**
 * Set `linux.sysctl` from the pod config's sysctls, plus (unless the pod
 * uses the host network or sets them itself) containerd 2's defaults that
 * let unprivileged processes bind low ports (`ip_unprivileged_port_start=0`)
 * and send ICMP echo (`ping_group_range`, not in a user namespace); see
 * {@link SandboxSpecInput.unprivilegedPorts}.
 *
 * @public
 */
export const withSandboxSysctls: SpecOption<SandboxSpecInput> = (spec, input) => {
  const map: Record<string, string> = { ...(input.config.linux?.sysctls ?? {}) };
  const ns = input.config.linux?.securityContext?.namespaceOptions;
  if (ns?.network !== NamespaceMode.NODE) {
    const userns = ns?.usernsOptions?.mode === NamespaceMode.POD && (ns.usernsOptions.uids.length > 0 || ns.usernsOptions.gids.length > 0);
    if ((input.unprivilegedPorts ?? true) && !("net.ipv4.ip_unprivileged_port_start" in map)) map["net.ipv4.ip_unprivileged_port_start"] = "0";
    if ((input.unprivilegedIcmp ?? true) && !userns && !("net.ipv4.ping_group_range" in map)) map["net.ipv4.ping_group_range"] = "0 2147483647";
  }
  sysctls(spec, map);
};

/**
 * Set the container's devices: the request's devices (each a character or
 * block device on the host, with `rwm`-style permissions and a matching
 * device cgroup rule); when privileged, every host device and an allow-all
 * device cgroup rule.
 *
 * @public
 */
export const withDevices: SpecOption<ContainerSpecInput> = (spec, input) => {
  const linux = linuxOf(spec);
  const resources = (linux.resources ??= {});
  const privileged = input.config.linux?.securityContext?.privileged ?? false;
  const devices = [...(linux.devices ?? [])];
  if (privileged) {
    if (!input.host) throw new CrikitError("FailedPrecondition", "a privileged container needs a SpecHost to list the host's devices");
    devices.push(...input.host.listDevices());
    resources.devices = [{ allow: true, access: "rwm" }];
  }
  input.config.devices.forEach((d, i) => {
    const f = `devices[${i}]`;
    if (!isAbsolute(d.containerPath)) throw badField(`${f}.container_path`, `${f}.container_path "${d.containerPath}" must be an absolute path`);
    if (!isAbsolute(d.hostPath)) throw badField(`${f}.host_path`, `${f}.host_path "${d.hostPath}" must be an absolute path`);
    const perms = d.permissions === "" ? "rwm" : d.permissions;
    if (!/^[rwm]{1,3}$/.test(perms)) throw badField(`${f}.permissions`, `${f}.permissions "${d.permissions}" must be made of r, w and m`);
    const st = input.host?.stat(d.hostPath);
    if (st === undefined || (st.type !== "char-device" && st.type !== "block-device")) {
      throw badField(`${f}.host_path`, `${f}.host_path "${d.hostPath}" is not a device on this host`);
    }
    const type = st.type === "char-device" ? "c" : "b";
    const dev: (typeof devices)[number] = { path: d.containerPath, type, major: st.major ?? 0, minor: st.minor ?? 0 };
    if (st.mode !== undefined) dev.fileMode = st.mode & 0o777;
    if (st.uid !== undefined) dev.uid = st.uid;
    if (st.gid !== undefined) dev.gid = st.gid;
    const at = devices.findIndex((x) => x.path === dev.path);
    if (at >= 0) devices[at] = dev;
    else devices.push(dev);
    if (!privileged) (resources.devices ??= []).push({ allow: true, type, major: dev.major ?? 0, minor: dev.minor ?? 0, access: perms });
  });
  if (devices.length > 0) linux.devices = devices;
};

function paths(spec: OciSpec, privileged: boolean, masked: readonly string[] | undefined, readonly: readonly string[] | undefined): void {
  const linux = linuxOf(spec);
  if (privileged) {
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    return;
  }
  linux.maskedPaths = masked && masked.length > 0 ? [...masked] : [...(linux.maskedPaths ?? DEFAULT_MASKED_PATHS)];
  linux.readonlyPaths = readonly && readonly.length > 0 ? [...readonly] : [...(linux.readonlyPaths ?? DEFAULT_READONLY_PATHS)];
}

/**
 * Set masked and read-only paths: none when privileged, the request's when
 * it names any (the kubelet sends its defaults), else crikit's defaults.
 *
 * @public
 */
export const withMaskedAndReadonlyPaths: SpecOption<ContainerSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  paths(spec, sc?.privileged ?? false, sc?.maskedPaths, sc?.readonlyPaths);
};

/**
 * Set the sandbox's masked and read-only paths: none when privileged, else
 * the defaults.
 *
 * @public
 */
export const withSandboxMaskedAndReadonlyPaths: SpecOption<SandboxSpecInput> = (spec, input) => {
  paths(spec, input.config.linux?.securityContext?.privileged ?? false, undefined, undefined);
};
