/**
 * Where a sandbox or container keeps its files.
 *
 * A runtime has two base directories: `rootDir` for state that must survive
 * a reboot (for instance `/var/lib/crikit`) and `stateDir` for volatile state
 * that must not (for instance `/run/crikit`, on tmpfs). This is containerd's
 * `root` / `state` split and CRI-O's `root` / `runroot` split. Each object
 * gets one directory under each:
 *
 * ```text
 * <rootDir>/sandboxes/<id>     <stateDir>/sandboxes/<id>
 * <rootDir>/containers/<id>    <stateDir>/containers/<id>
 * ```
 *
 * These helpers only compute paths; creating the directories is the job of
 * whoever holds the file-system interface.
 *
 * @packageDocumentation
 */
import { posix } from "node:path";
import { invalidArgument } from "../errors.js";

/**
 * Options of {@link createObjectDirs}.
 *
 * @public
 */
export interface ObjectDirsOptions {
  /** Base directory for persistent state. Required, absolute. */
  rootDir: string;
  /** Base directory for volatile state. Required, absolute, not `rootDir`. */
  stateDir: string;
}

/**
 * Per-object directories under a runtime's root and state directories.
 *
 * @public
 */
export interface ObjectDirs {
  /** The normalized persistent base directory. */
  readonly rootDir: string;
  /** The normalized volatile base directory. */
  readonly stateDir: string;
  /** `<rootDir>/sandboxes/<id>`. */
  sandboxRootDir(id: string): string;
  /** `<stateDir>/sandboxes/<id>`. */
  sandboxStateDir(id: string): string;
  /** `<rootDir>/containers/<id>`. */
  containerRootDir(id: string): string;
  /** `<stateDir>/containers/<id>`. */
  containerStateDir(id: string): string;
}

function checkBase(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") throw invalidArgument(`${field} is empty`, field);
  if (value.includes("\0")) throw invalidArgument(`${field} contains a NUL byte`, field);
  if (!posix.isAbsolute(value)) throw invalidArgument(`${field} ${JSON.stringify(value)} is not an absolute path`, field);
  return posix.normalize(value).replace(/(.)\/+$/, "$1");
}

function checkId(id: unknown): string {
  if (typeof id !== "string" || id === "") throw invalidArgument("id is empty", "id");
  if (id === "." || id === ".." || id.includes("/") || id.includes("\0")) {
    throw invalidArgument(`id ${JSON.stringify(id)} cannot be used as a directory name`, "id");
  }
  return id;
}

/**
 * Checks the two base directories and returns the per-object path helpers.
 *
 * @throws `InvalidArgument` naming `rootDir` or `stateDir` if one is empty or
 *   relative, or if both name the same directory. The helpers throw
 *   `InvalidArgument` (field `id`) for an empty ID or one that is `.`, `..`
 *   or contains `/`, so an ID can never point outside its directory.
 * @example
 * ```ts
 * const dirs = createObjectDirs({ rootDir: "/var/lib/crikit", stateDir: "/run/crikit" });
 * dirs.containerStateDir(id); // "/run/crikit/containers/<id>"
 * ```
 * @public
 */
export function createObjectDirs(options: ObjectDirsOptions): ObjectDirs {
  const rootDir = checkBase(options.rootDir, "rootDir");
  const stateDir = checkBase(options.stateDir, "stateDir");
  if (rootDir === stateDir) {
    throw invalidArgument(`rootDir and stateDir are the same directory ${JSON.stringify(rootDir)}; volatile state needs its own`, "stateDir");
  }
  const under = (base: string, kind: string) => (id: string) => posix.join(base, kind, checkId(id));
  return Object.freeze({
    rootDir,
    stateDir,
    sandboxRootDir: under(rootDir, "sandboxes"),
    sandboxStateDir: under(stateDir, "sandboxes"),
    containerRootDir: under(rootDir, "containers"),
    containerStateDir: under(stateDir, "containers"),
  });
}
