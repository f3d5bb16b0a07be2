/**
 * The specs crikit generates for the configs real clients send when they
 * leave fields empty: crictl's documented minimal pod.json and
 * container.json, and configs without a linux section at all. Each empty
 * field gets the default the README's "Defaults" table lists.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_CAPABILITIES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  generateContainerSpec,
  generateSandboxSpec,
  type ContainerSpecInit,
  type OciSpec,
} from "../../src/spec/index.js";
import { assertValidOciSpec } from "../helpers/oci-schema.js";
import { fakeHost, testRootfs } from "./fixtures.js";

/** crictl's documented pod.json, as its JSON decodes into the CRI message. */
const crictlPod = { metadata: { name: "nginx-sandbox", namespace: "default", attempt: 1, uid: "hdishd83djaidwnduwk28bcsb" }, logDirectory: "/tmp", linux: {} };
/** crictl's documented container.json. */
const crictlContainer = { metadata: { name: "busybox" }, image: { image: "busybox" }, command: ["top"], logPath: "busybox.0.log", linux: {} };

const image = { Env: ["PATH=/bin"], Cmd: ["/bin/sh"] };

function containerSpec(config: ContainerSpecInit["config"], sandboxConfig: ContainerSpecInit["sandboxConfig"]): OciSpec {
  const spec = generateContainerSpec({
    id: "c".repeat(64),
    sandboxId: "s".repeat(64),
    rootfsPath: "/run/crikit/c/rootfs",
    rootfs: testRootfs,
    host: fakeHost(),
    imageConfig: image,
    nodeHostname: "node-1",
    sandboxPid: 4242,
    config,
    sandboxConfig,
  });
  assertValidOciSpec(spec);
  return spec;
}

const nsTypes = (s: OciSpec): string[] => (s.linux?.namespaces ?? []).map((n) => (n.path ? `${n.type}=${n.path}` : n.type)).sort();

describe("specs for minimal configs", () => {
  for (const c of [
    { desc: "crictl's minimal pod.json and container.json", pod: crictlPod, ctr: crictlContainer, args: ["top"] },
    { desc: "configs without a linux section", pod: { metadata: crictlPod.metadata }, ctr: { metadata: { name: "bare" }, image: { image: "busybox" } }, args: ["/bin/sh"] },
  ]) {
    it(`gives the container of ${c.desc} the documented defaults`, () => {
      const s = containerSpec(c.ctr, c.pod);
      assert.deepEqual(s.process?.args, c.args, "command, else the image's Entrypoint and Cmd");
      assert.equal(s.process?.cwd, "/", "no working_dir and none in the image");
      assert.deepEqual(s.process?.env, ["PATH=/bin", "HOSTNAME=node-1"], "the node's hostname, the image's PATH");
      assert.deepEqual(s.process?.user, { uid: 0, gid: 0, additionalGids: [0] }, "the image's user: root");
      assert.equal(s.process?.terminal, false);
      assert.equal(s.process?.noNewPrivileges, false);
      assert.equal(s.process?.oomScoreAdj, 0);
      assert.deepEqual([...(s.process?.capabilities?.bounding ?? [])].sort(), [...DEFAULT_CAPABILITIES].sort());
      assert.equal(s.linux?.seccomp, undefined, "no profile asked for: unconfined");
      assert.equal(s.process?.apparmorProfile, undefined);
      assert.deepEqual(s.root, { path: "/run/crikit/c/rootfs", readonly: false });
      assert.deepEqual(s.linux?.maskedPaths, [...DEFAULT_MASKED_PATHS]);
      assert.deepEqual(s.linux?.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
      assert.equal(s.linux?.resources?.memory, undefined, "no limits");
      assert.equal(s.linux?.resources?.cpu, undefined);
      assert.equal(s.linux?.cgroupsPath, "c".repeat(64), "no cgroup_parent: the ID alone");
      assert.deepEqual(s.linux?.sysctl ?? {}, {});
      assert.deepEqual(nsTypes(s), ["ipc=/proc/4242/ns/ipc", "mount", "network=/proc/4242/ns/net", "pid=/proc/4242/ns/pid", "uts=/proc/4242/ns/uts"], "the pod's namespaces, its PID one included (PID mode POD)");
    });

    it(`gives the sandbox of ${c.desc} the node's hostname and the pod's namespaces`, () => {
      const s = generateSandboxSpec({ id: "s".repeat(64), rootfsPath: "/run/crikit/s/rootfs", rootfs: testRootfs, nodeHostname: "node-1", config: c.pod });
      assertValidOciSpec(s);
      assert.equal(s.hostname, "node-1");
      assert.deepEqual(nsTypes(s), ["ipc", "mount", "network", "pid", "uts"]);
      assert.equal(s.linux?.seccomp, undefined);
    });
  }
});
