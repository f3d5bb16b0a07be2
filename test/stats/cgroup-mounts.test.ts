import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { locateCgroupPath, locateProcCgroups, parseCgroupMounts, parseProcCgroup, podCgroupPath } from "../../src/stats/index.js";
import { HYBRID_MOUNTINFO, HYBRID_PROC_CGROUP, V2_MOUNTINFO, V2_PROC_CGROUP } from "./fixtures.js";

describe("cgroup mounts and locations", () => {
  it("finds the v1 hierarchies and the v2 mount of a hybrid host", () => {
    const m = parseCgroupMounts(HYBRID_MOUNTINFO);
    assert.deepEqual(
      m.map((x) => [x.version, x.mountPoint, x.controllers.join(",")]),
      [
        [1, "/sys/fs/cgroup/cpu", "cpu"],
        [1, "/sys/fs/cgroup/cpuacct", "cpuacct"],
        [1, "/sys/fs/cgroup/memory", "memory"],
        [1, "/sys/fs/cgroup/pids", "pids"],
        [1, "/sys/fs/cgroup/systemd", "name=systemd"],
        [2, "/sys/fs/cgroup/unified", ""],
      ],
    );
  });

  it("reads v1 controllers from their v1 hierarchies on a hybrid host, not from the unified one", () => {
    const loc = locateProcCgroups(parseProcCgroup(HYBRID_PROC_CGROUP), parseCgroupMounts(HYBRID_MOUNTINFO));
    assert.deepEqual(loc, {
      cpu: { version: 1, dir: "/sys/fs/cgroup/cpuacct/kubepods/pod1/ctr" },
      memory: { version: 1, dir: "/sys/fs/cgroup/memory/kubepods/pod1/ctr" },
      pids: { version: 1, dir: "/sys/fs/cgroup/pids/kubepods/pod1/ctr" },
    });
  });

  it("reads every controller from the one hierarchy of a v2 host", () => {
    const loc = locateProcCgroups(parseProcCgroup(V2_PROC_CGROUP), parseCgroupMounts(V2_MOUNTINFO));
    const dir = "/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/crikit-abc.scope";
    assert.deepEqual(loc, { cpu: { version: 2, dir }, memory: { version: 2, dir }, pids: { version: 2, dir } });
  });

  it("maps a co-mounted cpu,cpuacct hierarchy and a mount of a subtree", () => {
    const mi = "32 31 0:29 /outer /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n33 31 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
    const loc = locateProcCgroups(parseProcCgroup("3:cpu,cpuacct:/outer/pod/c\n2:memory:/pod/c\n"), parseCgroupMounts(mi));
    assert.deepEqual(loc.cpu, { version: 1, dir: "/sys/fs/cgroup/cpu,cpuacct/pod/c" }, "the mounted root is cut from the path");
    assert.deepEqual(loc.memory, { version: 1, dir: "/sys/fs/cgroup/memory/pod/c" });
    assert.equal(loc.pids, undefined, "no pids hierarchy, no v2 mount: no pids directory");
  });

  it("unescapes octal escapes in mount points", () => {
    const m = parseCgroupMounts("26 23 0:24 / /mnt/my\\040cgroup rw - cgroup2 cgroup2 rw\n");
    assert.equal(m[0]?.mountPoint, "/mnt/my cgroup");
  });

  it("locates a cgroup by path in every hierarchy", () => {
    assert.deepEqual(locateCgroupPath("/kubepods/pod1", parseCgroupMounts(HYBRID_MOUNTINFO)), {
      cpu: { version: 1, dir: "/sys/fs/cgroup/cpuacct/kubepods/pod1" },
      memory: { version: 1, dir: "/sys/fs/cgroup/memory/kubepods/pod1" },
      pids: { version: 1, dir: "/sys/fs/cgroup/pids/kubepods/pod1" },
    });
    assert.deepEqual(locateCgroupPath("kubepods", parseCgroupMounts(V2_MOUNTINFO)).memory, { version: 2, dir: "/sys/fs/cgroup/kubepods" });
  });

  const pods = [
    { desc: "cgroupfs keeps the path", driver: "cgroupfs" as const, parent: "/kubepods/burstable/pod1", want: "/kubepods/burstable/pod1" },
    { desc: "cgroupfs makes a relative path absolute", driver: "cgroupfs" as const, parent: "kubepods/pod1", want: "/kubepods/pod1" },
    { desc: "systemd expands a slice name", driver: "systemd" as const, parent: "kubepods-burstable-pod1.slice", want: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice" },
    { desc: "systemd with a top-level slice", driver: "systemd" as const, parent: "kubepods.slice", want: "/kubepods.slice" },
    { desc: "systemd root slice", driver: "systemd" as const, parent: "-.slice", want: "/" },
    { desc: "an empty parent has no pod cgroup", driver: "cgroupfs" as const, parent: "", want: undefined },
  ];
  for (const c of pods) {
    it(`derives the pod cgroup path: ${c.desc}`, () => assert.equal(podCgroupPath(c.driver, c.parent), c.want));
  }
});
