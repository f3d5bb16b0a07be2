/**
 * crikit's example daemon as `npm run crikitd` runs it: the compiled
 * `dist/examples/crikitd/main.js` (built by `npm run bench`) with the same
 * Node flags (`CRIKITD_NODE_FLAGS`), in its own temp
 * root, state, socket and netns dir, configured like the containerd it is
 * compared with: the same runc (cgroupfs), the same CNI conflist dir and
 * /usr/lib/cni, the local registry as an insecure (plain-HTTP) host, and
 * catatonit as the pause binary. `sandbox_mode` is `infra-less` or `infra`.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { CRIKITD_NODE_FLAGS } from "../../examples/crikitd/node-flags.js";
import { createCriClient } from "../../test/helpers/cri-client.js";
import { removeNetns, removeTree } from "./cleanup.js";
import { removeAllPods } from "./cri-cleanup.js";
import type { Peer } from "./peer.js";
import { findProcesses, spawnDaemon, stopDaemon, stopPid, waitForCri } from "./proc.js";

/** The repository root (bench/peers/../..). */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The daemon's entry point. */
export const crikitdMain = join(repoRoot, "dist", "examples", "crikitd", "main.js");

/** Options for {@link startCrikitd}. */
export interface CrikitdPeerOptions {
  sandboxMode: "infra" | "infra-less";
  cniConfDir: string;
  cniBinDir: string;
  registryHost: string;
  cgroupParent: string;
  /** Extra node flags, e.g. `--cpu-prof --cpu-prof-dir=DIR`. */
  nodeFlags?: string[];
  /** The entry point and extra arguments (a stand-in, for checking the bench itself). @defaultValue [crikitdMain] */
  main?: string[];
  /** TOML appended to the config (a `[tracing]` table, say). */
  extraToml?: string;
  /** The peer's label. @defaultValue `crikitd <sandboxMode>` */
  label?: string;
}

/** The TOML config of a crikitd in `dir`. */
export function crikitdConfig(dir: string, o: CrikitdPeerOptions): string {
  return `root = "${join(dir, "root")}"
state = "${join(dir, "state")}"
socket = "${join(dir, "crikitd.sock")}"
log_level = "warn"
cgroup_driver = "cgroupfs"
sandbox_mode = "${o.sandboxMode}"
pause_binary = "/usr/bin/catatonit"
restrict_oom_score_adj = true
default_runtime = "runc"

[runtimes.runc]
type = "io.containerd.runc.v2"
binary = "/usr/sbin/runc"
[runtimes.runc.options]
SystemdCgroup = false

[cni]
bin_dirs = ["${o.cniBinDir}"]
conf_dir = "${o.cniConfDir}"
netns_dir = "${join(dir, "netns")}"

[registry]
insecure = ["${o.registryHost}"]

[stream]
address = "127.0.0.1"
port = 0
${o.extraToml ?? ""}`;
}

/** Whether the daemon's entry point exists yet (another helper writes it). */
export function crikitdAvailable(): boolean {
  return existsSync(crikitdMain);
}

/** Start crikitd and wait for its CRI socket. */
export async function startCrikitd(o: CrikitdPeerOptions): Promise<Peer> {
  const main = o.main ?? [crikitdMain];
  if (o.main === undefined && !crikitdAvailable()) throw new Error(`crikitd is not available: ${crikitdMain} does not exist`);
  const dir = await mkdtemp(join(tmpdir(), `crkb-crikitd-${o.sandboxMode}-`));
  const sock = join(dir, "crikitd.sock");
  await mkdir(join(dir, "netns"), { recursive: true });
  await writeFile(join(dir, "crikitd.toml"), crikitdConfig(dir, o));
  // TypeScript entry points (the stand-in daemon of the bench's own tests) need tsx.
  const loader = main[0]?.endsWith(".ts") ? ["--import", "tsx"] : [];
  const daemon = spawnDaemon([process.execPath, ...CRIKITD_NODE_FLAGS, ...(o.nodeFlags ?? []), ...loader, ...main, "--config", join(dir, "crikitd.toml")], { cwd: repoRoot });
  const client = createCriClient(sock);

  let stopped: Promise<string[]> | undefined;
  const stop = (): Promise<string[]> =>
    (stopped ??= (async () => {
      const problems: string[] = [];
      if (existsSync(sock)) problems.push(...(await removeAllPods(client)).map((p) => `crikitd CRI cleanup: ${p}`));
      client.close();
      await stopDaemon(daemon);
      for (const p of await findProcesses(dir)) {
        problems.push(`crikitd: ${p.comm} pid ${p.pid} outlived the daemon; killed`);
        await stopPid(p.pid, 2000);
      }
      const runcRoot = join(dir, "state", "runtimes", "runc");
      const list = await execa("/usr/sbin/runc", ["--root", runcRoot, "list", "-q"], { reject: false });
      for (const id of String(list.stdout).split("\n").filter(Boolean)) {
        problems.push(`crikitd: runc container ${id} left; deleted`);
        await execa("/usr/sbin/runc", ["--root", runcRoot, "delete", "-f", id], { reject: false });
      }
      const gone = await removeNetns(join(dir, "netns"), { all: true });
      if (gone.length > 0) problems.push(`crikitd: removed leftover netns ${gone.join(", ")}`);
      problems.push(...(await removeTree(dir)));
      return problems;
    })());

  try {
    await waitForCri(sock, daemon, 60_000);
  } catch (e) {
    const problems = await stop();
    throw new Error(`crikitd did not start: ${(e as Error).message}${problems.length ? `\ncleanup: ${problems.join("; ")}` : ""}`);
  }

  return {
    label: o.label ?? `crikitd ${o.sandboxMode}`,
    kind: "crikitd",
    socket: sock,
    pid: daemon.pid,
    client,
    dir,
    cgroupParent: o.cgroupParent,
    async monitorPids() {
      return (await findProcesses(dir)).filter((p) => p.comm === "conmon").map((p) => p.pid);
    },
    async dropImage(ref: string) {
      await client.unary("RemoveImage", { image: { image: ref } }, { timeoutMs: 60_000 });
    },
    async cacheBytes() {
      const r = await execa("du", ["-sb", join(dir, "root")], { reject: false });
      return Number(String(r.stdout).split(/\s+/)[0] ?? 0);
    },
    stop,
  };
}
