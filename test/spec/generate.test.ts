import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MountPropagation, NamespaceMode, SecurityProfile_ProfileType, SupplementalGroupsPolicy } from "../../src/cri.js";
import { hasErrorCode } from "../../src/errors.js";
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  defaultContainerSpecOptions,
  containerSpecInput,
  generateContainerSpec,
  withContainerSeccomp,
  type ContainerSpecInit,
  type OciMount,
  type OciSpec,
  type SpecOption,
  type ContainerSpecInput,
} from "../../src/spec/index.js";
import { assertValidOciSpec } from "../helpers/oci-schema.js";
import { bytes, containerInit, fakeHost, LOCAL_PROFILE, podConfig } from "./fixtures.js";

type Config = ContainerSpecInit["config"];

function gen(config: Config = {}, over: Partial<ContainerSpecInit> = {}, sandbox = podConfig()): OciSpec {
  const spec = generateContainerSpec(containerInit(over, config, sandbox));
  assertValidOciSpec(spec);
  return spec;
}

const mountAt = (spec: OciSpec, dst: string): OciMount | undefined => spec.mounts?.find((m) => m.destination === dst);
const nsOf = (spec: OciSpec, type: string): { type: string; path?: string } | undefined => spec.linux?.namespaces?.find((n) => n.type === type);
const sc = (s: NonNullable<NonNullable<Config["linux"]>["securityContext"]>): Config => ({ linux: { securityContext: s } });

describe("generateContainerSpec: CRI fields to OCI spec fields", () => {
  const cases: Array<{ desc: string; config?: Config; over?: Partial<ContainerSpecInit>; sandbox?: ReturnType<typeof podConfig>; check: (s: OciSpec) => void }> = [
    { desc: "no command or args runs the image Entrypoint and Cmd", check: (s) => assert.deepEqual(s.process?.args, ["/entry", "default-arg"]) },
    { desc: "command replaces Entrypoint and drops Cmd", config: { command: ["/bin/sh"] }, check: (s) => assert.deepEqual(s.process?.args, ["/bin/sh"]) },
    { desc: "args replace Cmd after the Entrypoint", config: { args: ["-v"] }, check: (s) => assert.deepEqual(s.process?.args, ["/entry", "-v"]) },
    { desc: "command and args are both used", config: { command: ["/bin/sh"], args: ["-c", "true"] }, check: (s) => assert.deepEqual(s.process?.args, ["/bin/sh", "-c", "true"]) },
    { desc: "working_dir sets cwd", config: { workingDir: "/work" }, check: (s) => assert.equal(s.process?.cwd, "/work") },
    { desc: "the image WorkingDir is the fallback cwd", check: (s) => assert.equal(s.process?.cwd, "/srv") },
    {
      desc: "tty sets terminal and TERM",
      config: { tty: true },
      check: (s) => {
        assert.equal(s.process?.terminal, true);
        assert.ok(s.process?.env?.includes("TERM=xterm"));
      },
    },
    {
      desc: "envs override image env, decoded from UTF-8 bytes",
      config: { envs: [{ key: "IMG", value: bytes("from-request") }, { key: "UNI", value: bytes("ünï") }] },
      check: (s) => assert.deepEqual(s.process?.env, ["PATH=/image/bin", "HOSTNAME=web-0", "IMG=from-request", "UNI=ünï"]),
    },
    {
      desc: "a pod that names no hostname gives HOSTNAME the node's hostname",
      sandbox: podConfig({ hostname: "" }),
      over: { nodeHostname: "node-1" },
      check: (s) => assert.ok(s.process?.env?.includes("HOSTNAME=node-1"), String(s.process?.env)),
    },
    { desc: "readonly_rootfs sets root.readonly", config: sc({ readonlyRootfs: true }), check: (s) => assert.deepEqual(s.root, { path: "/run/crikit/c/rootfs", readonly: true }) },
    {
      desc: "run_as_username resolves against the image",
      config: sc({ runAsUsername: "alice" }),
      check: (s) => assert.deepEqual(s.process?.user, { uid: 1000, gid: 1000, additionalGids: [1000, 29, 50] }),
    },
    {
      desc: "run_as_user with run_as_group and Strict groups",
      config: sc({ runAsUser: { value: 1000n }, runAsGroup: { value: 1000n }, supplementalGroups: [4242n], supplementalGroupsPolicy: SupplementalGroupsPolicy.Strict }),
      check: (s) => assert.deepEqual(s.process?.user, { uid: 1000, gid: 1000, additionalGids: [1000, 4242] }),
    },
    { desc: "the image user is used without a request user", over: { imageConfig: { Cmd: ["x"], User: "bob" } }, check: (s) => assert.equal(s.process?.user?.uid, 1001) },
    {
      desc: "capabilities add and drop",
      config: sc({ capabilities: { addCapabilities: ["NET_ADMIN"], dropCapabilities: ["CHOWN"] } }),
      check: (s) => {
        assert.ok(s.process?.capabilities?.effective?.includes("CAP_NET_ADMIN"));
        assert.ok(!s.process?.capabilities?.bounding?.includes("CAP_CHOWN"));
      },
    },
    { desc: "no_new_privs sets noNewPrivileges", config: sc({ noNewPrivs: true }), check: (s) => assert.equal(s.process?.noNewPrivileges, true) },
    { desc: "oom_score_adj is copied", config: { linux: { resources: { oomScoreAdj: 500n } } }, check: (s) => assert.equal(s.process?.oomScoreAdj, 500) },
    {
      desc: "a negative oom_score_adj is clamped with restrictOomScoreAdj",
      config: { linux: { resources: { oomScoreAdj: -999n } } },
      over: { restrictOomScoreAdj: true, currentOomScoreAdj: 0 },
      check: (s) => assert.equal(s.process?.oomScoreAdj, 0),
    },
    { desc: "no rlimits by default: the runtime's are inherited, as with containerd", check: (s) => assert.equal(s.process?.rlimits, undefined) },
    {
      desc: "the given rlimits are set",
      over: { rlimits: [{ type: "RLIMIT_NOFILE", soft: 1048576, hard: 1048576 }] },
      check: (s) => assert.deepEqual(s.process?.rlimits, [{ type: "RLIMIT_NOFILE", soft: 1048576, hard: 1048576 }]),
    },
    {
      desc: "resources map to linux.resources",
      config: {
        linux: {
          resources: {
            cpuPeriod: 100000n, cpuQuota: 50000n, cpuShares: 512n, cpusetCpus: "0-1", cpusetMems: "0", memoryLimitInBytes: 268435456n,
            memorySwapLimitInBytes: 536870912n, hugepageLimits: [{ pageSize: "2MB", limit: 4194304n }], unified: { "memory.high": "200000000" },
          },
        },
      },
      check: (s) => {
        assert.deepEqual(s.linux?.resources?.cpu, { period: 100000, quota: 50000, shares: 512, cpus: "0-1", mems: "0" });
        assert.deepEqual(s.linux?.resources?.memory, { limit: 268435456, swap: 536870912 });
        assert.deepEqual(s.linux?.resources?.hugepageLimits, [{ pageSize: "2MB", limit: 4194304 }]);
        assert.deepEqual(s.linux?.resources?.unified, { "memory.high": "200000000" });
      },
    },
    {
      desc: "a memory limit without swap leaves swap alone where the host cannot limit it",
      config: { linux: { resources: { memoryLimitInBytes: 268435456n } } },
      check: (s) => assert.deepEqual(s.linux?.resources?.memory, { limit: 268435456 }),
    },
    {
      desc: "a memory limit without swap sets swap to the memory limit where the host limits swap (containerd)",
      config: { linux: { resources: { memoryLimitInBytes: 268435456n } } },
      over: { features: { swapController: true } },
      check: (s) => assert.deepEqual(s.linux?.resources?.memory, { limit: 268435456, swap: 268435456 }),
    },
    {
      desc: "a swap limit asked for wins over the memory limit",
      config: { linux: { resources: { memoryLimitInBytes: 268435456n, memorySwapLimitInBytes: 536870912n } } },
      over: { features: { swapController: true } },
      check: (s) => assert.deepEqual(s.linux?.resources?.memory, { limit: 268435456, swap: 536870912 }),
    },
    {
      desc: "cgroup_parent gives a cgroupfs path",
      sandbox: podConfig({ linux: { cgroupParent: "/kubepods/besteffort/pod1" } }),
      check: (s) => assert.equal(s.linux?.cgroupsPath, `/kubepods/besteffort/pod1/${"c".repeat(64)}`),
    },
    {
      desc: "cgroup_parent gives a systemd path with the systemd driver",
      sandbox: podConfig({ linux: { cgroupParent: "kubepods-besteffort-pod1.slice" } }),
      over: { cgroupDriver: "systemd" },
      check: (s) => assert.equal(s.linux?.cgroupsPath, `kubepods-besteffort-pod1.slice:crikit:${"c".repeat(64)}`),
    },
    { desc: "pod sysctls map to linux.sysctl", sandbox: podConfig({ linux: { sysctls: { "kernel.shm_rmid_forced": "1" } } }), check: (s) => assert.deepEqual(s.linux?.sysctl, { "kernel.shm_rmid_forced": "1" }) },
    {
      desc: "a CRI mount becomes a private bind mount",
      config: { mounts: [{ containerPath: "/data", hostPath: "/data", readonly: true }] },
      check: (s) => assert.deepEqual(mountAt(s, "/data"), { destination: "/data", type: "bind", source: "/data", options: ["rbind", "rprivate", "ro"] }),
    },
    {
      desc: "HOST_TO_CONTAINER propagation gives rslave and a slave rootfs",
      config: { mounts: [{ containerPath: "/data", hostPath: "/data", propagation: MountPropagation.PROPAGATION_HOST_TO_CONTAINER }] },
      check: (s) => {
        assert.deepEqual(mountAt(s, "/data")?.options, ["rbind", "rslave", "rw"]);
        assert.equal(s.linux?.rootfsPropagation, "slave");
      },
    },
    {
      desc: "BIDIRECTIONAL propagation gives rshared and a shared rootfs",
      config: { mounts: [{ containerPath: "/data", hostPath: "/data", propagation: MountPropagation.PROPAGATION_BIDIRECTIONAL }] },
      check: (s) => {
        assert.deepEqual(mountAt(s, "/data")?.options, ["rbind", "rshared", "rw"]);
        assert.equal(s.linux?.rootfsPropagation, "shared");
      },
    },
    {
      desc: "recursive_read_only adds rro where supported",
      config: { mounts: [{ containerPath: "/data", hostPath: "/data", readonly: true, recursiveReadOnly: true }] },
      over: { features: { recursiveReadOnlyMounts: true } },
      check: (s) => assert.deepEqual(mountAt(s, "/data")?.options, ["rbind", "rprivate", "ro", "rro"]),
    },
    {
      desc: "CRI mounts are ordered parents first",
      config: { mounts: [{ containerPath: "/data/sub", hostPath: "/data/sub" }, { containerPath: "/data", hostPath: "/data" }] },
      check: (s) => assert.deepEqual(s.mounts?.slice(-2).map((m) => m.destination), ["/data", "/data/sub"]),
    },
    {
      desc: "an image volume mounts the image's source read-only, with its sub path",
      config: { mounts: [{ containerPath: "/cfg", image: { image: "sha256:vol" }, imageSubPath: "etc" }] },
      over: { imageVolumeSources: { "sha256:vol": "/img/vol" } },
      check: (s) => assert.deepEqual(mountAt(s, "/cfg"), { destination: "/cfg", type: "bind", source: "/img/vol/etc", options: ["rbind", "rprivate", "ro"] }),
    },
    {
      desc: "image config Volumes become anonymous volumes",
      over: { imageConfig: { Cmd: ["x"], Volumes: { "/var/lib/db": {} } }, volumeDir: "/state/c/volumes" },
      check: (s) => assert.equal(mountAt(s, "/var/lib/db")?.source, "/state/c/volumes/var_lib_db"),
    },
    {
      desc: "pod files are bind-mounted",
      over: { sandboxFiles: { hostnamePath: "/state/s/hostname", hostsPath: "/state/s/hosts", resolvConfPath: "/state/s/resolv.conf", shmPath: "/state/s/shm" } },
      check: (s) => {
        assert.equal(mountAt(s, "/etc/hostname")?.source, "/state/s/hostname");
        assert.equal(mountAt(s, "/etc/hosts")?.source, "/state/s/hosts");
        assert.equal(mountAt(s, "/etc/resolv.conf")?.source, "/state/s/resolv.conf");
        assert.deepEqual(mountAt(s, "/dev/shm"), {
          destination: "/dev/shm",
          type: "bind",
          source: "/state/s/shm",
          options: ["rbind", "rprivate", "rw", "nosuid", "nodev", "noexec"],
        });
      },
    },
    {
      desc: "a CRI mount of a parent directory does not hide a pod file",
      config: { mounts: [{ containerPath: "/etc", hostPath: "/data" }] },
      over: { sandboxFiles: { hostsPath: "/state/s/hosts" } },
      check: (s) => {
        const order = s.mounts?.map((m) => m.destination) ?? [];
        assert.ok(order.indexOf("/etc") < order.indexOf("/etc/hosts"), order.join(" "));
      },
    },
    {
      desc: "a CRI mount on a pod file wins over the pod file",
      config: { mounts: [{ containerPath: "/etc/hosts", hostPath: "/etc/passwd" }] },
      over: { sandboxFiles: { hostsPath: "/state/s/hosts" } },
      check: (s) => assert.deepEqual(s.mounts?.filter((m) => m.destination === "/etc/hosts").map((m) => m.source), ["/etc/passwd"]),
    },
    {
      desc: "host IPC mounts the host's /dev/shm",
      sandbox: podConfig({ linux: { securityContext: { namespaceOptions: { ipc: NamespaceMode.NODE } } } }),
      check: (s) => {
        assert.equal(mountAt(s, "/dev/shm")?.source, "/dev/shm");
        assert.equal(nsOf(s, "ipc"), undefined);
      },
    },
    {
      desc: "network, IPC and UTS join the sandbox and PID POD joins its PID namespace",
      check: (s) => {
        assert.equal(nsOf(s, "network")?.path, "/proc/4242/ns/net");
        assert.equal(nsOf(s, "ipc")?.path, "/proc/4242/ns/ipc");
        assert.equal(nsOf(s, "uts")?.path, "/proc/4242/ns/uts");
        assert.equal(nsOf(s, "pid")?.path, "/proc/4242/ns/pid");
        assert.deepEqual(nsOf(s, "mount"), { type: "mount" });
      },
    },
    { desc: "PID CONTAINER gets a new PID namespace", config: sc({ namespaceOptions: { pid: NamespaceMode.CONTAINER } }), check: (s) => assert.deepEqual(nsOf(s, "pid"), { type: "pid" }) },
    { desc: "PID NODE uses the host's", config: sc({ namespaceOptions: { pid: NamespaceMode.NODE } }), check: (s) => assert.equal(nsOf(s, "pid"), undefined) },
    {
      desc: "PID TARGET joins the target's",
      config: sc({ namespaceOptions: { pid: NamespaceMode.TARGET, targetId: "t1" } }),
      over: { targetPid: 777 },
      check: (s) => assert.equal(nsOf(s, "pid")?.path, "/proc/777/ns/pid"),
    },
    {
      desc: "host network uses the host's network and UTS namespaces",
      sandbox: podConfig({ linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } }),
      check: (s) => {
        assert.equal(nsOf(s, "network"), undefined);
        assert.equal(nsOf(s, "uts"), undefined);
      },
    },
    {
      desc: "user namespace mappings join the sandbox's user namespace",
      config: sc({ namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD, uids: [{ hostId: 100000, containerId: 0, length: 65536 }], gids: [{ hostId: 100000, containerId: 0, length: 65536 }] } } }),
      over: { features: { userNamespaces: true } },
      check: (s) => {
        assert.equal(nsOf(s, "user")?.path, "/proc/4242/ns/user");
        assert.deepEqual(s.linux?.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
        assert.deepEqual(s.linux?.gidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
      },
    },
    {
      desc: "devices are created with a cgroup rule",
      config: { devices: [{ containerPath: "/dev/fuse", hostPath: "/dev/fuse", permissions: "rw" }] },
      check: (s) => {
        assert.deepEqual(s.linux?.devices, [{ path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]);
        assert.deepEqual(s.linux?.resources?.devices?.at(-1), { allow: true, type: "c", major: 10, minor: 229, access: "rw" });
      },
    },
    {
      desc: "default masked and read-only paths are set",
      check: (s) => {
        assert.deepEqual(s.linux?.maskedPaths, DEFAULT_MASKED_PATHS);
        assert.deepEqual(s.linux?.readonlyPaths, DEFAULT_READONLY_PATHS);
      },
    },
    {
      desc: "request masked and read-only paths replace the defaults",
      config: sc({ maskedPaths: ["/proc/kcore"], readonlyPaths: ["/proc/sys"] }),
      check: (s) => {
        assert.deepEqual(s.linux?.maskedPaths, ["/proc/kcore"]);
        assert.deepEqual(s.linux?.readonlyPaths, ["/proc/sys"]);
      },
    },
    {
      desc: "privileged gets every capability, host devices, rw sysfs and no masks or seccomp",
      config: sc({ privileged: true, seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } }),
      sandbox: podConfig({ linux: { securityContext: { privileged: true } } }),
      over: { hostCapabilities: ["CAP_CHOWN", "CAP_SYS_ADMIN"] },
      check: (s) => {
        assert.deepEqual(s.process?.capabilities?.bounding, ["CAP_CHOWN", "CAP_SYS_ADMIN"]);
        assert.deepEqual(s.linux?.devices, [{ path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }]);
        assert.deepEqual(s.linux?.resources?.devices, [{ allow: true, access: "rwm" }]);
        assert.deepEqual(mountAt(s, "/sys")?.options, ["nosuid", "noexec", "nodev", "rw"]);
        assert.deepEqual(s.linux?.maskedPaths, []);
        assert.equal(s.linux?.seccomp, undefined);
      },
    },
    {
      desc: "seccomp RuntimeDefault gives the default profile",
      config: sc({ seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } }),
      check: (s) => {
        assert.equal(s.linux?.seccomp?.defaultAction, "SCMP_ACT_ERRNO");
        assert.ok(!s.linux?.seccomp?.syscalls?.some((r) => r.names.includes("unshare") && r.action === "SCMP_ACT_ALLOW"));
      },
    },
    {
      desc: "seccomp Localhost reads the profile file",
      config: sc({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "/var/lib/kubelet/seccomp/profile.json" } }),
      check: (s) => assert.deepEqual(s.linux?.seccomp, LOCAL_PROFILE),
    },
    { desc: "seccomp Unconfined gives no filter", config: sc({ seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } }), check: (s) => assert.equal(s.linux?.seccomp, undefined) },
    { desc: "an unset seccomp profile follows unsetSeccompProfile", over: { unsetSeccompProfile: "RuntimeDefault" }, check: (s) => assert.equal(s.linux?.seccomp?.defaultAction, "SCMP_ACT_ERRNO") },
    { desc: "the deprecated seccomp string form is understood", config: sc({ seccompProfilePath: "runtime/default" }), check: (s) => assert.equal(s.linux?.seccomp?.defaultAction, "SCMP_ACT_ERRNO") },
    { desc: "the deprecated docker/default is the runtime default", config: sc({ seccompProfilePath: "docker/default" }), check: (s) => assert.equal(s.linux?.seccomp?.defaultAction, "SCMP_ACT_ERRNO") },
    { desc: "the deprecated unconfined sets no filter", config: sc({ seccompProfilePath: "unconfined" }), check: (s) => assert.equal(s.linux?.seccomp, undefined) },
    {
      desc: "the deprecated localhost/<path> form loads the local profile",
      config: sc({ seccompProfilePath: "localhost//var/lib/kubelet/seccomp/profile.json" }),
      check: (s) => assert.equal(s.linux?.seccomp?.defaultAction, "SCMP_ACT_ALLOW"),
    },
    {
      desc: "AppArmor RuntimeDefault gives the default profile when enabled",
      config: sc({ apparmor: { profileType: SecurityProfile_ProfileType.RuntimeDefault } }),
      over: { features: { apparmor: true } },
      check: (s) => assert.equal(s.process?.apparmorProfile, "crikit-default"),
    },
    { desc: "AppArmor is not set when disabled", config: sc({ apparmor: { profileType: SecurityProfile_ProfileType.RuntimeDefault } }), check: (s) => assert.equal(s.process?.apparmorProfile, undefined) },
    {
      desc: "SELinux options give process and mount labels when enabled",
      config: sc({ selinuxOptions: { type: "spc_t", level: "s0:c1,c2" } }),
      over: { features: { selinux: true } },
      check: (s) => {
        assert.equal(s.process?.selinuxLabel, "system_u:system_r:spc_t:s0:c1,c2");
        assert.equal(s.linux?.mountLabel, "system_u:object_r:container_file_t:s0:c1,c2");
      },
    },
    {
      desc: "CRI annotations and passthrough pod annotations are set",
      sandbox: podConfig({ annotations: { "io.katacontainers.x": "1", "not.passed": "2", "io.kubernetes.cri.sandbox-id": "forged" } }),
      over: { podAnnotationPatterns: ["io.katacontainers.*", "io.kubernetes.cri.*"] },
      check: (s) =>
        assert.deepEqual(s.annotations, {
          "io.katacontainers.x": "1",
          "io.kubernetes.cri.sandbox-id": "s".repeat(64),
          "io.kubernetes.cri.sandbox-namespace": "default",
          "io.kubernetes.cri.sandbox-uid": "pod-uid-1",
          "io.kubernetes.cri.sandbox-name": "web",
          "io.kubernetes.cri.container-name": "app",
          "io.kubernetes.cri.image-name": "docker.io/library/busybox:latest",
          "io.kubernetes.cri.container-type": "container",
        }),
    },
  ];
  for (const c of cases) {
    it(`maps so that ${c.desc}, and the spec validates`, () => c.check(gen(c.config, c.over, c.sandbox)));
  }
});

describe("generateContainerSpec: bad input", () => {
  const cases: Array<{ desc: string; config?: Config; over?: Partial<ContainerSpecInit>; field: string }> = [
    { desc: "a relative mount container path", config: { mounts: [{ containerPath: "data", hostPath: "/data" }] }, field: "mounts[0].container_path" },
    { desc: "a relative device container path", config: { devices: [{ containerPath: "dev/fuse", hostPath: "/dev/fuse" }] }, field: "devices[0].container_path" },
    { desc: "a relative working dir", config: { workingDir: "srv" }, field: "working_dir" },
    { desc: "an unknown capability", config: sc({ capabilities: { addCapabilities: ["CAP_FLY"] } }), field: "linux.security_context.capabilities.add_capabilities[0]" },
    {
      desc: "a Localhost seccomp profile that does not exist",
      config: sc({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "/var/lib/kubelet/seccomp/nope.json" } }),
      field: "linux.security_context.seccomp.localhost_ref",
    },
    {
      desc: "a Localhost seccomp profile that is not JSON",
      config: sc({ seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "/var/lib/kubelet/seccomp/broken.json" } }),
      field: "linux.security_context.seccomp.localhost_ref",
    },
    {
      desc: "a deprecated seccomp_profile_path without the localhost/ prefix",
      config: sc({ seccompProfilePath: "/var/lib/kubelet/seccomp/profile.json" }),
      field: "linux.security_context.seccomp_profile_path",
    },
    { desc: "a deprecated seccomp_profile_path that names no profile", config: sc({ seccompProfilePath: "default" }), field: "linux.security_context.seccomp_profile_path" },
    {
      desc: "a deprecated apparmor_profile without the localhost/ prefix",
      config: sc({ apparmorProfile: "my-profile" }),
      over: { features: { apparmor: true } },
      field: "linux.security_context.apparmor_profile",
    },
    { desc: "a run_as_username absent from the image", config: sc({ runAsUsername: "mallory" }), field: "linux.security_context.run_as_username" },
    { desc: "a mount onto /proc", config: { mounts: [{ containerPath: "/proc", hostPath: "/data" }] }, field: "mounts[0].container_path" },
    { desc: "a mount under /proc", config: { mounts: [{ containerPath: "/proc/sys/../self", hostPath: "/data" }] }, field: "mounts[0].container_path" },
    { desc: "run_as_group without run_as_user", config: sc({ runAsGroup: { value: 5n } }), field: "linux.security_context.run_as_group" },
    { desc: "a missing host path", config: { mounts: [{ containerPath: "/x", hostPath: "/nope" }] }, field: "mounts[0].host_path" },
    { desc: "a device that is not a device", config: { devices: [{ containerPath: "/dev/x", hostPath: "/data" }] }, field: "devices[0].host_path" },
    { desc: "bad device permissions", config: { devices: [{ containerPath: "/dev/fuse", hostPath: "/dev/fuse", permissions: "rwx" }] }, field: "devices[0].permissions" },
    { desc: "rro without support", config: { mounts: [{ containerPath: "/d", hostPath: "/data", readonly: true, recursiveReadOnly: true }] }, field: "mounts[0].recursive_read_only" },
    {
      desc: "rro without readonly",
      config: { mounts: [{ containerPath: "/d", hostPath: "/data", recursiveReadOnly: true }] },
      over: { features: { recursiveReadOnlyMounts: true } },
      field: "mounts[0].recursive_read_only",
    },
    {
      desc: "user namespaces where unsupported",
      config: sc({ namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD, uids: [{ hostId: 1, containerId: 0, length: 1 }], gids: [{ hostId: 1, containerId: 0, length: 1 }] } } }),
      field: "linux.security_context.namespace_options.userns_options",
    },
    { desc: "a privileged container in an unprivileged sandbox", config: sc({ privileged: true }), field: "linux.security_context.privileged" },
    { desc: "nothing to run", config: {}, over: { imageConfig: {} }, field: "command" },
    { desc: "a missing image volume source", config: { mounts: [{ containerPath: "/cfg", image: { image: "sha256:nope" } }] }, field: "mounts[0].image" },
    {
      desc: "an image sub path escaping the image",
      config: { mounts: [{ containerPath: "/cfg", image: { image: "sha256:vol" }, imageSubPath: "../etc" }] },
      over: { imageVolumeSources: { "sha256:vol": "/img/vol" } },
      field: "mounts[0].image_sub_path",
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.desc} with InvalidArgument naming ${c.field}`, () => {
      assert.throws(
        () => generateContainerSpec(containerInit(c.over, c.config)),
        (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details.field === c.field && e.message.length > 0,
      );
    });
  }

  it("says which deprecated seccomp strings are valid", () => {
    assert.throws(
      () => generateContainerSpec(containerInit({}, sc({ seccompProfilePath: "/p.json" }))),
      (e: unknown) =>
        hasErrorCode(e, "InvalidArgument") &&
        /"\/p\.json" is not a valid profile: use "unconfined", "runtime\/default", "docker\/default" or "localhost\/<profile>" \(for example "localhost\/\/p\.json"\)/.test(e.message),
    );
  });

  it("creates a missing host path when the policy says create", () => {
    const host = fakeHost();
    const spec = generateContainerSpec(containerInit({ host, features: { missingHostPath: "create" } }, { mounts: [{ containerPath: "/x", hostPath: "/new/dir" }] }));
    assert.deepEqual(host.made, ["/new/dir"]);
    assert.equal(mountAt(spec, "/x")?.source, "/new/dir");
  });
});

describe("generateContainerSpec: option lists", () => {
  it("lets a runtime replace a step by identity", () => {
    const mine: SpecOption<ContainerSpecInput> = (spec) => {
      spec.linux ??= {};
      spec.linux.seccomp = { defaultAction: "SCMP_ACT_LOG" };
    };
    const options = defaultContainerSpecOptions.map((o) => (o === withContainerSeccomp ? mine : o));
    const spec = generateContainerSpec(containerInit(), { specOptions: options });
    assert.deepEqual(spec.linux?.seccomp, { defaultAction: "SCMP_ACT_LOG" });
  });

  it("lets a runtime add a step at the end", () => {
    const addHook: SpecOption<ContainerSpecInput> = (spec, input) => {
      spec.hooks = { createRuntime: [{ path: "/usr/bin/hook", args: ["hook", input.id] }] };
    };
    const spec = generateContainerSpec(containerInit(), { specOptions: [...defaultContainerSpecOptions, addHook] });
    assertValidOciSpec(spec);
    assert.deepEqual(spec.hooks?.createRuntime?.[0]?.args, ["hook", "c".repeat(64)]);
  });

  it("does not let one generation leak into the next", () => {
    const a = generateContainerSpec(containerInit({}, { mounts: [{ containerPath: "/data", hostPath: "/data" }] }));
    const b = generateContainerSpec(containerInit());
    assert.ok(mountAt(a, "/data"));
    assert.equal(mountAt(b, "/data"), undefined);
  });
});

describe("generateContainerSpec: messages and init objects", () => {
  it("uses a CRI message as it is and makes the same spec from the equivalent init object", async () => {
    const { create } = await import("@bufbuild/protobuf");
    const { ContainerConfigSchema, PodSandboxConfigSchema } = await import("../../src/cri.js");
    const init = containerInit({}, { command: ["/bin/sh"], workingDir: "/work", linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.CONTAINER } } } }, podConfig());
    const config = create(ContainerConfigSchema, init.config);
    const sandboxConfig = create(PodSandboxConfigSchema, init.sandboxConfig);
    const input = containerSpecInput({ ...init, config, sandboxConfig });
    assert.equal(input.config, config);
    assert.equal(input.sandboxConfig, sandboxConfig);
    assert.deepEqual(generateContainerSpec({ ...init, config, sandboxConfig }), generateContainerSpec(init));
  });
});
