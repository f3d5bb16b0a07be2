import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NamespaceMode, SecurityProfile_ProfileType } from "../../src/cri.js";
import { hasErrorCode } from "../../src/errors.js";
import { generateSandboxSpec, type OciSpec, type SandboxSpecInit } from "../../src/spec/index.js";
import { assertValidOciSpec, ociSchemaErrors } from "../helpers/oci-schema.js";
import { podConfig, testRootfs } from "./fixtures.js";

function gen(config = podConfig(), over: Partial<SandboxSpecInit> = {}): OciSpec {
  const spec = generateSandboxSpec({ id: "s".repeat(64), rootfsPath: "/run/crikit/s/rootfs", rootfs: testRootfs, imageName: "crikit/pause", config, ...over });
  assertValidOciSpec(spec);
  return spec;
}
const nsTypes = (s: OciSpec): string[] => (s.linux?.namespaces ?? []).map((n) => (n.path ? `${n.type}=${n.path}` : n.type)).sort();

describe("generateSandboxSpec", () => {
  const cases: Array<{ desc: string; config?: ReturnType<typeof podConfig>; over?: Partial<SandboxSpecInit>; check: (s: OciSpec) => void }> = [
    {
      desc: "the pause process is catatonit -P with a read-only root and the pod hostname",
      check: (s) => {
        assert.deepEqual(s.process?.args, ["/catatonit", "-P"]);
        assert.equal(s.root?.readonly, true);
        assert.equal(s.hostname, "web-0");
        assert.equal(s.process?.noNewPrivileges, true);
      },
    },
    {
      desc: "a pod that names no hostname gets the node's hostname, even with a name longer than 64 bytes",
      config: podConfig({ hostname: "", metadata: { name: "n".repeat(100), namespace: "default", uid: "u", attempt: 0 } as never }),
      over: { nodeHostname: "node-1" },
      check: (s) => assert.equal(s.hostname, "node-1"),
    },
    {
      desc: "a pod that names no hostname, without a node hostname, keeps the UTS namespace's own",
      config: podConfig({ hostname: "" }),
      check: (s) => assert.equal(s.hostname, undefined),
    },
    { desc: "the pause argv is configurable", over: { pauseArgs: ["/pause"] }, check: (s) => assert.deepEqual(s.process?.args, ["/pause"]) },
    { desc: "the pause process gets oom_score_adj -998", check: (s) => assert.equal(s.process?.oomScoreAdj, -998) },
    { desc: "restrictOomScoreAdj clamps it to the runtime's own", over: { restrictOomScoreAdj: true, currentOomScoreAdj: 0 }, check: (s) => assert.equal(s.process?.oomScoreAdj, 0) },
    { desc: "new namespaces are created", check: (s) => assert.deepEqual(nsTypes(s), ["ipc", "mount", "network", "pid", "uts"]) },
    { desc: "a given netns is joined", over: { netnsPath: "/run/netns/cni-1" }, check: (s) => assert.deepEqual(nsTypes(s), ["ipc", "mount", "network=/run/netns/cni-1", "pid", "uts"]) },
    {
      desc: "NODE modes use the host's namespaces and no hostname",
      config: podConfig({ linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE, pid: NamespaceMode.NODE, ipc: NamespaceMode.NODE } } } }),
      check: (s) => {
        assert.deepEqual(nsTypes(s), ["mount"]);
        assert.equal(s.hostname, undefined);
        assert.equal(s.mounts?.find((m) => m.destination === "/dev/shm")?.source, "/dev/shm");
      },
    },
    {
      desc: "a user namespace is created with the mappings",
      config: podConfig({ linux: { securityContext: { namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD, uids: [{ hostId: 100000, containerId: 0, length: 65536 }], gids: [{ hostId: 100000, containerId: 0, length: 65536 }] } } } } }),
      over: { features: { userNamespaces: true } },
      check: (s) => {
        assert.ok(nsTypes(s).includes("user"));
        assert.deepEqual(s.linux?.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
      },
    },
    {
      desc: "the pod shm path is bind-mounted read-only into the pause container",
      over: { shmPath: "/run/crikit/s/shm" },
      check: (s) =>
        assert.deepEqual(s.mounts?.find((m) => m.destination === "/dev/shm"), {
          destination: "/dev/shm",
          type: "bind",
          source: "/run/crikit/s/shm",
          options: ["rbind", "rprivate", "ro", "nosuid", "nodev", "noexec"],
        }),
    },
    { desc: "without a shm path /dev/shm is a tmpfs of the pod shm size", over: { shmSizeBytes: 1048576 }, check: (s) => assert.ok(s.mounts?.find((m) => m.destination === "/dev/shm")?.options?.includes("size=1048576")) },
    { desc: "the sandbox user is run_as_user", config: podConfig({ linux: { securityContext: { runAsUser: { value: 1000n } } } }), check: (s) => assert.equal(s.process?.user?.uid, 1000) },
    { desc: "cpu shares are 2 and the cgroup is under the parent", config: podConfig({ linux: { cgroupParent: "/kubepods/pod1" } }), check: (s) => {
      assert.equal(s.linux?.resources?.cpu?.shares, 2);
      assert.equal(s.linux?.cgroupsPath, `/kubepods/pod1/${"s".repeat(64)}`);
    } },
    {
      desc: "sysctls apply with containerd's unprivileged port and ICMP defaults",
      config: podConfig({ linux: { sysctls: { "net.ipv4.ip_forward": "1", "net.ipv4.ip_unprivileged_port_start": "1024" } } }),
      check: (s) =>
        assert.deepEqual(s.linux?.sysctl, { "net.ipv4.ip_forward": "1", "net.ipv4.ip_unprivileged_port_start": "1024", "net.ipv4.ping_group_range": "0 2147483647" }),
    },
    {
      desc: "the unprivileged defaults can be turned off",
      over: { unprivilegedPorts: false, unprivilegedIcmp: false },
      check: (s) => assert.equal(s.linux?.sysctl, undefined),
    },
    {
      desc: "a host-network pod gets no network sysctls",
      config: podConfig({ linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } }),
      check: (s) => assert.equal(s.linux?.sysctl, undefined),
    },
    {
      desc: "a user-namespaced pod gets no ping_group_range",
      config: podConfig({ linux: { securityContext: { namespaceOptions: { usernsOptions: { mode: NamespaceMode.POD, uids: [{ hostId: 100000, containerId: 0, length: 65536 }], gids: [{ hostId: 100000, containerId: 0, length: 65536 }] } } } } }),
      over: { features: { userNamespaces: true } },
      check: (s) => assert.deepEqual(s.linux?.sysctl, { "net.ipv4.ip_unprivileged_port_start": "0" }),
    },
    {
      desc: "pod resources are recorded as sandbox annotations",
      config: podConfig({ linux: { resources: { cpuPeriod: 100000n, cpuQuota: 200000n, cpuShares: 2048n, memoryLimitInBytes: 1073741824n } } }),
      check: (s) => {
        assert.equal(s.annotations?.["io.kubernetes.cri.sandbox-cpu-period"], "100000");
        assert.equal(s.annotations?.["io.kubernetes.cri.sandbox-cpu-quota"], "200000");
        assert.equal(s.annotations?.["io.kubernetes.cri.sandbox-cpu-shares"], "2048");
        assert.equal(s.annotations?.["io.kubernetes.cri.sandbox-memory"], "1073741824");
      },
    },
    { desc: "seccomp RuntimeDefault applies", config: podConfig({ linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } } } }), check: (s) => assert.equal(s.linux?.seccomp?.defaultAction, "SCMP_ACT_ERRNO") },
    {
      desc: "a privileged sandbox has no masks",
      config: podConfig({ linux: { securityContext: { privileged: true } } }),
      check: (s) => {
        assert.deepEqual(s.linux?.maskedPaths, []);
        assert.deepEqual(s.linux?.readonlyPaths, []);
      },
    },
    {
      desc: "the sandbox annotations are set",
      config: podConfig({ annotations: { "example.com/pass": "1" } }),
      over: { podAnnotationPatterns: ["example.com/*"] },
      check: (s) =>
        assert.deepEqual(s.annotations, {
          "example.com/pass": "1",
          "io.kubernetes.cri.sandbox-id": "s".repeat(64),
          "io.kubernetes.cri.sandbox-namespace": "default",
          "io.kubernetes.cri.sandbox-uid": "pod-uid-1",
          "io.kubernetes.cri.sandbox-name": "web",
          "io.kubernetes.cri.sandbox-log-directory": "/var/log/pods/default_web_pod-uid-1",
          "io.kubernetes.cri.podsandbox.image-name": "crikit/pause",
          "io.kubernetes.cri.container-type": "sandbox",
        }),
    },
  ];
  for (const c of cases) it(`generates so that ${c.desc}, and the spec validates`, () => c.check(gen(c.config, c.over)));

  it("refuses run_as_group without run_as_user", () => {
    assert.throws(
      () => gen(podConfig({ linux: { securityContext: { runAsGroup: { value: 1n } } } })),
      (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details.field === "linux.security_context.run_as_group",
    );
  });
});

describe("the OCI schema helper", () => {
  const bad = [
    { desc: "a spec without ociVersion", spec: { process: { cwd: "/" } } },
    { desc: "a process without cwd", spec: { ociVersion: "1.2.1", process: { args: ["x"] } } },
    { desc: "a mount without destination", spec: { ociVersion: "1.2.1", mounts: [{ source: "/x" }] } },
    { desc: "an unknown namespace type", spec: { ociVersion: "1.2.1", linux: { namespaces: [{ type: "bogus" }] } } },
    { desc: "a negative uid", spec: { ociVersion: "1.2.1", process: { cwd: "/", user: { uid: -1, gid: 0 } } } },
  ];
  for (const c of bad) it(`rejects ${c.desc}`, () => assert.ok(ociSchemaErrors(c.spec).length > 0));
});
