/**
 * A pod's `/dev/shm`: one tmpfs per sandbox, mounted in the sandbox's
 * directory on the host, which every container of the pod bind-mounts at
 * `/dev/shm` (containerd's `sandboxDevShm` and CRI-O's per-pod shm work the
 * same way). Containers of one pod share its IPC namespace, and POSIX
 * shared memory (`shm_open`) lives in `/dev/shm`: with one tmpfs per
 * container, a segment one container makes is invisible to its neighbour.
 *
 * The tmpfs is `nosuid,nodev,noexec,mode=1777,size=N`. It is mounted with
 * `mount(8)` (Node has no mount syscall) and released with `umount -l`, so a
 * container still inside does not block the release; both are idempotent.
 *
 * @packageDocumentation
 */
import { mkdir, rmdir } from "node:fs/promises";
import { runCommand } from "../process/index.js";
import { invalidArgument } from "../errors.js";
import { ownMountPoints } from "../network/mountinfo.js";

/**
 * Mount a pod's shm tmpfs of `sizeBytes` at `path` (created if missing).
 * A `path` that is a mount point already is left as it is.
 *
 * @public
 */
export async function mountPodShm(path: string, sizeBytes: number, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw invalidArgument(`shm size must be a positive integer, not ${String(sizeBytes)}`, "shm_size");
  options.signal?.throwIfAborted();
  await mkdir(path, { recursive: true });
  if (await isMountPoint(path)) return;
  const argv = ["mount", "-t", "tmpfs", "-o", `nosuid,nodev,noexec,mode=1777,size=${sizeBytes}`, "shm", path];
  await runCommand(argv, { signal: options.signal });
}

/**
 * Release a pod's shm: unmount it (lazily) and remove the empty mount
 * point. What is not mounted or not there is skipped.
 *
 * @public
 */
export async function unmountPodShm(path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  if (await isMountPoint(path)) {
    const argv = ["umount", "-l", path];
    await runCommand(argv, { signal: options.signal, okStderr: /not mounted/ });
  }
  await rmdir(path).catch(() => undefined);
}

/** Whether `path` is a mount point of this mount namespace. */
async function isMountPoint(path: string): Promise<boolean> {
  return (await ownMountPoints()).has(path);
}
