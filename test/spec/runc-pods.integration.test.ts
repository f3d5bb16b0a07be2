/**
 * Integration: pods whose sandbox changes what containers may do, under
 * the host's real runc. A user-namespaced pod whose container joins the
 * pod's user namespace, and a privileged pod whose privileged container
 * gets every host capability, the host's devices, no masks and a writable
 * sysfs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NamespaceMode } from "../../src/cri.js";
import {
  ALL_CAPABILITIES,
  capabilityMask,
  generateContainerSpec,
  generateSandboxSpec,
  type ContainerSpecInit,
  type SandboxSpecInit,
} from "../../src/spec/index.js";
import { assertValidOciSpec } from "../helpers/oci-schema.js";
import { createDirRootfsReader, createNodeSpecHost, currentOomScoreAdj, hostBoundingCapabilities } from "../helpers/rootfs.js";
import { createRuncLab, type RuncLab } from "./runc-lab.js";

type Config = ContainerSpecInit["config"];

describe("pods with special sandboxes under runc", () => {
  let lab: RuncLab;
  const host = createNodeSpecHost();
  const hostCapabilities = hostBoundingCapabilities(ALL_CAPABILITIES);
  const common = () => ({
    rootfsPath: lab.rootfs.rootfs,
    rootfs: createDirRootfsReader(lab.rootfs.rootfs),
    host,
    restrictOomScoreAdj: true,
    currentOomScoreAdj: currentOomScoreAdj(),
    hostCapabilities,
    features: { userNamespaces: true },
  });

  async function pod(label: string, linux: NonNullable<SandboxSpecInit["config"]["linux"]>) {
    const id = lab.newId(label);
    const config = { metadata: { name: label, namespace: "crikit-test", uid: label }, linux: { cgroupParent: lab.cgroupParent, ...linux } } as SandboxSpecInit["config"];
    const spec = generateSandboxSpec({ ...common(), id, config });
    assertValidOciSpec(spec);
    return { id, config, pid: await lab.start(id, spec) };
  }

  async function runIn(p: Awaited<ReturnType<typeof pod>>, label: string, script: string, config: Partial<Config> = {}) {
    const id = lab.newId(label);
    const spec = generateContainerSpec({
      ...common(),
      id,
      sandboxId: p.id,
      sandboxPid: p.pid,
      sandboxConfig: p.config,
      config: { metadata: { name: label }, command: ["/bin/sh", "-c", script], ...config } as Config,
    });
    assertValidOciSpec(spec);
    const r = await lab.run(id, spec);
    assert.equal(r.exitCode, 0, `container ${label} failed: ${r.stderr}`);
    return { spec, out: r.stdout };
  }

  before(() => {
    lab = createRuncLab();
  });
  after(async () => {
    await lab?.cleanup();
  });

  it("runs a container inside the pod's user namespace", async () => {
    const userns = { mode: NamespaceMode.POD, uids: [{ hostId: 200000, containerId: 0, length: 65536 }], gids: [{ hostId: 200000, containerId: 0, length: 65536 }] };
    const p = await pod("userns-pod", { securityContext: { namespaceOptions: { usernsOptions: userns } } });
    const { spec, out } = await runIn(p, "userns-ctr", "cat /proc/self/uid_map; readlink /proc/self/ns/user; readlink /proc/1/ns/user", {
      linux: { securityContext: { namespaceOptions: { usernsOptions: userns } } },
    });
    assert.equal(spec.linux?.namespaces?.find((n) => n.type === "user")?.path, `/proc/${p.pid}/ns/user`);
    const [map, own, pause] = out.split("\n").map((l) => l.trim().split(/\s+/).join(" "));
    assert.equal(map, "0 200000 65536");
    assert.equal(own, pause, "the container and the pause process share one user namespace");
  });

  it("gives a privileged container every host capability, host devices, no masks and a writable sysfs", async () => {
    const p = await pod("priv-pod", { securityContext: { privileged: true } });
    const { out } = await runIn(
      p,
      "priv-ctr",
      "grep CapEff /proc/self/status; wc -c < /proc/timer_list; ls /dev/loop-control /dev/kmsg >/dev/null && echo devices-ok; grep ' /sys ' /proc/self/mountinfo",
      { linux: { securityContext: { privileged: true } } },
    );
    const [capLine, timerSize, devices, sysLine] = out.split("\n");
    assert.equal(capLine?.split(/\s+/)[1], capabilityMask(hostCapabilities));
    assert.ok(Number(timerSize) > 0, "/proc/timer_list is not masked");
    assert.equal(devices, "devices-ok");
    assert.match(sysLine ?? "", / rw,/, "sysfs is mounted read-write");
  });
});
