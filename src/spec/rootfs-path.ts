/**
 * Resolving a path inside a container root filesystem without leaving it,
 * the way `filepath-securejoin` does for runc and containerd: symlinks are
 * followed one component at a time and interpreted relative to the rootfs,
 * and `..` never climbs above it. A {@link RootfsReader} over a real
 * directory resolves `/etc/passwd` with this before reading, so an image
 * whose `/etc/passwd` is a symlink to `/../../etc/shadow` reads the image's
 * own file, not the host's.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";

/**
 * Reads symlinks on the host.
 *
 * @public
 */
export interface SymlinkReader {
  /** The target of the symlink at `hostPath`, or `undefined` when it is not a symlink (or does not exist). */
  readlink(hostPath: string): string | undefined;
}

/**
 * The host path of `unsafePath` inside `root`, with every symlink resolved
 * as if `root` were `/`.
 *
 * @param root - the rootfs directory on the host (absolute)
 * @param unsafePath - a path inside the rootfs, absolute or relative to its `/`
 * @param fs - reads symlinks
 * @param maxLinks - symlinks followed before giving up (ELOOP) @defaultValue 255
 * @throws CrikitError FailedPrecondition on a symlink loop.
 *
 * @public
 */
export function resolveInRootfs(root: string, unsafePath: string, fs: SymlinkReader, maxLinks = 255): string {
  const base = root.replace(/\/+$/, "");
  const resolved: string[] = [];
  const pending = unsafePath.split("/").filter((p) => p !== "" && p !== ".");
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() ?? "";
    if (part === "" || part === ".") continue;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = `${base}/${[...resolved, part].join("/")}`;
    const target = fs.readlink(candidate);
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    if (++links > maxLinks) throw new CrikitError("FailedPrecondition", `too many symlinks resolving "${unsafePath}" in the container rootfs`);
    if (target.startsWith("/")) resolved.length = 0;
    pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
  }
  return `${base}/${resolved.join("/")}`;
}
