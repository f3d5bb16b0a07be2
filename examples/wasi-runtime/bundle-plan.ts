/**
 * What to run, from the OCI spec the service wrote into the bundle: the module `process.args[0]` names in
 * the rootfs (from the working directory, or looked up in the spec's `PATH`; symlinks stay in the rootfs),
 * args, env, the rootfs, working directory and bind mounts as WASI preopens, and the memory limit.
 */
import { readlinkSync } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, posix } from "node:path";
import { invalidArgument } from "crikit/errors";
import { resolveInRootfs, type OciSpec } from "crikit/spec";

/** One WASI preopen: `guest` is the directory the module sees. */
export type Preopen = { guest: string; host: string; readonly: boolean };
/** What runs: `preopens` are `/` (the rootfs), `.` (the working directory), then the mounts. */
export type WasiPlan = { module: Uint8Array; args: string[]; env: Record<string, string>; preopens: Preopen[]; memoryLimitBytes?: number };

/** A symlink's target, or "" for anything else. */
export const linkOf = (p: string): string => { try { return readlinkSync(p); } catch { return ""; } }; // prettier-ignore
const links = { readlink: (p: string): string | undefined => linkOf(p) || undefined };
const isDir = async (p: string): Promise<boolean> => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
const kernelDirs = /^\/(proc|sys|dev)(\/|$)/;

/** The spec's root filesystem on the host. */
export function rootfsOf(spec: OciSpec, bundle: string): string {
  const root = spec.root?.path ?? "rootfs";
  return isAbsolute(root) ? root : join(bundle, root);
}

/** The file `process.args[0]` names, on the host, and where it was looked for. */
export async function findEntrypoint(spec: OciSpec, rootfs: string): Promise<{ path?: string; tried: string[] }> {
  const argv0 = spec.process?.args?.[0] ?? "";
  const path = spec.process?.env?.find((e) => e.startsWith("PATH="))?.slice(5) ?? "";
  const tried = argv0.includes("/") ? [posix.resolve(spec.process?.cwd ?? "/", argv0)] : path.split(":").filter((d) => d.startsWith("/")).map((d) => posix.join(d, argv0));
  for (const p of argv0 === "" ? [] : tried) {
    const host = resolveInRootfs(rootfs, p, links);
    if ((await stat(host).catch(() => undefined))?.isFile()) return { path: host, tried };
  }
  return { tried };
}

/** Whether the file starts as a WebAssembly binary does. */
export async function isWasmFile(path: string): Promise<boolean> {
  const fh = await open(path);
  const { buffer } = await fh.read(Buffer.alloc(4), 0, 4, 0).finally(() => fh.close());
  return buffer.equals(Buffer.from("\0asm", "latin1"));
}

/** The plan of the bundle (its `config.json`, unless `spec` is given). */
export async function planFromBundle(bundle: string, spec?: OciSpec): Promise<WasiPlan> {
  spec ??= JSON.parse(await readFile(join(bundle, "config.json"), "utf8")) as OciSpec;
  const rootfs = rootfsOf(spec, bundle);
  const args = spec.process?.args ?? [];
  const { path, tried } = await findEntrypoint(spec, rootfs);
  if (path === undefined) throw invalidArgument(`${JSON.stringify(args[0] ?? "")} is not a file in the image (looked at ${tried.join(", ") || "nothing"}): set command to the .wasm file`, "config.command");
  if (!(await isWasmFile(path))) throw invalidArgument(`${JSON.stringify(args[0])} is not a WebAssembly module: the wasi handler runs .wasm entrypoints only`, "config.command");
  const env = Object.fromEntries((spec.process?.env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]).filter(([k]) => k !== ""));
  const ro = spec.root?.readonly === true;
  const preopens: Preopen[] = [{ guest: "/", host: rootfs, readonly: ro }];
  const cwd = resolveInRootfs(rootfs, spec.process?.cwd ?? "/", links);
  if (await isDir(cwd)) preopens.push({ guest: ".", host: cwd, readonly: ro });
  for (const m of spec.mounts ?? []) {
    const opts = m.options ?? [];
    if ((m.type !== "bind" && !opts.some((o) => o === "bind" || o === "rbind")) || m.source === undefined || kernelDirs.test(m.destination)) continue;
    // Preopens are directories: files (the pod's /etc/hosts, resolv.conf) are left out.
    if (await isDir(m.source)) preopens.push({ guest: posix.normalize(m.destination), host: m.source, readonly: opts.some((o) => o === "ro" || o === "rro") });
  }
  // A wasm32 memory is at most 4 GiB: a limit read exactly as bigint fits a number for the cap.
  const limit = spec.linux?.resources?.memory?.limit;
  return { module: await readFile(path), args, env, preopens, ...(limit !== undefined && limit > 0 ? { memoryLimitBytes: Number(limit) } : {}) };
}
