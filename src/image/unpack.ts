/**
 * Applies one image layer (a tar, optionally gzip or zstd compressed) to an
 * empty directory in overlayfs form, so the directory can serve as an
 * overlay lower dir above the directories of the layers beneath it.
 *
 * Conversion of OCI whiteouts to overlayfs ones:
 *
 * ```
 * a/.wh.b        ->  a/b as a character device 0/0  (hides b of lower layers)
 * a/.wh..wh..opq ->  xattr trusted.overlay.opaque="y" on a  (hides a's lower content)
 * ```
 *
 * Every entry is applied by hand (hence a streaming tar parser, tar-stream,
 * and no extract-all helper): names are split into components and rejected
 * when absolute or containing `..`; each parent is checked with lstat in this
 * layer and in the lower layers, and a symlink anywhere on the way fails the
 * layer (a write through a symlink could leave the snapshot); files are
 * created with O_EXCL after removing what was there, so the final component
 * is never followed. Ownership is set before the mode (chown clears setuid and
 * setgid); file and symlink times are set as each entry is written, directory
 * times at the end, deepest first, since adding children changes them.
 * A hardlink to a file of a lower layer copies that file up first (as
 * overlayfs would; containerd 1.6 fails such layers). A layer that whites out
 * a lower directory and re-creates it gets an opaque directory. Directories
 * the layer creates implicitly take the lower layer's mode, owner and times.
 * Extended attributes `security.capability` and `user.*` from PAX headers are
 * kept; other namespaces (notably `trusted.overlay.*`) are dropped, so a layer
 * cannot forge overlay metadata. Xattrs are written with one `setfattr
 * --restore` run and device nodes with `mknod`, Node having neither call.
 *
 * The uncompressed stream is hashed as it is read; the result is the layer's
 * diff ID, which the caller checks against the image config.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import { createWriteStream, type Stats } from "node:fs";
import { copyFile, link, lchown, lstat, lutimes, mkdir, chmod, chown, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createZstdDecompress } from "node:zlib";
import type * as TarStream from "tar-stream";
import { lazyRequire, loadExeca } from "../lazy.js";
import { CrikitError } from "../errors.js";
import type { LayerCompression } from "./media-types.js";

/** tar-stream, loaded by the first layer applied. */
const tarStream = lazyRequire<typeof TarStream>("tar-stream");

/**
 * Options of {@link applyLayer}.
 *
 * @public
 */
export interface ApplyLayerOptions {
  /** The layer's compression. */
  compression: LayerCompression;
  /**
   * The directories of the layers beneath, topmost first. Used to refuse
   * writes through their symlinks and to copy up the metadata of directories
   * this layer creates implicitly.
   * @defaultValue `[]`
   */
  lowerDirs?: readonly string[];
  /** Cancels the unpacking. */
  signal?: AbortSignal;
}

/**
 * What {@link applyLayer} reports.
 *
 * @public
 */
export interface ApplyLayerResult {
  /** sha256 of the uncompressed tar: the layer's diff ID. */
  diffId: string;
  /** Number of tar entries applied. */
  entries: number;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
}

interface TarHeader {
  name: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: Date;
  linkname?: string | null;
  type?: string | null;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string> | null;
}

function badLayer(msg: string, cause?: unknown): CrikitError {
  return new CrikitError("InvalidArgument", `invalid image layer: ${msg}`, cause === undefined ? undefined : { cause });
}

/**
 * The components of a tar entry name, or an error for a name that is
 * absolute or contains `..`. `./` prefixes and trailing slashes are dropped.
 *
 * @internal
 */
export function safeEntryPath(name: string): string[] {
  if (name.startsWith("/")) throw badLayer(`entry "${name}" has an absolute path`);
  if (name.includes("\0")) throw badLayer(`entry name contains a NUL byte`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw badLayer(`entry "${name}" contains ".."`);
  return parts;
}

/**
 * Applies the layer read from `source` to the empty (or partly applied)
 * directory `dir`. Throws InvalidArgument for a malformed or malicious layer;
 * the caller removes `dir` then.
 *
 * @public
 */
export async function applyLayer(dir: string, source: Readable, options: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const applier = new LayerApplier(dir, options.lowerDirs ?? []);
  const hash = createHash("sha256");
  let uncompressedSize = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      uncompressedSize += chunk.byteLength;
      cb(null, chunk);
    },
  });
  const extract = tarStream().extract();
  const stages: NodeJS.ReadWriteStream[] = [];
  if (options.compression === "gzip") stages.push(createGunzip({ chunkSize: 1 << 18 }));
  else if (options.compression === "zstd") stages.push(createZstdDecompress({ chunkSize: 1 << 18 }));
  const run = pipeline as unknown as (...args: unknown[]) => Promise<void>;
  const piped = run(source, ...stages, hasher, extract, options.signal ? { signal: options.signal } : {});
  piped.catch(() => undefined);
  let entries = 0;
  try {
    for await (const e of extract) {
      const entry = e as unknown as Readable & { header: TarHeader };
      options.signal?.throwIfAborted();
      await applier.apply(entry.header, entry);
      entry.resume();
      entries++;
    }
    await piped;
    await applier.finish();
  } catch (err) {
    extract.destroy();
    source.destroy();
    if (err instanceof CrikitError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("Z_") || code.startsWith("ERR_ZSTD") || code === "ERR_INVALID_ARG_VALUE")) {
      throw badLayer(`cannot decompress (${options.compression})`, err);
    }
    if (err instanceof Error && /tar|header|checksum/i.test(err.message) && code === undefined) {
      throw badLayer("not a valid tar archive", err);
    }
    throw err;
  }
  return { diffId: `sha256:${hash.digest("hex")}`, entries, uncompressedSize };
}

class LayerApplier {
  readonly #dir: string;
  readonly #lowers: readonly string[];
  /** Directories known to exist in #dir and not be symlinks (relative paths). */
  readonly #dirs = new Set<string>([""]);
  readonly #dirTimes = new Map<string, Date>();
  readonly #xattrs = new Map<string, Map<string, Buffer>>();

  constructor(dir: string, lowers: readonly string[]) {
    this.#dir = dir;
    this.#lowers = lowers;
  }

  async apply(h: TarHeader, body: Readable): Promise<void> {
    const parts = safeEntryPath(h.name);
    const type = h.type ?? "file";
    if (parts.length === 0) {
      // The layer root itself ("./"): only its metadata.
      if (type === "directory") await this.#setMeta("", h, "directory");
      return;
    }
    const base = parts[parts.length - 1] ?? "";
    const parent = parts.slice(0, -1);
    await this.#ensureParent(parent);
    const parentRel = parent.join("/");
    if (base === ".wh..wh..opq") {
      this.#setXattr(parentRel, "trusted.overlay.opaque", Buffer.from("y"));
      return;
    }
    if (base.startsWith(".wh.")) {
      const hidden = base.slice(4);
      if (hidden === "" || hidden.startsWith(".wh.")) return; // other AUFS metadata: nothing to do
      const hiddenRel = parentRel === "" ? hidden : `${parentRel}/${hidden}`;
      const p = join(this.#dir, hiddenRel);
      const there = await lstatOrUndefined(p);
      if (there !== undefined) {
        // The same layer has this path: its own content stays, but a whiteout of a lower
        // directory that the layer re-creates makes that directory opaque.
        if (there.isDirectory()) this.#setXattr(hiddenRel, "trusted.overlay.opaque", Buffer.from("y"));
        return;
      }
      await run("mknod", ["-m", "0", p, "c", "0", "0"]);
      return;
    }
    const rel = parts.join("/");
    const path = join(this.#dir, rel);
    const cur = await lstatOrUndefined(path);
    if (cur !== undefined) {
      if (cur.isDirectory() && type === "directory") {
        await this.#setMeta(rel, h, type);
        return;
      }
      await rm(path, { recursive: true, force: true });
      this.#forget(rel);
      // A directory re-created over this layer's own whiteout hides the lower one's content.
      if (type === "directory" && cur.isCharacterDevice() && cur.rdev === 0) this.#setXattr(rel, "trusted.overlay.opaque", Buffer.from("y"));
    }
    switch (type) {
      case "file":
      case "contiguous-file": {
        const ws = createWriteStream(path, { flags: "wx", mode: 0o600, highWaterMark: 1 << 20 });
        await pipeline(body, ws);
        break;
      }
      case "directory":
        await mkdir(path, { mode: 0o700 });
        this.#dirs.add(rel);
        break;
      case "symlink":
        if (!h.linkname) throw badLayer(`symlink "${h.name}" has no target`);
        await symlink(h.linkname, path);
        break;
      case "link": {
        const target = safeEntryPath(h.linkname ?? "");
        if (target.length === 0) throw badLayer(`hardlink "${h.name}" has no target`);
        await this.#ensureParent(target.slice(0, -1));
        const tpath = join(this.#dir, ...target);
        if ((await lstatOrUndefined(tpath)) === undefined) await this.#copyUp(target.join("/"), h.name);
        await link(tpath, path);
        return; // shares the target's inode and metadata
      }
      case "character-device":
      case "block-device":
      case "fifo": {
        const kind = type === "fifo" ? ["p"] : [type === "block-device" ? "b" : "c", String(h.devmajor ?? 0), String(h.devminor ?? 0)];
        await run("mknod", ["-m", "0600", path, ...kind]);
        break;
      }
      default:
        throw badLayer(`entry "${h.name}" has unsupported type ${String(type)}`);
    }
    await this.#setMeta(rel, h, type);
    for (const [k, v] of Object.entries(h.pax ?? {})) {
      if (!k.startsWith("SCHILY.xattr.")) continue;
      const name = k.slice("SCHILY.xattr.".length);
      if (name === "security.capability" || name.startsWith("user.")) this.#setXattr(rel, name, Buffer.from(v, "latin1"));
    }
  }

  async #setMeta(rel: string, h: TarHeader, type: string): Promise<void> {
    const path = join(this.#dir, rel);
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;
    const mtime = h.mtime ?? new Date(0);
    if (type === "symlink") {
      await lchown(path, uid, gid);
      await lutimes(path, mtime, mtime);
      return;
    }
    await chown(path, uid, gid);
    await chmod(path, (h.mode ?? 0o644) & 0o7777);
    if (type === "directory") this.#dirTimes.set(rel, mtime);
    else await utimes(path, mtime, mtime);
  }

  #setXattr(rel: string, name: string, value: Buffer): void {
    let m = this.#xattrs.get(rel);
    if (m === undefined) this.#xattrs.set(rel, (m = new Map()));
    m.set(name, value);
  }

  #forget(rel: string): void {
    for (const d of this.#dirs) if (d === rel || d.startsWith(`${rel}/`)) this.#dirs.delete(d);
    for (const d of this.#dirTimes.keys()) if (d === rel || d.startsWith(`${rel}/`)) this.#dirTimes.delete(d);
    for (const d of this.#xattrs.keys()) if (d === rel || d.startsWith(`${rel}/`)) this.#xattrs.delete(d);
  }

  /** Makes sure each parent component is a real directory here, never a symlink here or below. */
  async #ensureParent(parts: readonly string[]): Promise<void> {
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join("/");
      if (this.#dirs.has(rel)) continue;
      const here = await lstatOrUndefined(join(this.#dir, rel));
      if (here !== undefined) {
        if (here.isSymbolicLink()) throw badLayer(`"${rel}" is a symlink; writing through it is refused`);
        if (!here.isDirectory()) throw badLayer(`"${rel}" is not a directory but has entries beneath it`);
        this.#dirs.add(rel);
        continue;
      }
      // Implicit parent: copy up the metadata of the lower layers' directory, if any.
      let lowerStat: Stats | undefined;
      for (const lower of this.#lowers) {
        const st = await lstatOrUndefined(join(lower, rel));
        if (st === undefined) continue;
        if (st.isCharacterDevice() && st.rdev === 0) break; // whited out below: a fresh dir
        if (st.isSymbolicLink()) throw badLayer(`"${rel}" is a symlink in a lower layer; writing through it is refused`);
        if (!st.isDirectory()) break;
        lowerStat = st;
        break;
      }
      const path = join(this.#dir, rel);
      await mkdir(path, { mode: 0o755 });
      if (lowerStat !== undefined) {
        await chown(path, lowerStat.uid, lowerStat.gid);
        await chmod(path, lowerStat.mode & 0o7777);
        this.#dirTimes.set(rel, lowerStat.mtime);
      }
      this.#dirs.add(rel);
    }
  }

  /** A hardlink to a file of a lower layer: copy that file up first, as overlayfs would. */
  async #copyUp(rel: string, entryName: string): Promise<void> {
    for (const lower of this.#lowers) {
      const src = join(lower, rel);
      const st = await lstatOrUndefined(src);
      if (st === undefined) continue;
      if (!st.isFile()) break;
      const dst = join(this.#dir, rel);
      await copyFile(src, dst);
      await chown(dst, st.uid, st.gid);
      await chmod(dst, st.mode & 0o7777);
      await utimes(dst, st.atime, st.mtime);
      return;
    }
    throw badLayer(`hardlink "${entryName}" points to "${rel}", which does not exist`);
  }

  async finish(): Promise<void> {
    if (this.#xattrs.size > 0) {
      const lines: string[] = [];
      for (const [rel, m] of this.#xattrs) {
        lines.push(`# file: ${escapePath(rel === "" ? "." : rel)}`);
        for (const [k, v] of m) lines.push(`${k}=0s${v.toString("base64")}`);
        lines.push("");
      }
      const dump = join(tmpdir(), `crikit-xattrs-${process.pid}-${Math.random().toString(36).slice(2)}`);
      await writeFile(dump, lines.join("\n"), { mode: 0o600 });
      try {
        await run("setfattr", ["-h", `--restore=${dump}`], { cwd: this.#dir });
      } catch (err) {
        throw new CrikitError("FailedPrecondition", "cannot set extended attributes on the unpacked layer (is setfattr from the attr package installed, and does the filesystem take trusted.* xattrs?)", { cause: err });
      } finally {
        await rm(dump, { force: true });
      }
    }
    const dirs = [...this.#dirTimes.entries()].sort((a, b) => b[0].split("/").length - a[0].split("/").length);
    for (const [rel, t] of dirs) await utimes(join(this.#dir, rel), t, t);
  }
}

/** getfattr-style quoting: every byte outside a safe set as a backslash octal escape. */
function escapePath(p: string): string {
  let out = "";
  for (const b of Buffer.from(p, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._/+@,:-]/.test(c) ? c : `\\${b.toString(8).padStart(3, "0")}`;
  }
  return out;
}

/**
 * Runs a helper (mknod, setfattr) with execa, loaded on first use: most layers
 * need neither, and loading execa would add ~130 ms to the start of the
 * unpacking worker.
 */
async function run(file: string, args: string[], options: { cwd?: string } = {}): Promise<void> {
  await (await loadExeca())(file, args, options);
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
