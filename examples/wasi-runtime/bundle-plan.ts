/**
 * What to run, read from an OCI bundle that crikit's service prepared: the
 * `.wasm` file the spec's `process.args[0]` names inside the rootfs (a path,
 * or a name looked up in the spec's `PATH`), the arguments, the environment,
 * the working directory and bind mounts as WASI preopens, and the memory
 * limit. Paths are resolved inside the rootfs as a chroot would, so a
 * symlink in the image cannot point the daemon at a host file.
 */
import { open, readFile, readlink, stat } from "node:fs/promises";
import { isAbsolute, join, posix } from "node:path";
import type { OciSpec } from "../../src/spec/index.js";
import { invalidArgument } from "../../src/errors.js";

/** One WASI preopen: `guest` is the path the module sees. */
export interface Preopen {
  guest: string;
  host: string;
  readonly: boolean;
}

/** What the worker needs to run a container. */
export interface WasiPlan {
  /** The module file on the host. */
  wasmPath: string;
  args: string[];
  env: Record<string, string>;
  /** In order; `/` (the rootfs) first, then `.` (the working directory), then the mounts. */
  preopens: Preopen[];
  /** The spec's `linux.resources.memory.limit`, if any. */
  memoryLimitBytes?: number;
}

/** Where `path` (absolute in the container) is on the host, following symlinks inside `root` only. */
export async function resolveInRoot(root: string, path: string, hops = 0): Promise<string> {
  const parts = posix.normalize(`/${path}`).split("/").filter((p) => p !== "");
  let at = "/";
  for (let i = 0; i < parts.length; i++) {
    const next = posix.join(at, parts[i] ?? "");
    const target = await readlink(join(root, next)).catch(() => undefined);
    if (target === undefined) {
      at = next;
      continue;
    }
    if (++hops > 40) throw invalidArgument(`too many symlinks resolving ${JSON.stringify(path)} in the image`, "config.command");
    const rest = parts.slice(i + 1).join("/");
    return resolveInRoot(root, posix.join(posix.isAbsolute(target) ? target : posix.join(at, target), rest), hops);
  }
  return join(root, at);
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

const kernelDirs = ["/proc", "/sys", "/dev"];

/** The plan of the bundle at `bundle` (its `config.json` and rootfs). */
export async function planFromBundle(bundle: string): Promise<WasiPlan> {
  const spec = JSON.parse(await readFile(join(bundle, "config.json"), "utf8")) as OciSpec;
  const proc = spec.process;
  const argv0 = proc?.args?.[0];
  if (proc === undefined || argv0 === undefined) throw invalidArgument("the container has nothing to run: set command, or an image whose entrypoint is a .wasm file", "config.command");
  const rootPath = spec.root?.path ?? "rootfs";
  const rootfs = isAbsolute(rootPath) ? rootPath : join(bundle, rootPath);
  const env: Record<string, string> = {};
  for (const kv of proc.env ?? []) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const cwd = proc.cwd || "/";
  const candidates = argv0.includes("/")
    ? [posix.resolve(cwd, argv0)]
    : (env["PATH"] ?? "").split(":").filter((d) => d.startsWith("/")).map((d) => posix.join(d, argv0));
  let wasmPath: string | undefined;
  for (const c of candidates) {
    const host = await resolveInRoot(rootfs, c);
    if (await isFile(host)) {
      wasmPath = host;
      break;
    }
  }
  if (wasmPath === undefined) throw invalidArgument(`${JSON.stringify(argv0)} is not a file in the image (looked at ${candidates.join(", ")})`, "config.command");
  const magic = new Uint8Array(4);
  const fh = await open(wasmPath);
  await fh.read(magic, 0, 4, 0).finally(() => fh.close());
  if (new TextDecoder().decode(magic) !== "\0asm") throw invalidArgument(`${JSON.stringify(argv0)} is not a WebAssembly module; the wasi handler runs .wasm entrypoints only`, "config.command");

  const rootReadonly = spec.root?.readonly === true;
  const preopens: Preopen[] = [{ guest: "/", host: rootfs, readonly: rootReadonly }];
  const cwdHost = await resolveInRoot(rootfs, cwd);
  if (await isDir(cwdHost)) preopens.push({ guest: ".", host: cwdHost, readonly: rootReadonly });
  for (const m of spec.mounts ?? []) {
    const bind = m.type === "bind" || (m.options ?? []).some((o) => o === "bind" || o === "rbind");
    if (!bind || m.source === undefined || kernelDirs.some((d) => m.destination === d || m.destination.startsWith(`${d}/`))) continue;
    // Files (the pod's /etc/hosts, resolv.conf) cannot be preopens, which are directories.
    if (!(await isDir(m.source))) continue;
    preopens.push({ guest: posix.normalize(m.destination), host: m.source, readonly: (m.options ?? []).some((o) => o === "ro" || o === "rro") });
  }
  const limit = spec.linux?.resources?.memory?.limit;
  return { wasmPath, args: proc.args ?? [argv0], env, preopens, ...(limit !== undefined && limit > 0 ? { memoryLimitBytes: limit } : {}) };
}
