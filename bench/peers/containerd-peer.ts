/**
 * containerd 1.6 (Debian) with its CRI plugin, in its own temp root, state,
 * gRPC and ttrpc sockets, configured like the crikitd it is compared with:
 *
 * - the same runc (`/usr/sbin/runc`, io.containerd.runc.v2, cgroupfs), its
 *   state under our temp dir (`Root`), not /run/containerd/runc;
 * - `restrict_oom_score_adj = true` (CAP_SYS_RESOURCE is missing here);
 * - the same CNI conflist dir and /usr/lib/cni;
 * - the local registry as a plain-HTTP host via `registry.config_path`
 *   (a hosts.toml per host);
 * - the locally built catatonit image as `sandbox_image`, pulled before any
 *   measurement;
 * - snapshotters and tracing that cannot work here disabled.
 *
 * containerd 1.6 always puts pod netns under /var/run/netns; those it leaves
 * behind are removed only when they hold an address of the bench subnet.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { createCriClient } from "../../test/helpers/cri-client.js";
import { netnsSnapshot, removeNetns, removeTree } from "./cleanup.js";
import { removeAllPods } from "./cri-cleanup.js";
import type { Peer } from "./peer.js";
import { findProcesses, must, spawnDaemon, stopDaemon, stopPid, waitForCri } from "./proc.js";

/** Options for {@link startContainerd}. */
export interface ContainerdPeerOptions {
  /** The CNI conf dir holding the bench conflist. */
  cniConfDir: string;
  cniBinDir: string;
  /** `127.0.0.1:PORT` of the local registry. */
  registryHost: string;
  /** The pause image reference (in the local registry). */
  sandboxImage: string;
  /** cgroup parent for the pods. */
  cgroupParent: string;
}

/** The config.toml for a containerd in `dir`. */
export function containerdConfig(dir: string, o: ContainerdPeerOptions): string {
  const sock = join(dir, "containerd.sock");
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${join(dir, "root")}"
state = "${join(dir, "state")}"
oom_score = 0
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "${sock}"
[ttrpc]
  address = "${sock}.ttrpc"
[debug]
  address = ""
  level = "warn"
[metrics]
  address = ""

[${cri}]
  sandbox_image = "${o.sandboxImage}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  max_container_log_line_size = 16384
[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[${cri}.containerd.runtimes.runc.options]
  BinaryName = "/usr/sbin/runc"
  Root = "${join(dir, "runc")}"
  SystemdCgroup = false
[${cri}.cni]
  bin_dir = "${o.cniBinDir}"
  conf_dir = "${o.cniConfDir}"
  max_conf_num = 1
[${cri}.registry]
  config_path = "${join(dir, "certs.d")}"
`;
}

/** hosts.toml that sends pulls for `host` to it over plain HTTP. */
export function hostsToml(host: string): string {
  return `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n`;
}

/** `ctr content ls` sizes: "12.5MiB", "1.2kB", "524B". */
function parseSize(s: string): number {
  const m = /^([\d.]+)\s*([kKMGT]?i?B)?$/.exec(s);
  if (!m) return 0;
  const unit = { B: 1, kB: 1e3, KiB: 1024, MB: 1e6, MiB: 2 ** 20, GB: 1e9, GiB: 2 ** 30 }[m[2] ?? "B"] ?? 1;
  return Number(m[1]) * unit;
}

/** Start containerd with the CRI plugin and pull the sandbox image. */
export async function startContainerd(o: ContainerdPeerOptions): Promise<Peer> {
  const dir = await mkdtemp(join(tmpdir(), "crkb-containerd-"));
  const sock = join(dir, "containerd.sock");
  await mkdir(join(dir, "certs.d", o.registryHost), { recursive: true });
  await writeFile(join(dir, "certs.d", o.registryHost, "hosts.toml"), hostsToml(o.registryHost));
  await writeFile(join(dir, "config.toml"), containerdConfig(dir, o));
  const netnsBefore = await netnsSnapshot();
  const daemon = spawnDaemon(["containerd", "--config", join(dir, "config.toml")]);
  const client = createCriClient(sock);
  const ctr = (args: string[]): Promise<string> => must(["ctr", "-a", sock, "-n", "k8s.io", ...args]);

  let stopped: Promise<string[]> | undefined;
  const stop = (): Promise<string[]> =>
    (stopped ??= (async () => {
      const problems: string[] = [];
      problems.push(...(await removeAllPods(client)).map((p) => `containerd CRI cleanup: ${p}`));
      client.close();
      await stopDaemon(daemon);
      // Shims outlive containerd; ours name our socket in their argv.
      for (const p of await findProcesses(`-address ${sock}`)) {
        problems.push(`containerd: shim pid ${p.pid} outlived its containers; killed`);
        await stopPid(p.pid, 2000);
      }
      const runcRoot = join(dir, "runc", "k8s.io");
      const list = await execa("/usr/sbin/runc", ["--root", runcRoot, "list", "-q"], { reject: false });
      for (const id of String(list.stdout).split("\n").filter(Boolean)) {
        problems.push(`containerd: runc container ${id} left; deleted`);
        await execa("/usr/sbin/runc", ["--root", runcRoot, "delete", "-f", id], { reject: false });
      }
      const gone = await removeNetns("/var/run/netns", { onlyNew: netnsBefore });
      if (gone.length > 0) problems.push(`containerd: removed leftover netns ${gone.join(", ")}`);
      problems.push(...(await removeTree(dir)));
      return problems;
    })());

  try {
    await waitForCri(sock, daemon, 30_000);
    await client.unary("PullImage", { image: { image: o.sandboxImage } }, { timeoutMs: 120_000 });
  } catch (e) {
    const problems = await stop();
    throw new Error(`containerd did not start: ${(e as Error).message}${problems.length ? `\ncleanup: ${problems.join("; ")}` : ""}`);
  }

  return {
    label: "containerd 1.6",
    kind: "containerd",
    socket: sock,
    pid: daemon.pid,
    client,
    dir,
    cgroupParent: o.cgroupParent,
    async monitorPids() {
      return (await findProcesses(`-address ${sock}`)).filter((p) => p.comm.startsWith("containerd-shim")).map((p) => p.pid);
    },
    async dropImage(ref: string) {
      // CRI's RemoveImage deletes synchronously, which runs the GC.
      await client.unary("RemoveImage", { image: { image: ref } }, { timeoutMs: 60_000 });
    },
    async cacheBytes() {
      // Blobs in the content store plus the overlay snapshots on disk.
      const rows = (await ctr(["content", "ls"])).split("\n").slice(1).filter(Boolean);
      let bytes = 0;
      for (const r of rows) bytes += parseSize(r.split(/\s+/)[1] ?? "0");
      const snaps = await execa("du", ["-sb", join(dir, "root", "io.containerd.snapshotter.v1.overlayfs")], { reject: false });
      return bytes + Number(String(snaps.stdout).split(/\s+/)[0] ?? 0);
    },
    stop,
  };
}
