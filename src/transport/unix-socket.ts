/**
 * Binding the CRI unix socket safely.
 *
 * The rules are in the TSDoc of {@link listenUnixSocket}.
 *
 * @packageDocumentation
 */
import net from "node:net";
import { randomBytes } from "node:crypto";
import { chmod, chown, lstat, mkdir, readdir, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CrikitError } from "../errors.js";

/** sun_path is 108 bytes including the terminating NUL. */
const maxSocketPathBytes = 107;

/**
 * What is at a socket path: nothing, a socket nobody listens on, a socket a
 * server accepts on, or something that is not a socket.
 *
 * @public
 */
export type UnixSocketState = "absent" | "stale" | "live" | "not-a-socket";

/**
 * Find out what is at `path` without changing it. A connect that neither
 * succeeds nor is refused within `timeoutMs` counts as live (a busy server
 * must not be replaced).
 *
 * @public
 */
export async function probeUnixSocket(path: string, options: { timeoutMs?: number } = {}): Promise<UnixSocketState> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw e;
  }
  if (!st.isSocket()) return "not-a-socket";
  return await new Promise<UnixSocketState>((resolve, reject) => {
    const sock = net.connect(path);
    const timer = setTimeout(() => finish("live"), options.timeoutMs ?? 1000);
    function finish(state: UnixSocketState | Error): void {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on("error", () => {});
      sock.destroy();
      if (state instanceof Error) reject(state);
      else resolve(state);
    }
    sock.once("connect", () => finish("live"));
    sock.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNREFUSED") finish("stale");
      else if (e.code === "ENOENT") finish("absent");
      else if (e.code === "EAGAIN") finish("live");
      else finish(e);
    });
  });
}

/**
 * Options for {@link listenUnixSocket}.
 *
 * @public
 */
export interface UnixSocketOptions {
  /**
   * File mode of the socket.
   * @defaultValue `0o660`
   */
  mode?: number;
  /**
   * Owner uid. `undefined` means root (0) when the process runs as root, else
   * the owner is left alone.
   */
  uid?: number;
  /**
   * Owner gid, for instance a group whose members may use the runtime.
   * `undefined` means root's group (0) when the process runs as root, else the
   * group is left alone.
   */
  gid?: number;
}

/**
 * What {@link listenUnixSocket} bound: the path and its inode, for a safe
 * {@link removeUnixSocket}.
 *
 * @public
 */
export interface BoundUnixSocket {
  /** The socket path. */
  readonly path: string;
  /** The inode bound, so that only this socket is ever removed. */
  readonly ino: number;
  /** Whether a stale socket was replaced. */
  readonly replacedStale: boolean;
}

/**
 * Bind `server` to the unix socket `path`, with these steps.
 *
 * Steps of {@link listenUnixSocket}:
 * 1. Create the parent directory (mode 0755) if it is missing.
 * 2. Look at the path: nothing there is fine; a non-socket file is an error
 *    (never removed); a socket is probed with `connect()`: if something
 *    accepts, it is live and is never stolen (AlreadyExists); ECONNREFUSED
 *    means stale (its server died without removing it) and it will be replaced.
 * 3. Listen on a temporary name beside the target, `chmod` it (0660 by
 *    default) and `chown` it (root:root by default when running as root), and
 *    only then `rename()` it over the target. The socket is therefore never
 *    reachable with the wrong mode or owner, and a stale socket is replaced
 *    atomically. If the temporary name would be longer than the 107-byte unix
 *    socket path limit, the socket is bound at the target directly and
 *    secured right after.
 * Temporary sockets that a crashed process left behind (same name pattern,
 * nobody listening) are removed first.
 * 4. On close, {@link removeUnixSocket} removes the path only if it is still
 *    the inode this server bound, so it never removes a newer server's socket.
 *
 * @throws CrikitError `AlreadyExists` if a live server holds the path,
 * `FailedPrecondition` if the path is not a socket, `InvalidArgument` if the
 * path is too long.
 *
 * @public
 */
export async function listenUnixSocket(server: net.Server, path: string, options: UnixSocketOptions = {}): Promise<BoundUnixSocket> {
  if (Buffer.byteLength(path) > maxSocketPathBytes) {
    throw new CrikitError(
      "InvalidArgument",
      `socket path "${path}" is ${Buffer.byteLength(path)} bytes; unix socket paths are limited to ${maxSocketPathBytes} bytes`,
      { details: { field: "socketPath" } },
    );
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await removeStaleTemporaries(path);
  const state = await assertReplaceable(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(3).toString("hex")}`);
  const direct = Buffer.byteLength(tmp) > maxSocketPathBytes;
  if (direct && state === "stale") await unlinkIfSocket(path);
  const bindPath = direct ? path : tmp;
  await listenOn(server, bindPath, path);
  try {
    await secure(bindPath, options);
    if (!direct) {
      // Re-check: another server may have taken the path while we bound ours.
      await assertReplaceable(path);
      await rename(tmp, path);
    }
    const st = await lstat(path);
    return { path, ino: st.ino, replacedStale: state === "stale" };
  } catch (e) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!direct) await unlink(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Remove the socket at `bound.path` if it is still the one that was bound
 * (same inode). Never throws for a missing file.
 *
 * @public
 */
export async function removeUnixSocket(bound: BoundUnixSocket): Promise<void> {
  try {
    const st = await lstat(bound.path);
    if (st.isSocket() && st.ino === bound.ino) await unlink(bound.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/** Temporary sockets left by a process that died between bind and rename: remove those nobody listens on. */
async function removeStaleTemporaries(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !/^\d+\.[0-9a-f]{6}$/.test(name.slice(prefix.length))) continue;
    const p = join(dirname(path), name);
    if ((await probeUnixSocket(p).catch(() => "live" as const)) === "stale") await unlink(p).catch(() => {});
  }
}

async function assertReplaceable(path: string): Promise<UnixSocketState> {
  const state = await probeUnixSocket(path);
  if (state === "live") {
    throw new CrikitError(
      "AlreadyExists",
      `socket "${path}" is in use: another server accepts connections on it; stop that server or choose another socket path`,
      { details: { field: "socketPath" } },
    );
  }
  if (state === "not-a-socket") {
    throw new CrikitError(
      "FailedPrecondition",
      `refusing to use "${path}" as the socket: a file that is not a socket exists there; remove it or choose another socket path`,
      { details: { field: "socketPath" } },
    );
  }
  return state;
}

async function unlinkIfSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st?.isSocket() === true) await unlink(path).catch(() => {});
}

function listenOn(server: net.Server, bindPath: string, displayPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(
        e.code === "EADDRINUSE"
          ? new CrikitError("AlreadyExists", `socket "${displayPath}" is in use; choose another socket path`, { cause: e })
          : e,
      );
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(bindPath);
  });
}

async function secure(path: string, options: UnixSocketOptions): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const uid = options.uid ?? (asRoot ? 0 : -1);
  const gid = options.gid ?? (asRoot ? 0 : -1);
  if (uid !== -1 || gid !== -1) await chown(path, uid, gid);
  await chmod(path, options.mode ?? 0o660);
}
