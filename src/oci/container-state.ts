/**
 * The OCI adapter's state directory (`stateDir`), read and written here
 * alone:
 *
 * ```
 * containers/ID/meta.json    what we know (bundle, log path, times), written atomically
 * containers/ID/conmon.pid   conmon's pid (-P)
 * containers/ID/pid          the container's init pid (-p)
 * containers/ID/exit         exit code, written by conmon (-0 persist dir)
 * containers/ID/oom          created by conmon on an OOM kill
 * containers/ID/vanished     our own record of a container that disappeared
 * exits/ID                   exit code, written by conmon (--exit-dir)
 * sockets/ID -> BUNDLE       conmon's attach-socket link (--socket-dir-path)
 * ```
 *
 * The exit file decides `exited`: its mtime is the finish time, and the
 * reason is `OOMKilled` when conmon left an `oom` file, `Completed` for code
 * 0 and `Error` otherwise.
 *
 * @packageDocumentation
 */
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CrikitError, notFound } from "../errors.js";
import { ExitReason, SpecialExitCode, exitReason } from "../status/index.js";
import type { ExitWatch, ExitWatchOptions } from "../runtime/index.js";
import { ExitMonitor } from "./exit-monitor.js";
import { waitForFile } from "./fast-paths.js";
import type { ContainerMeta, OciContainerStatus } from "./oci-runtime-types.js";

const idRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Whether `id` may name a container (letters, digits, `_`, `.`, `-`; at most 128). */
export function validContainerId(id: string): boolean {
  return idRe.test(id);
}

/** What the exit file says of an exited container. */
export type ExitFacts = Pick<OciContainerStatus, "exitCode" | "finishedAt" | "finishedAtNs" | "reason">;

/** The state directory (see the file header). */
export class ContainerStateDir {
  readonly root: string;
  readonly exitsDir: string;
  readonly socketsDir: string;
  readonly #containersDir: string;
  /** The three directories are known to exist: made once per instance. */
  #madeDirs = false;

  constructor(root: string) {
    this.root = root;
    this.exitsDir = join(root, "exits");
    this.socketsDir = join(root, "sockets");
    this.#containersDir = join(root, "containers");
  }

  /** Directory of one container's state. */
  containerDir(id: string): string {
    return join(this.#containersDir, id);
  }

  /** The exit file conmon writes for `id`. */
  exitFile(id: string): string {
    return join(this.exitsDir, id);
  }

  /** Makes the container's directory: AlreadyExists when it is there; the state directory is made again when it was removed. */
  async makeContainerDir(id: string): Promise<string> {
    const dir = this.containerDir(id);
    if (!this.#madeDirs) await this.#makeDirs();
    try {
      await mkdir(dir, { recursive: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new CrikitError("AlreadyExists", `container "${id}" already exists`, { cause: e });
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      // The state directory was removed under us: make it again.
      await this.#makeDirs();
      await mkdir(dir);
    }
    return dir;
  }

  async #makeDirs(): Promise<void> {
    await Promise.all([mkdir(this.#containersDir, { recursive: true }), mkdir(this.exitsDir, { recursive: true }), mkdir(this.socketsDir, { recursive: true })]);
    this.#madeDirs = true;
  }

  /** The container's metadata; NotFound for an unknown or invalid id. */
  async readMeta(id: string): Promise<ContainerMeta> {
    if (!validContainerId(id)) throw notFound(`container "${id}" not found`);
    try {
      return JSON.parse(await readFile(join(this.containerDir(id), "meta.json"), "utf8")) as ContainerMeta;
    } catch (e) {
      throw notFound(`container "${id}" not found`, e);
    }
  }

  /** Writes the metadata atomically. */
  async writeMeta(meta: ContainerMeta): Promise<void> {
    const file = join(this.containerDir(meta.id), "meta.json");
    await writeFile(`${file}.tmp`, JSON.stringify(meta));
    await rename(`${file}.tmp`, file);
  }

  /** conmon's pid, from its pid file. */
  conmonPid(id: string): Promise<number | undefined> {
    return readNumber(join(this.containerDir(id), "conmon.pid"));
  }

  /** What the exit file says, or `undefined` while there is none (or it is being written). */
  async readExit(id: string): Promise<ExitFacts | undefined> {
    let text: string;
    let mtimeNs: bigint;
    try {
      const file = this.exitFile(id);
      text = await readFile(file, "utf8");
      mtimeNs = (await stat(file, { bigint: true })).mtimeNs;
    } catch {
      return undefined;
    }
    const code = Number.parseInt(text.trim(), 10);
    if (Number.isNaN(code)) return undefined; // being written
    const oom = await exists(join(this.containerDir(id), "oom"));
    return {
      exitCode: code,
      // As Node rounds a stat time to a Date.
      finishedAt: new Date(Math.round(Number(mtimeNs / 1000n) / 1000)),
      finishedAtNs: mtimeNs,
      reason: exitReason({ exitCode: code, oomKilled: oom }),
    };
  }

  /** Whether conmon has written the exit file. */
  hasExited(id: string): Promise<boolean> {
    return exists(this.exitFile(id));
  }

  /** Waits for conmon's exit file, woken by inotify on the exits directory (see `fast-paths.ts`); false when `timeoutMs` passes first. */
  async waitExit(id: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    return (await waitForFile(this.exitFile(id), () => this.readExit(id), timeoutMs, signal)) !== undefined;
  }

  /** A container that disappeared without an exit file: exited `Unknown`, at the time first noticed (recorded). */
  async vanished(id: string): Promise<Pick<OciContainerStatus, "exitCode" | "finishedAt" | "reason" | "message">> {
    const file = join(this.containerDir(id), "vanished");
    let at: Date;
    try {
      at = new Date((await readFile(file, "utf8")).trim());
      if (Number.isNaN(at.getTime())) throw new Error("bad time");
    } catch {
      at = new Date();
      await writeFile(file, at.toISOString()).catch(() => undefined);
    }
    return { exitCode: SpecialExitCode.Unknown, finishedAt: at, reason: ExitReason.Unknown, message: "container disappeared without an exit status (its monitor is gone)" };
  }

  /** Removes everything of the container here, and conmon's files in its bundle. */
  async remove(id: string, bundle: string | undefined): Promise<void> {
    await rm(this.containerDir(id), { recursive: true, force: true });
    await rm(this.exitFile(id), { force: true });
    await rm(join(this.socketsDir, id), { force: true });
    if (bundle !== undefined) {
      for (const f of ["attach", "ctl", "winsz", "oom"]) await rm(join(bundle, f), { force: true });
    }
  }

  /**
   * Watches the exits directory: `onExit(id)` for every exit file that
   * appears, and again on each periodic re-check (see `ExitMonitor`).
   */
  async watchExits(onExit: (id: string) => void | Promise<void>, options: ExitWatchOptions = {}): Promise<ExitWatch> {
    const monitor = new ExitMonitor({
      dirs: [this.exitsDir],
      onExit: (id) => onExit(id),
      ...(options.recheckMs !== undefined ? { recheckMs: options.recheckMs } : {}),
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
    await monitor.start();
    return { recheck: () => monitor.recheck(), close: async () => monitor.close() };
  }

  /** IDs of the containers with state here, sorted. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.#containersDir)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  }
}

/** A positive number from a pid file, or `undefined`. */
export async function readNumber(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, "utf8")).trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `p` exists. */
export async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
