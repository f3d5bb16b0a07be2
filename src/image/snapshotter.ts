/**
 * Unpacked layers ("snapshots") keyed by chain ID, and container root
 * filesystems as overlay mounts of them.
 *
 * Layout under `root`:
 *
 * ```
 * <chain-hex>/      one layer's own changes in overlayfs form (whiteouts as
 *                   0/0 char devices, opaque dirs as trusted.overlay.opaque=y)
 * .tmp-<random>/    a layer being unpacked; renamed to <chain-hex> when complete
 * ```
 *
 * A snapshot directory exists only once complete (rename is atomic), so the
 * set of directories is the state; nothing else is persisted. Images that
 * share their bottom layers share chain IDs, hence directories. A container's
 * rootfs is `mount -t overlay -o lowerdir=<top>:...:<bottom>,upperdir,workdir`;
 * mount runs with the snapshot root as working directory and relative lower
 * paths, which keeps the option string short for deep images.
 *
 * @packageDocumentation
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rm, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "../process/index.js";
import { CrikitError } from "../errors.js";
import { digestHex } from "./digest.js";

/**
 * Options of {@link Snapshotter.mount}.
 *
 * @public
 */
export interface OverlayMountOptions {
  /** Chain IDs of the image's layers, bottom first (as `chainIds()` returns them). */
  chainIds: readonly string[];
  /** Where to mount. Created if missing. */
  target: string;
  /** The container's own upper dir (created if missing). Omit for a read-only mount. */
  upperDir?: string;
  /** overlayfs work dir on the same filesystem as `upperDir` (created if missing). */
  workDir?: string;
  /**
   * Mount read-only.
   * @defaultValue `false`
   */
  readonly?: boolean;
  /** Cancels the mount (forwarded to the `mount` process). */
  signal?: AbortSignal;
}

/**
 * Chain-ID-keyed layer directories and overlay mounts.
 *
 * @public
 */
export class Snapshotter {
  /** The directory holding the snapshots. */
  readonly root: string;
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(options: { root: string }) {
    this.root = options.root;
  }

  /** Creates the root and removes unfinished snapshots. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o711 });
    for (const n of await readdir(this.root)) {
      if (n.startsWith(".tmp-")) await rm(join(this.root, n), { recursive: true, force: true });
    }
  }

  /** The directory of a snapshot (whether or not it exists). */
  dir(chainId: string): string {
    return join(this.root, digestHex(chainId, "chainId"));
  }

  /** Whether the snapshot is complete. */
  async has(chainId: string): Promise<boolean> {
    try {
      return (await stat(this.dir(chainId))).isDirectory();
    } catch {
      return false;
    }
  }

  /** Lower dirs for a stack given bottom first, returned top first as overlayfs wants them. */
  lowerDirs(chainIds: readonly string[]): string[] {
    return [...chainIds].reverse().map((c) => this.dir(c));
  }

  /**
   * Makes sure the snapshot `chainId` exists, creating it with `apply(tmpDir)`
   * otherwise. On failure the partial directory is removed and nothing
   * remains. Concurrent calls for one chain ID share one creation.
   */
  async prepare(chainId: string, apply: (dir: string) => Promise<void>): Promise<string> {
    const final = this.dir(chainId);
    const running = this.#inflight.get(final);
    if (running !== undefined) return running;
    const p = (async () => {
      if (await this.has(chainId)) return final;
      const tmp = join(this.root, `.tmp-${randomBytes(8).toString("hex")}`);
      await mkdir(tmp, { mode: 0o755 });
      try {
        await apply(tmp);
        await rename(tmp, final);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
      return final;
    })();
    this.#inflight.set(final, p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(final);
    }
  }

  /** The chain IDs of all complete snapshots. */
  async list(): Promise<string[]> {
    const names = await readdir(this.root);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes a snapshot; no error if absent. */
  async remove(chainId: string): Promise<void> {
    const tmp = join(this.root, `.tmp-${randomBytes(8).toString("hex")}`);
    try {
      await rename(this.dir(chainId), tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    await rm(tmp, { recursive: true, force: true });
  }

  /**
   * Mounts an overlay of the image's layers at `target`, with the
   * container's own upper and work dirs unless read-only.
   */
  async mount(options: OverlayMountOptions): Promise<void> {
    const { chainIds, target, signal } = options;
    signal?.throwIfAborted();
    if (chainIds.length === 0) throw new CrikitError("InvalidArgument", "an image with no layers cannot be mounted", { details: { field: "chainIds" } });
    const lowers = [...chainIds].reverse().map((c) => digestHex(c, "chainIds"));
    const ro = options.readonly ?? options.upperDir === undefined;
    await mkdir(target, { recursive: true });
    let opts: string;
    if (ro) {
      // overlayfs needs two lower dirs without an upper one; an empty one does.
      if (lowers.length === 1) {
        await mkdir(join(this.root, ".empty"), { recursive: true });
        lowers.push(".empty");
      }
      opts = `lowerdir=${lowers.join(":")}`;
    } else {
      if (options.upperDir === undefined || options.workDir === undefined) {
        throw new CrikitError("InvalidArgument", "a writable rootfs needs both upperDir and workDir", { details: { field: "workDir" } });
      }
      await mkdir(options.upperDir, { recursive: true });
      await mkdir(options.workDir, { recursive: true });
      opts = `lowerdir=${lowers.join(":")},upperdir=${options.upperDir},workdir=${options.workDir}`;
    }
    try {
      await runCommand(["mount", "-t", "overlay", "overlay", "-o", opts, target], { cwd: this.root, signal });
    } catch (err) {
      throw new CrikitError("Internal", `cannot mount the image rootfs at ${target}`, { cause: err });
    }
  }

  /** Unmounts a rootfs mounted by {@link Snapshotter.mount}; no error if not mounted. */
  async unmount(target: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await runCommand(["umount", target], { signal: options.signal, okStderr: /not mounted|no mount point|not found/i });
    } catch (err) {
      throw new CrikitError("Internal", `cannot unmount ${target}`, { cause: err });
    }
  }
}
