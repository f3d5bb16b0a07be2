/**
 * Namespaces pinned by bind mounts, with no process holding them.
 *
 * `pinNamespaces` runs `unshare --ipc=DIR/ipc --uts=DIR/uts -- sh -c ...`
 * (util-linux): unshare creates the new namespaces, bind-mounts each
 * `/proc/PID/ns/TYPE` onto the given (empty, pre-created) file, sets the
 * hostname inside the new UTS namespace, and exits. The bind mounts keep
 * the namespaces alive; containers join them by path (`linux.namespaces[].path`).
 * The network namespace is pinned the same way by the network layer and
 * only passed in by path.
 *
 * Removal unmounts each file (lazily, so a container still inside does not
 * block it) and deletes it; removing what is already gone succeeds.
 *
 * @packageDocumentation
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ownMountPoints } from "../network/mountinfo.js";
import { runCommand } from "../process/index.js";

/**
 * Namespace types this module can pin.
 *
 * @public
 */
export type PinnableNamespace = "ipc" | "uts";

/**
 * Input of {@link pinNamespaces}.
 *
 * @public
 */
export interface PinNamespacesInput {
  /** Directory for the pin files (created if missing). */
  dir: string;
  /** Hostname to set in the new UTS namespace. */
  hostname?: string;
  /** Which namespaces to pin. @defaultValue `["ipc", "uts"]` */
  types?: readonly PinnableNamespace[];
}

/**
 * Paths of pinned namespaces, by type.
 *
 * @public
 */
export type PinnedNamespaces = Partial<Record<PinnableNamespace, string>>;

/**
 * Create new IPC and UTS namespaces and pin them by bind mounts in `dir`.
 *
 * @public
 */
export async function pinNamespaces(input: PinNamespacesInput, options: { signal?: AbortSignal | undefined } = {}): Promise<PinnedNamespaces> {
  options.signal?.throwIfAborted();
  const types = input.types ?? ["ipc", "uts"];
  await mkdir(input.dir, { recursive: true });
  const out: PinnedNamespaces = {};
  const args: string[] = [];
  for (const t of types) {
    const file = join(input.dir, t);
    out[t] = file;
    args.push(`--${t}=${file}`);
  }
  await Promise.all(Object.values(out).map((file) => writeFile(file, "", { flag: "w" })));
  const script = input.hostname !== undefined && types.includes("uts") ? 'printf %s "$1" > /proc/sys/kernel/hostname' : "true";
  const argv = ["unshare", ...args, "--", "sh", "-c", script, "sh", input.hostname ?? ""];
  try {
    await runCommand(argv, { signal: options.signal });
  } catch (err) {
    await unpinNamespaces(out).catch(() => undefined);
    throw err;
  }
  return out;
}

/**
 * Unmount and delete pinned namespace files. Files that are not mounted or
 * do not exist are skipped, so this is idempotent.
 *
 * @public
 */
export async function unpinNamespaces(pinned: PinnedNamespaces, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const mounted = await ownMountPoints();
  const files = Object.values(pinned).filter((f): f is string => f !== undefined);
  // One umount for all the files: one process instead of one per namespace.
  const toUnmount = files.filter((f) => mounted.has(f));
  if (toUnmount.length > 0) {
    await runCommand(["umount", "-l", ...toUnmount], { signal: options.signal, okStderr: /not mounted/ });
  }
  await Promise.all(files.map((file) => rm(file, { force: true })));
}
