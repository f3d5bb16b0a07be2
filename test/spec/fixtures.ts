/**
 * Shared fixtures of the spec unit tests: a table-driven fake SpecHost, a
 * rootfs reader over the test passwd and group files, and a container
 * input builder.
 */
import type { ContainerSpecInit, HostPathInfo, OciLinuxDevice, RootfsReader, SandboxSpecInit, SpecHost } from "../../src/spec/index.js";
import { TEST_GROUP, TEST_PASSWD } from "../helpers/rootfs.js";

const enc = new TextEncoder();

/** Bytes of a string. */
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** The test image's rootfs: /etc/passwd and /etc/group only. */
export const testRootfs: RootfsReader = {
  readFile: (p) => (p === "/etc/passwd" ? bytes(TEST_PASSWD) : p === "/etc/group" ? bytes(TEST_GROUP) : undefined),
};

/** A seccomp profile file the fake host has. */
export const LOCAL_PROFILE = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["keyctl"], action: "SCMP_ACT_ERRNO" }] };

/** A fake SpecHost with a fixed table of files, paths and devices, recording mkdirAll calls. */
export function fakeHost(extra: { stats?: Record<string, HostPathInfo>; devices?: OciLinuxDevice[] } = {}): SpecHost & { made: string[] } {
  const files: Record<string, Uint8Array> = {
    "/var/lib/kubelet/seccomp/profile.json": bytes(JSON.stringify(LOCAL_PROFILE)),
    "/var/lib/kubelet/seccomp/broken.json": bytes("{not json"),
  };
  const stats: Record<string, HostPathInfo> = {
    "/data": { type: "directory" },
    "/data/sub": { type: "directory" },
    "/var/log": { type: "directory" },
    "/img/vol": { type: "directory" },
    "/img/vol/etc": { type: "directory" },
    "/dev/fuse": { type: "char-device", major: 10, minor: 229, mode: 0o20666, uid: 0, gid: 0 },
    "/dev/loop0": { type: "block-device", major: 7, minor: 0, mode: 0o60660, uid: 0, gid: 6 },
    "/etc/passwd": { type: "file" },
    ...(extra.stats ?? {}),
  };
  const made: string[] = [];
  return {
    made,
    readFile: (p) => files[p],
    stat: (p) => stats[p],
    listDevices: () => extra.devices ?? [{ path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }],
    mkdirAll: (p) => {
      made.push(p);
      stats[p] = { type: "directory" };
    },
  };
}

/** A minimal, valid sandbox config. */
export function podConfig(over: Partial<SandboxSpecInit["config"]> = {}): SandboxSpecInit["config"] {
  return { metadata: { name: "web", namespace: "default", uid: "pod-uid-1", attempt: 0 }, hostname: "web-0", logDirectory: "/var/log/pods/default_web_pod-uid-1", ...over } as SandboxSpecInit["config"];
}

/** A container input with sensible defaults, overridden by `over`. */
export function containerInit(over: Partial<ContainerSpecInit> = {}, config: ContainerSpecInit["config"] = {}, sandboxConfig: ContainerSpecInit["sandboxConfig"] = podConfig()): ContainerSpecInit {
  return {
    id: "c".repeat(64),
    sandboxId: "s".repeat(64),
    rootfsPath: "/run/crikit/c/rootfs",
    sandboxPid: 4242,
    rootfs: testRootfs,
    host: fakeHost(),
    imageConfig: { Entrypoint: ["/entry"], Cmd: ["default-arg"], Env: ["PATH=/image/bin", "IMG=1"], WorkingDir: "/srv", User: "" },
    imageName: "docker.io/library/busybox:latest",
    config: { metadata: { name: "app", attempt: 0 }, image: { image: "sha256:abc" }, ...config } as ContainerSpecInit["config"],
    sandboxConfig,
    ...over,
  };
}
