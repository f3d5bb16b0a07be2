/**
 * Persistent pod network namespaces, pinned by a bind mount of the
 * namespace onto a file under a directory (default `/var/run/netns`, the
 * directory iproute2 uses), so a namespace exists before any container joins
 * it and outlives the pod's processes until the adapter removes it.
 *
 * Life of a pin:
 * 1. `create(name)`: the directory is prepared once (below), an empty file
 *    `<dir>/<name>` is made, and `unshare --net=<file> true` (util-linux)
 *    creates a namespace and bind-mounts it onto the file.
 * 2. `remove(pathOrName)`: the bind mount is detached (`umount --lazy`, so a
 *    process still inside keeps the namespace alive until it leaves) and the
 *    file unlinked. A pin that is already gone, or a file that is no longer
 *    mounted, is not an error, so teardown is idempotent.
 *
 * Preparing the directory (what `ip netns add` does): the directory is made
 * a mount point of its own, bind-mounted onto itself if needed, with shared
 * propagation. Mount namespaces created later (containers) receive copies of
 * the pins; because the directory is shared, the unmount at removal
 * propagates to those copies too, and a namespace is not kept alive by a
 * stale copy of its pin. Preparation checks `/proc/self/mountinfo` first, so
 * restarts do not stack bind mounts.
 *
 * @packageDocumentation
 */
import { constants } from "node:fs";
import { mkdir, open, readFile, realpath, rm } from "node:fs/promises";
import { basename, isAbsolute, join, resolve, dirname } from "node:path";
import { runCommand } from "../process/index.js";
import { CrikitError, alreadyExists, invalidArgument } from "../errors.js";
import { parseMountInfo } from "./mountinfo.js";

/**
 * Options of {@link createNetnsManager}.
 *
 * @public
 */
export interface NetnsManagerOptions {
  /**
   * Directory holding the pins.
   * @defaultValue "/var/run/netns"
   */
  readonly dir?: string;
  /**
   * Make the directory a shared mount point of its own (bind-mounted onto itself if needed), as `ip netns add`
   * does, so that the unmount of a pin propagates to the copies in containers' mount namespaces.
   * @defaultValue true
   */
  readonly sharedMount?: boolean;
  /**
   * Timeout of each helper command (`unshare`, `mount`, `umount`), in ms.
   * @defaultValue 10000
   */
  readonly commandTimeoutMs?: number;
}

/**
 * Creates and removes pinned network namespaces.
 *
 * @public
 */
export interface NetnsManager {
  /** The directory holding the pins. */
  readonly dir: string;
  /** The pin path for `name`. */
  pathOf(name: string): string;
  /**
   * Creates a namespace pinned at `<dir>/<name>` and returns that path.
   *
   * @throws CrikitError `AlreadyExists` if a namespace is already pinned there;
   * `InvalidArgument` for a name that is not a plain file name.
   */
  create(name: string, options?: { signal?: AbortSignal }): Promise<string>;
  /**
   * Unpins and deletes a namespace, by name or by a path under {@link NetnsManager.dir}.
   * Removing one that is already gone succeeds.
   */
  remove(nameOrPath: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** Whether a namespace is pinned at that name or path. */
  exists(nameOrPath: string): Promise<boolean>;
  /**
   * Undoes the preparation of the directory when no pin is left in it: the
   * bind mount of the directory onto itself, if this manager made it, is
   * unmounted. Pins and the directory itself are left alone; a directory
   * that still holds a pin is left mounted. Failures are not thrown.
   */
  close?(options?: { signal?: AbortSignal }): Promise<void>;
}

const nameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

async function mounts(): Promise<ReturnType<typeof parseMountInfo>> {
  return parseMountInfo(await readFile("/proc/self/mountinfo", "utf8"));
}

/**
 * The default {@link NetnsManager}, using `unshare`, `mount` and `umount`
 * from util-linux.
 *
 * @public
 */
export function createNetnsManager(options: NetnsManagerOptions = {}): NetnsManager {
  const dir = resolve(options.dir ?? "/var/run/netns");
  const sharedMount = options.sharedMount ?? true;
  const timeout = options.commandTimeoutMs ?? 10_000;
  let prepared: Promise<void> | undefined;
  // Whether prepare() bind-mounted the directory onto itself (close() undoes it).
  let madeMount = false;
  // /proc/self/mountinfo lists real paths: /var/run/netns appears as
  // /run/netns on Debian, where /var/run is a symlink. Compare mount points
  // against the directory's real path, or no pin would ever look mounted.
  let realDir: string | undefined;
  const mountDir = async (): Promise<string> => (realDir ??= await realpath(dir).catch(() => undefined)) ?? dir;

  const run = async (file: string, args: string[], signal?: AbortSignal): Promise<void> => {
    await runCommand([file, ...args], { timeoutMs: timeout, signal });
  };

  const prepare = (signal?: AbortSignal): Promise<void> => {
    prepared ??= (async () => {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      if (!sharedMount) return;
      const real = await mountDir();
      let m = (await mounts()).filter((e) => e.mountPoint === real).at(-1);
      if (m === undefined) {
        await run("mount", ["--bind", dir, dir], signal);
        madeMount = true;
        m = (await mounts()).filter((e) => e.mountPoint === real).at(-1);
      }
      if (!m?.shared) await run("mount", ["--make-shared", dir], signal);
    })().catch((e: unknown) => {
      prepared = undefined;
      throw new CrikitError("FailedPrecondition", `cannot prepare the network namespace directory ${dir}: ${(e as Error).message}`, { cause: e });
    });
    return prepared;
  };

  const pathOf = (name: string): string => {
    if (!nameRe.test(name)) throw invalidArgument(`network namespace name "${name}" must be a plain file name`, "name");
    return join(dir, name);
  };

  const toPath = (nameOrPath: string): string => {
    if (!isAbsolute(nameOrPath)) return pathOf(nameOrPath);
    const p = resolve(nameOrPath);
    if (dirname(p) !== dir) throw invalidArgument(`network namespace path "${nameOrPath}" is not in ${dir}`, "path");
    return p;
  };

  const isPinned = async (p: string): Promise<boolean> => {
    const real = join(await mountDir(), basename(p));
    return (await mounts()).some((e) => e.mountPoint === real);
  };

  return {
    dir,
    pathOf,

    async create(name, opts = {}) {
      const p = pathOf(name);
      opts.signal?.throwIfAborted();
      await prepare(opts.signal);
      if (await isPinned(p)) throw alreadyExists(`network namespace "${name}" already exists in ${dir}`, { path: p });
      // O_EXCL would refuse a file left by a crash between create and mount; a plain
      // (unmounted) file is reused instead.
      const fh = await open(p, constants.O_RDONLY | constants.O_CREAT, 0o444);
      await fh.close();
      try {
        opts.signal?.throwIfAborted();
        await run("unshare", [`--net=${p}`, "true"], opts.signal);
      } catch (e) {
        await rm(p, { force: true }).catch(() => undefined);
        if (opts.signal?.aborted) throw e;
        throw new CrikitError("Internal", `cannot create network namespace "${name}": ${(e as Error).message}`, { cause: e });
      }
      return p;
    },

    async remove(nameOrPath, opts = {}) {
      const p = toPath(nameOrPath);
      opts.signal?.throwIfAborted();
      // A pin can be stacked (mounted twice); detach until none is left.
      for (let i = 0; i < 8 && (await isPinned(p)); i++) {
        try {
          await run("umount", ["--lazy", p], opts.signal);
        } catch (e) {
          if (await isPinned(p)) throw new CrikitError("Internal", `cannot unmount network namespace ${p}: ${(e as Error).message}`, { cause: e });
        }
      }
      await rm(p, { force: true });
    },

    async exists(nameOrPath) {
      return isPinned(toPath(nameOrPath));
    },

    async close(opts = {}) {
      if (!madeMount) return;
      const real = await mountDir();
      const all = await mounts();
      if (all.some((e) => e.mountPoint.startsWith(`${real}/`))) return; // a pin is left
      if (!all.some((e) => e.mountPoint === real)) return;
      try {
        await run("umount", [dir], opts.signal);
        madeMount = false;
        prepared = undefined;
      } catch {
        // busy or already gone: leave it
      }
    },
  };
}
