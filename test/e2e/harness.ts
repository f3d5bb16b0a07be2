/**
 * End-to-end harness: a local registry seeded with a busybox-static image, a
 * CNI conf dir with a test bridge of its own (`crkte2eXXXX`, a /24 in 10.203.0.0/16, no default
 * route, no masquerade), temporary root and state dirs, and crikitd started
 * as its own process (`node --import tsx examples/crikitd/main.ts --config
 * FILE`) on a temporary socket, driven with the grpc-js client.
 *
 * Cleanup kills only what the test started, by pid: the daemon, and conmon
 * processes (with their containers) whose command line names this
 * environment's state dir; it unmounts what is mounted under the temp dir,
 * removes the netns pins this daemon made, the bridge and host-local's
 * address records for the test network.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CRIKITD_NODE_FLAGS } from "../../examples/crikitd/node-flags.js";
import { execa } from "execa";
import { createCriClient, isServiceError, GrpcStatus, type CriClient } from "../helpers/cri-client.js";
import { buildOciLayout, busyboxRootEntries } from "../helpers/oci-layout.js";
import { pushLayout, startRegistry, type TestRegistry } from "../helpers/registry.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
/** A test network of one environment. */
export interface E2eNetwork {
  /** `crkte2e` and 4 hex digits (environments may run at the same time). */
  bridge: string;
  /** The CNI network name (host-local keeps its records under /var/lib/cni/networks/NAME). */
  network: string;
  /** A /24 inside 10.203.0.0/16, the e2e tests' range. */
  subnet: string;
}

/** A fresh test network: its own bridge, CNI network name and /24 in 10.203.0.0/16. */
export function e2eNetwork(): E2eNetwork {
  const n = randomBytes(2);
  const tag = n.toString("hex");
  return { bridge: `crkte2e${tag}`, network: `crikit-e2e-${tag}`, subnet: `10.203.${n[0] ?? 0}.0/24` };
}

/** The conflist of a test network: bridge (no default route, no masquerade) and portmap. */
export function e2eConflist(net: E2eNetwork): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: net.network,
    plugins: [
      { type: "bridge", bridge: net.bridge, isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: net.subnet }]] } },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  });
}

/** Removes a test network's bridge and host-local records. */
export async function removeE2eNetwork(net: E2eNetwork): Promise<void> {
  await execa("ip", ["link", "del", net.bridge], { reject: false });
  await rm(join("/var/lib/cni/networks", net.network), { recursive: true, force: true });
}

/** A running daemon. */
export interface Daemon {
  proc: ChildProcess;
  pid: number;
  logFile: string;
  exited: Promise<number | null>;
  /** How it ended (exit code and signal), once it has. */
  how(): string;
}

/** The environment of one e2e test file. */
export interface E2eEnv {
  dir: string;
  root: string;
  state: string;
  socket: string;
  configPath: string;
  cniConfDir: string;
  /** The daemon's netns pin directory, inside {@link E2eEnv.dir}. */
  netnsDir: string;
  logDir: string;
  registry: TestRegistry;
  net: E2eNetwork;
  /** The pushed image, `127.0.0.1:PORT/e2e/busybox:1`. */
  image: string;
  client: CriClient;
  daemon: Daemon;
  /** The environment the next {@link E2eEnv.start} gives the daemon; `undefined`: the test's. */
  daemonEnv: NodeJS.ProcessEnv | undefined;
  /** Starts the daemon; `extraEnv` is added to its environment (a crash point, for instance). */
  start(extraEnv?: Record<string, string>): Promise<Daemon>;
  /** SIGKILL the daemon by pid and wait for it. */
  kill9(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<number | null>;
  cleanup(): Promise<void>;
}

/** The busybox-static image: one layer, `/bin/busybox` and a few applet links, a web root. */
export function e2eImage(): { layers: { entries: import("../helpers/oci-layout.js").LayerEntry[] }[]; config: Record<string, unknown> } {
  return {
    config: { Env: ["PATH=/bin"], Cmd: ["/bin/sh"], WorkingDir: "/" },
    layers: [
      {
        entries: busyboxRootEntries({
          applets: ["sh", "sleep", "echo", "cat", "httpd", "wget", "ls", "true", "false", "kill", "ip", "hostname"],
          passwd: "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/www:/bin/sh\n",
          group: "root:x:0:\nwww:x:33:\n",
          extra: [
            { path: "www/", type: "dir" },
            { path: "www/index.html", content: "hello from crikit e2e\n" },
          ],
        }),
      },
    ],
  };
}

function configToml(e: { root: string; state: string; socket: string; cniConfDir: string; netnsDir: string; registryHost: string; extra?: string; logLevel?: string; cni?: SetupOptions["cni"]; insecure?: string[] }): string {
  const cniExtra = [
    ...(e.cni?.binDirs ? [`bin_dirs = ${JSON.stringify(e.cni.binDirs)}`] : []),
    ...(e.cni?.pluginTimeoutMs !== undefined ? [`plugin_timeout_ms = ${e.cni.pluginTimeoutMs}`] : []),
  ].join("\n");
  return `root = "${e.root}"
state = "${e.state}"
socket = "${e.socket}"
log_level = "${e.logLevel ?? "debug"}"
sandbox_mode = "auto"

[runtimes.runc]
binary = "runc"

[cni]
conf_dir = "${e.cniConfDir}"
netns_dir = "${e.netnsDir}"
${cniExtra}

[registry]
insecure = ${JSON.stringify([e.registryHost, ...(e.insecure ?? [])])}
${e.extra ?? ""}
`;
}

/** Options of {@link setupE2e}. */
export interface SetupOptions {
  /** Extra TOML appended to the config; a function receives the local registry's `127.0.0.1:PORT`. */
  extraToml?: string | ((registryHost: string) => string);
  /** The daemon's log level. @defaultValue "debug" */
  logLevel?: string;
  /** `[cni]` settings: plugin directories searched in order, each plugin call's timeout. */
  cni?: { binDirs?: string[]; pluginTimeoutMs?: number };
  /** More registry hosts reached over plain HTTP. */
  insecure?: string[];
  /** The daemon's environment (default: the test's); {@link E2eEnv.daemonEnv} changes it for later starts. */
  daemonEnv?: NodeJS.ProcessEnv;
  /** Runs once the directories exist, before the first start (to mount a small tmpfs on the root, say). */
  beforeStart?: (dirs: { dir: string; root: string; state: string }) => Promise<void>;
  /** Run the compiled daemon (`dist/examples/crikitd/main.js`, after `npm run build`) rather than the sources through tsx: starts about twice as fast. */
  compiled?: boolean;
}

/** Builds the environment and starts the daemon. */
export async function setupE2e(options: SetupOptions = {}): Promise<E2eEnv> {
  const dir = await mkdtemp(join(tmpdir(), "crikit-e2e-"));
  const root = join(dir, "root");
  const state = join(dir, "state");
  const socket = join(dir, "crikit.sock");
  const cniConfDir = join(dir, "net.d");
  const netnsDir = join(dir, "netns");
  const logDir = join(dir, "pod-logs");
  await mkdir(cniConfDir, { recursive: true });
  const net = e2eNetwork();
  await writeFile(join(cniConfDir, "10-e2e.conflist"), e2eConflist(net));
  const registry = await startRegistry();
  const layout = join(dir, "layout");
  await buildOciLayout(layout, [{ tag: "1", image: e2eImage() }]);
  const image = `${registry.host}/e2e/busybox:1`;
  await pushLayout(layout, "1", image);
  const configPath = join(dir, "crikitd.toml");
  const extra = typeof options.extraToml === "function" ? options.extraToml(registry.host) : options.extraToml;
  await writeFile(configPath, configToml({ root, state, socket, cniConfDir, netnsDir, registryHost: registry.host, ...(extra ? { extra } : {}), ...(options.logLevel ? { logLevel: options.logLevel } : {}), ...(options.cni ? { cni: options.cni } : {}), ...(options.insecure ? { insecure: options.insecure } : {}) }));
  await mkdir(root, { recursive: true });
  await mkdir(state, { recursive: true });
  await options.beforeStart?.({ dir, root, state });
  const client = createCriClient(socket);
  let daemonCount = 0;
  const env: E2eEnv = {
    dir,
    root,
    state,
    socket,
    configPath,
    cniConfDir,
    netnsDir,
    logDir,
    registry,
    net,
    image,
    client,
    daemon: undefined as unknown as Daemon,
    daemonEnv: options.daemonEnv,
    async start(extraEnv) {
      const logFile = join(dir, `crikitd-${daemonCount++}.log`);
      const out = createWriteStream(logFile);
      const main = options.compiled === true ? ["dist/examples/crikitd/main.js"] : ["--import", "tsx", "examples/crikitd/main.ts"];
      const daemonEnv = extraEnv !== undefined ? { ...(env.daemonEnv ?? process.env), ...extraEnv } : env.daemonEnv;
      const proc = spawn(process.execPath, [...CRIKITD_NODE_FLAGS, ...main, "--config", configPath], {
        cwd: repoRoot,
        stdio: ["ignore", "inherit", "pipe"],
        ...(daemonEnv !== undefined ? { env: daemonEnv } : {}),
      });
      proc.stderr?.pipe(out);
      let how = "";
      const exited = new Promise<number | null>((resolve) =>
        proc.once("exit", (code, sig) => {
          how = `exit code ${String(code)}, signal ${String(sig)}`;
          resolve(code);
        }),
      );
      proc.once("error", (err) => {
        how = `spawn failed: ${err.message}`;
      });
      if (proc.pid === undefined) throw new Error("cannot spawn crikitd");
      const d: Daemon = { proc, pid: proc.pid, logFile, exited, how: () => how };
      env.daemon = d;
      await waitReady(client, d);
      return d;
    },
    async kill9() {
      process.kill(env.daemon.pid, "SIGKILL");
      await env.daemon.exited;
    },
    async stop() {
      process.kill(env.daemon.pid, "SIGTERM");
      return env.daemon.exited;
    },
    async cleanup() {
      await cleanupEnv(env);
    },
  };
  await env.start();
  return env;
}

async function waitReady(client: CriClient, d: Daemon): Promise<void> {
  const until = Date.now() + 30_000;
  let dead = false;
  void d.exited.then(() => (dead = true));
  for (;;) {
    if (dead) throw new Error(`crikitd exited during start-up (${d.how()}); log:\n${await readFile(d.logFile, "utf8").catch(() => "")}`);
    try {
      await client.unary("Version", {}, { timeoutMs: 1000 });
      return;
    } catch (err) {
      if (!(isServiceError(err) && (err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED))) throw err;
    }
    if (Date.now() > until) throw new Error(`crikitd was not ready within 30 s; log:\n${await readFile(d.logFile, "utf8").catch(() => "")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids of processes whose command line contains `needle`. */
export async function pidsMentioning(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const p of await readdir("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const cmd = (await readFile(`/proc/${p}/cmdline`, "utf8")).replaceAll("\0", " ");
      if (cmd.includes(needle)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

/** Mount points under `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Files (not directories) under `dir`, recursively, relative. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) await walk(join(d, e.name), join(rel, e.name));
      else out.push(join(rel, e.name));
    }
  };
  await walk(dir, "");
  return out;
}

/**
 * Mounts left under the environment's directory, except the netns pin
 * directory's bind mount on itself: the daemon keeps that shared mount point
 * for its life, as `ip netns` keeps /run/netns; the pins inside it are
 * checked by {@link netnsPins}.
 */
export async function leakedMounts(env: E2eEnv): Promise<string[]> {
  return (await mountsUnder(env.dir)).filter((m) => m !== env.netnsDir);
}

/** Netns pins this daemon made (`crikit-<id>`) for the given sandbox IDs; all of them when `ids` is empty. */
export async function netnsPins(env: E2eEnv, ids: readonly string[]): Promise<string[]> {
  let names: string[] = [];
  try {
    names = await readdir(env.netnsDir);
  } catch {
    return [];
  }
  if (ids.length === 0) return names;
  const want = new Set(ids.map((id) => `crikit-${id.slice(0, 32)}`));
  return names.filter((n) => want.has(n));
}

async function cleanupEnv(env: E2eEnv): Promise<void> {
  env.client.close();
  // Keep the daemon logs of the last run for diagnosis.
  for (const f of await readdir(env.dir).catch(() => [] as string[])) {
    if (f.startsWith("crikitd-") && f.endsWith(".log")) await writeFile(join(tmpdir(), `crikit-e2e-last-${f}`), await readFile(join(env.dir, f)));
  }
  try {
    process.kill(env.daemon.pid, "SIGKILL");
  } catch {
    // gone
  }
  await env.daemon.exited;
  // conmon and container processes started by this environment's daemon.
  for (const pid of await pidsMentioning(env.state)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  await execa("runc", ["--root", join(env.state, "runtimes", "runc"), "list", "-q"], { reject: false }).then(async (r) => {
    for (const id of String(r.stdout).split("\n").filter(Boolean)) {
      await execa("runc", ["--root", join(env.state, "runtimes", "runc"), "delete", "--force", id], { reject: false });
    }
  });
  for (const m of (await mountsUnder(env.dir)).reverse()) await execa("umount", ["-l", m], { reject: false });
  await env.registry.stop();
  await removeE2eNetwork(env.net);
  await rm(env.dir, { recursive: true, force: true });
}

/** A pod config for the e2e tests. */
export function podConfig(env: E2eEnv, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const uid = `uid-${name}`;
  return {
    metadata: { name, namespace: "e2e", uid, attempt: 0 },
    hostname: name,
    log_directory: join(env.logDir, `e2e_${name}_${uid}`),
    labels: { app: name, suite: "e2e" },
    annotations: { "e2e.crikit/note": "kept as is", "e2e.crikit/json": '{"a":[1,2]}' },
    linux: { security_context: { namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" } } },
    ...extra,
  };
}

/** A container config for the e2e tests. */
export function containerConfig(env: E2eEnv, name: string, command: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metadata: { name, attempt: 0 },
    image: { image: env.image },
    command,
    log_path: `${name}/0.log`,
    labels: { container: name },
    annotations: { "e2e.crikit/container": name },
    ...extra,
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Asserts that `p` fails with gRPC `code`, a message matching `match` and no
 * stack trace in it; returns the message.
 */
export async function rejectsWith(p: Promise<unknown>, code: number, match?: RegExp): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(isServiceError(err), `expected a gRPC error, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.details}`);
    if (match) assert.match(err.details, match);
    assert.doesNotMatch(err.details, /\n\s+at /, "the message carries no stack trace");
    return err.details;
  }
  assert.fail(`expected the call to fail${match ? ` with ${String(match)}` : ""}`);
}
