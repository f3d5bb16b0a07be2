/**
 * Pod sandboxes in two modes.
 *
 * The rules are in the TSDoc of {@link SandboxMode}.
 *
 * @packageDocumentation
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { invalidArgument, isCrikitError } from "../errors.js";
import type { ContainerRuntime } from "../runtime/index.js";
import { INFRA_BINARY, generateInfraSpec, type InfraSpecInit } from "./infra-spec.js";
import { stringifyExactJson } from "../spec/index.js";
import { pinNamespaces, unpinNamespaces } from "./pinned-namespaces.js";

/**
 * How a sandbox holds its namespaces: `infra` or `pinned`.
 *
 * 1. `infra`: an infra container runs `catatonit -P` (Debian's static
 *    catatonit, bind-mounted read-only from the host into an empty
 *    read-only rootfs; no image pull). It holds the pod's new PID, IPC and
 *    UTS namespaces and joins the network namespace by path. Containers join
 *    `/proc/INFRA_PID/ns/{ipc,uts,pid,net}`. It is started through the
 *    handler's `ContainerRuntime` (`OciRuntime` by default) like any container (conmon, exit file, recovery), so it
 *    costs one runtime create+start and one conmon. Use it when the pod
 *    shares a PID namespace (catatonit reaps the pod's zombies as PID 1).
 *
 * 2. `pinned` (infra-less): new IPC and UTS namespaces are pinned by bind
 *    mounts of `/proc/PID/ns/*` taken from a short-lived
 *    `unshare --ipc=FILE --uts=FILE` (see `pinned-namespaces.ts`), like the
 *    network namespace; no process runs for the pod at all, and containers
 *    join by path. Use it when the pod does not share a PID namespace: there
 *    is nothing to reap and nothing to keep alive.
 *
 * Both modes persist a small `sandbox.json` in the sandbox dir so
 * {@link loadSandbox} finds them after a restart. Removal is idempotent.
 *
 * Layout of `dir`: `sandbox.json`; infra mode `infra/config.json`,
 * `infra/rootfs/`, `infra.log`; pinned mode `ns/ipc`, `ns/uts`.
 *
 * @public
 */
export type SandboxMode = "infra" | "pinned";

/**
 * Input of {@link startSandbox}.
 *
 * @public
 */
export interface SandboxInput {
  /** Sandbox id; in infra mode also the infra container's id. */
  id: string;
  /** A directory owned by this sandbox (created if missing). */
  dir: string;
  /**
   * `infra` runs catatonit as PID 1 of a shared PID namespace; `pinned` holds IPC and UTS namespaces by bind
   * mounts, with no process (see {@link SandboxMode}).
   */
  mode: SandboxMode;
  /** Pod hostname. */
  hostname?: string;
  /** Network namespace path (from the network layer), `"host"`, or omitted for a new empty one (infra mode) / none (pinned mode). */
  netns?: string;
  /** cgroup parent of the infra container (cgroupsPath becomes PARENT/ID). */
  cgroupParent?: string;
  /** The infra container's whole cgroupsPath, instead of the one `cgroupParent` gives (for systemd: `slice:prefix:id`). */
  cgroupsPath?: string;
  /** Host path of catatonit. @defaultValue `"/usr/bin/catatonit"` */
  catatonitPath?: string;
  /** Namespaced sysctls for the infra container. */
  sysctls?: Record<string, string>;
  /**
   * Infra mode: the pod's config and host facts from which
   * `generateSandboxSpec` makes the infra container's spec (see
   * {@link InfraSpecInit}); `hostname`, `cgroupParent` and `sysctls` are
   * then taken from its config, not from the fields above. Without it, the
   * spec is generated from a config made of those fields.
   */
  spec?: InfraSpecInit;
}

/**
 * A running sandbox: the namespace paths containers join.
 *
 * @public
 */
export interface SandboxHandle {
  /** Sandbox ID; in infra mode also the infra container's ID. */
  id: string;
  /** The mode the sandbox was started in. */
  mode: SandboxMode;
  /** The sandbox's directory, holding `sandbox.json` and the mode's files. */
  dir: string;
  /** Paths to join, by OCI namespace type (`pid` only in infra mode; `network` when there is one). */
  namespaces: { ipc: string; uts: string; pid?: string; network?: string };
  /** The infra process's host pid (infra mode). */
  infraPid?: number;
}

/**
 * Start a sandbox in the given mode.
 *
 * @public
 */
export async function startSandbox(runtime: ContainerRuntime, input: SandboxInput, options: { signal?: AbortSignal | undefined } = {}): Promise<SandboxHandle> {
  if (!isAbsolute(input.dir)) throw invalidArgument("sandbox dir must be an absolute path", "dir");
  if (input.netns !== undefined && input.netns !== "host" && !isAbsolute(input.netns)) throw invalidArgument("netns must be an absolute path or \"host\"", "netns");
  options.signal?.throwIfAborted();
  await mkdir(input.dir, { recursive: true });
  let handle: SandboxHandle;
  if (input.mode === "pinned") {
    const pinned = await pinNamespaces({ dir: join(input.dir, "ns"), ...(input.hostname !== undefined ? { hostname: input.hostname } : {}) }, options);
    handle = {
      id: input.id,
      mode: "pinned",
      dir: input.dir,
      namespaces: { ipc: pinned.ipc ?? "", uts: pinned.uts ?? "", ...(input.netns !== undefined && input.netns !== "host" ? { network: input.netns } : {}) },
    };
  } else {
    const bundle = join(input.dir, "infra");
    const rootfs = join(bundle, "rootfs");
    await Promise.all(["proc", "dev"].map((d) => mkdir(join(rootfs, d), { recursive: true })));
    const spec = generateInfraSpec(input, rootfs);
    await Promise.all([writeFile(join(rootfs, INFRA_BINARY.slice(1)), ""), writeFile(join(bundle, "config.json"), stringifyExactJson(spec))]);
    const { pid } = await runtime.create({ id: input.id, bundle, logPath: join(input.dir, "infra.log"), labels: { "crikit.sandbox": "infra" } }, options);
    try {
      await runtime.start(input.id, options);
    } catch (e) {
      await runtime.remove(input.id).catch(() => undefined);
      throw e;
    }
    const ns = (t: string): string => `/proc/${pid}/ns/${t}`;
    handle = {
      id: input.id,
      mode: "infra",
      dir: input.dir,
      infraPid: pid,
      namespaces: { ipc: ns("ipc"), uts: ns("uts"), pid: ns("pid"), ...(input.netns !== "host" ? { network: input.netns ?? ns("net") } : {}) },
    };
  }
  const file = join(input.dir, "sandbox.json");
  try {
    await writeFile(`${file}.tmp`, JSON.stringify(handle));
    await rename(`${file}.tmp`, file);
  } catch (e) {
    // A full disk: nobody gets the handle, so undo what it names here (the caller removes the dir).
    await rm(`${file}.tmp`, { force: true }).catch(() => undefined);
    if (handle.mode === "infra") await runtime.remove(input.id, { timeoutMs: 0 }).catch(() => undefined);
    else await unpinNamespaces({ ipc: handle.namespaces.ipc, uts: handle.namespaces.uts }).catch(() => undefined);
    throw e;
  }
  return handle;
}

/**
 * Stop a sandbox: in infra mode the infra process is killed (its namespaces
 * then go away with the last container); in pinned mode the IPC and UTS
 * namespaces are unpinned, as they would go with an infra process (a stopped
 * pod's containers are stopped, and none is created or started in it).
 * Stopping a stopped sandbox succeeds.
 *
 * @public
 */
export async function stopSandbox(runtime: ContainerRuntime, handle: SandboxHandle, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  if (handle.mode !== "infra") {
    await unpinNamespaces(pinnedFiles(handle), options);
    return;
  }
  try {
    await runtime.stop(handle.id, { timeoutMs: 0 }, options);
  } catch (e) {
    if (isCrikitError(e) && e.code === "NotFound") return;
    throw e;
  }
}

/**
 * Remove a sandbox: the infra container, or the pinned namespaces' mounts,
 * and the sandbox dir. Removing an already removed sandbox succeeds.
 *
 * @public
 */
export async function removeSandbox(runtime: ContainerRuntime, handle: SandboxHandle, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  if (handle.mode === "infra") {
    await runtime.remove(handle.id, { timeoutMs: 0 }, options);
  } else {
    await unpinNamespaces(pinnedFiles(handle), options);
  }
  await rm(handle.dir, { recursive: true, force: true });
}

/** A pinned sandbox's namespace files. */
function pinnedFiles(handle: SandboxHandle): { ipc: string; uts: string } {
  return { ipc: join(handle.dir, "ns", "ipc"), uts: join(handle.dir, "ns", "uts") };
}

/**
 * Read a sandbox's handle back from its dir (after a restart), or
 * `undefined` when there is none.
 *
 * @public
 */
export async function loadSandbox(dir: string): Promise<SandboxHandle | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "sandbox.json"), "utf8")) as SandboxHandle;
  } catch {
    return undefined;
  }
}
