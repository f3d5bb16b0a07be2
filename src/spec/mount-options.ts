/**
 * Container and sandbox spec options for mounts.
 *
 * The rules are in the TSDoc of {@link withContainerMounts}.
 *
 * @packageDocumentation
 */
import type { Mount } from "../cri.js";
import { MountPropagation, NamespaceMode } from "../cri-enums.js";
import { DEFAULT_SHM_SIZE } from "./defaults.js";
import { cleanPath } from "./helpers.js";
import type { CommonSpecInput, ContainerSpecInput, ImageConfigInput, SandboxSpecInput } from "./input.js";
import type { OciMount, OciSpec } from "./oci-types.js";
import { badField, isAbsolute, linuxOf, type SpecOption } from "./spec-option.js";

/**
 * An anonymous volume of the image config: where it goes and its host
 * directory.
 *
 * @public
 */
export interface AnonymousVolume {
  /** The volume's path inside the container, from the image config's `Volumes`. */
  containerPath: string;
  /**
   * The host directory to bind-mount there: a subdirectory of `volumeDir` named after the
   * container path (`/var/lib/data` becomes `var_lib_data`).
   */
  hostPath: string;
}

/**
 * The image config's `Volumes` that no CRI mount covers, each with a host
 * directory under `volumeDir` named after its container path
 * (`/var/lib/data` becomes `var_lib_data`). The caller creates these
 * directories before the container starts.
 *
 * @public
 */
export function anonymousVolumes(
  imageConfig: ImageConfigInput | undefined,
  volumeDir: string | undefined,
  criMounts: ReadonlyArray<{ readonly containerPath: string }>,
): AnonymousVolume[] {
  if (volumeDir === undefined) return [];
  const volumes = Object.keys(imageConfig?.Volumes ?? {});
  if (volumes.length === 0) return [];
  const criDsts = new Set(criMounts.map((m) => cleanPath(m.containerPath)));
  return volumes
    .sort()
    .filter((p) => isAbsolute(p) && !criDsts.has(cleanPath(p)))
    .map((p) => {
      const clean = cleanPath(p);
      return { containerPath: clean, hostPath: `${volumeDir}/${clean.slice(1).replaceAll("/", "_") || "_"}` };
    });
}

const depth = (p: string): number => cleanPath(p).split("/").length;

function setRootfsPropagation(spec: OciSpec, want: "slave" | "shared"): void {
  const linux = linuxOf(spec);
  if (want === "shared") linux.rootfsPropagation = "shared";
  else if (linux.rootfsPropagation !== "shared") linux.rootfsPropagation = "slave";
}

function criMountToOci(spec: OciSpec, m: Mount, i: number, input: ContainerSpecInput): OciMount {
  const f = `mounts[${i}]`;
  if (!isAbsolute(m.containerPath)) throw badField(`${f}.container_path`, `${f}.container_path "${m.containerPath}" must be an absolute path`);
  const dst = cleanPath(m.containerPath);
  if (dst === "/proc" || dst.startsWith("/proc/")) {
    throw badField(`${f}.container_path`, `${f}.container_path "${m.containerPath}": mounting onto /proc is not allowed`);
  }
  const features = input.features ?? {};
  let source: string;
  let readonly = m.readonly;
  if (m.image !== undefined && m.image.image !== "") {
    const base = input.imageVolumeSources?.[m.image.image];
    if (base === undefined) throw badField(`${f}.image`, `${f}.image "${m.image.image}" has no mounted image volume source`);
    source = base;
    if (m.imageSubPath !== "") {
      const sub = cleanPath(m.imageSubPath);
      if (isAbsolute(m.imageSubPath) || sub === ".." || sub.startsWith("../")) {
        throw badField(`${f}.image_sub_path`, `${f}.image_sub_path "${m.imageSubPath}" must be a relative path inside the image`);
      }
      source = `${base}/${sub}`;
      if (input.host && input.host.stat(source) === undefined) {
        throw badField(`${f}.image_sub_path`, `${f}.image_sub_path "${m.imageSubPath}" does not exist in image "${m.image.image}"`);
      }
    }
    readonly = true;
  } else {
    source = m.hostPath;
    if (!isAbsolute(source)) throw badField(`${f}.host_path`, `${f}.host_path "${source}" must be an absolute path`);
    if (input.host && input.host.stat(source) === undefined) {
      if (features.missingHostPath === "create" && input.host.mkdirAll) input.host.mkdirAll(source);
      else throw badField(`${f}.host_path`, `${f}.host_path "${source}" does not exist`);
    }
  }
  const options = ["rbind"];
  switch (m.propagation) {
    case MountPropagation.PROPAGATION_HOST_TO_CONTAINER:
      options.push("rslave");
      setRootfsPropagation(spec, "slave");
      break;
    case MountPropagation.PROPAGATION_BIDIRECTIONAL:
      options.push("rshared");
      setRootfsPropagation(spec, "shared");
      break;
    default:
      options.push("rprivate");
  }
  options.push(readonly ? "ro" : "rw");
  if (m.recursiveReadOnly) {
    if (!m.readonly) throw badField(`${f}.recursive_read_only`, `${f}.recursive_read_only needs readonly to be true`);
    if (m.propagation !== MountPropagation.PROPAGATION_PRIVATE) {
      throw badField(`${f}.recursive_read_only`, `${f}.recursive_read_only needs PRIVATE propagation`);
    }
    if (!features.recursiveReadOnlyMounts) {
      throw badField(`${f}.recursive_read_only`, `${f}.recursive_read_only: recursive read-only mounts are not supported by this kernel or OCI runtime`);
    }
    options.push("rro");
  }
  const out: OciMount = { destination: dst, type: "bind", source, options };
  if (m.uidMappings.length > 0 || m.gidMappings.length > 0) {
    if (!features.userNamespaces) throw badField(`${f}.uidMappings`, `${f}: idmapped mounts are not supported by this runtime`);
    out.uidMappings = m.uidMappings.map((x) => ({ containerID: x.containerId, hostID: x.hostId, size: x.length }));
    out.gidMappings = m.gidMappings.map((x) => ({ containerID: x.containerId, hostID: x.hostId, size: x.length }));
  }
  return out;
}

function bind(destination: string, source: string, readonly: boolean): OciMount {
  return { destination, type: "bind", source, options: ["rbind", "rprivate", readonly ? "ro" : "rw"] };
}

/** A `/dev/shm` bind: never suid, devices or exec (also what a user-namespaced remount needs). */
function shmBind(source: string, readonly: boolean): OciMount {
  return { destination: "/dev/shm", type: "bind", source, options: ["rbind", "rprivate", readonly ? "ro" : "rw", "nosuid", "nodev", "noexec"] };
}

function replaceMounts(spec: OciSpec, added: OciMount[]): void {
  const dsts = added.map((m) => m.destination);
  const kept = (spec.mounts ?? []).filter((d) => !dsts.some((n) => d.destination === n || d.destination.startsWith(`${n === "/" ? "" : n}/`)));
  spec.mounts = [...kept, ...added];
}

function makeRw(spec: OciSpec): void {
  for (const m of spec.mounts ?? []) {
    if ((m.destination === "/sys" || m.destination === "/sys/fs/cgroup") && m.options) {
      m.options = m.options.map((o) => (o === "ro" ? "rw" : o));
    }
  }
}

function sizeShm(spec: OciSpec, input: CommonSpecInput): void {
  const size = input.shmSizeBytes ?? DEFAULT_SHM_SIZE;
  for (const m of spec.mounts ?? []) {
    if (m.destination === "/dev/shm" && m.type === "tmpfs" && m.options) {
      m.options = m.options.map((o) => (o.startsWith("size=") ? `size=${size}` : o));
    }
  }
}

/**
 * Set the container's mounts: defaults (read-write sysfs and cgroup when
 * privileged), pod files, `/dev/shm`, CRI mounts, image volumes and
 * anonymous volumes.
 *
 * A container's mounts, in order: the defaults (proc, dev, devpts, shm,
 * mqueue, sysfs, cgroup; sysfs and cgroup read-write when privileged), the
 * pod files (`/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf`) and
 * `/dev/shm` (the pod's, or the host's with host IPC), the CRI mounts and
 * the image config's anonymous volumes, these three sorted together by path
 * depth (stable) so a parent is mounted before its children. A pod file
 * whose destination is a CRI mount is dropped, and so is a default mount
 * at or under any of these destinations.
 *
 * Missing host paths: the CRI says a CRI mount whose `host_path` does not
 * exist is an error (the kubelet itself creates `DirectoryOrCreate` paths),
 * so by default crikit reports InvalidArgument naming `mounts[i].host_path`;
 * with `features.missingHostPath = "create"` it creates the directory
 * through {@link SpecHost.mkdirAll}, as containerd does. Without a
 * {@link SpecHost} host paths are not checked. Symlinks in host paths are
 * left to the kernel (bind mounts follow them).
 *
 * Propagation: PRIVATE gives `rprivate`; HOST_TO_CONTAINER gives `rslave`
 * and at least `rslave` rootfs propagation; BIDIRECTIONAL gives `rshared`
 * and `shared` rootfs propagation. Recursive read-only (`rro`) needs
 * `readonly`, PRIVATE propagation and `features.recursiveReadOnlyMounts`.
 * SELinux relabelling (`selinux_relabel`) is a host effect the runtime
 * performs before start; the spec records nothing for it.
 *
 * @public
 */
export const withContainerMounts: SpecOption<ContainerSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  if (sc?.privileged) makeRw(spec);
  sizeShm(spec, input);
  const criMounts = input.config.mounts;
  const criDsts = new Set(criMounts.map((m) => cleanPath(m.containerPath)));
  const ro = sc?.readonlyRootfs ?? false;
  const extra: OciMount[] = [];
  const files = input.sandboxFiles ?? {};
  const podFile = (dst: string, src: string | undefined): void => {
    if (src !== undefined && !criDsts.has(dst)) extra.push(bind(dst, src, ro));
  };
  podFile("/etc/hostname", files.hostnamePath);
  podFile("/etc/hosts", files.hostsPath);
  podFile("/etc/resolv.conf", files.resolvConfPath);
  const hostIpc = input.sandboxConfig.linux?.securityContext?.namespaceOptions?.ipc === NamespaceMode.NODE;
  if (!criDsts.has("/dev/shm")) {
    if (hostIpc) extra.push(shmBind("/dev/shm", false));
    else if (files.shmPath !== undefined) extra.push(shmBind(files.shmPath, false));
  }
  // Pod files first, then CRI mounts and volumes; one stable sort by depth
  // so that a CRI mount of a parent (say /etc) never hides a pod file.
  const ordered: OciMount[] = [...extra, ...criMounts.map((m, i) => criMountToOci(spec, m, i, input))];
  for (const v of anonymousVolumes(input.imageConfig, input.volumeDir, criMounts)) ordered.push(bind(v.containerPath, v.hostPath, false));
  const sorted = ordered
    .map((m, i) => ({ m, i, d: depth(m.destination) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .map((x) => x.m);
  replaceMounts(spec, sorted);
};

/**
 * Set the sandbox's mounts: the defaults (read-write sysfs and cgroup when
 * privileged) and `/dev/shm`: the host's with host IPC or the given pod shm
 * path, bound read-only as containerd does (the pause process does not
 * write it; containers bind it read-write), else a tmpfs of `shmSizeBytes`.
 *
 * @public
 */
export const withSandboxMounts: SpecOption<SandboxSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  if (sc?.privileged) makeRw(spec);
  sizeShm(spec, input);
  if (sc?.namespaceOptions?.ipc === NamespaceMode.NODE) replaceMounts(spec, [shmBind("/dev/shm", true)]);
  else if (input.shmPath !== undefined) replaceMounts(spec, [shmBind(input.shmPath, true)]);
};
