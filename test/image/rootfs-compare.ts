/**
 * Test support: walks two directory trees and lists their differences file by
 * file (type, mode, owner, content, link target, device numbers), and builds
 * a reference rootfs from an OCI layout with GNU tar (whiteouts applied by
 * hand before each layer is extracted) or with umoci.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink, rm, mkdir, writeFile } from "node:fs/promises";
import { zstdDecompressSync } from "node:zlib";
import { join } from "node:path";
import { execa } from "execa";

export interface TreeEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  content?: string;
  target?: string;
  rdev?: number;
}

export async function walkTree(root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const visit = async (rel: string): Promise<void> => {
    const p = rel === "" ? root : join(root, rel);
    const st = await lstat(p);
    const type = st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "symlink" : st.isCharacterDevice() ? "char" : st.isBlockDevice() ? "block" : st.isFIFO() ? "fifo" : "other";
    const e: TreeEntry = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (type === "file") e.content = createHash("sha256").update(await readFile(p)).digest("hex");
    if (type === "symlink") e.target = await readlink(p);
    if (type === "char" || type === "block") e.rdev = st.rdev;
    if (type === "symlink") e.mode = 0; // symlink modes carry no meaning
    out.set(rel === "" ? "." : rel, e);
    if (type === "dir") for (const n of (await readdir(p)).sort()) await visit(rel === "" ? n : `${rel}/${n}`);
  };
  await visit("");
  return out;
}

export function diffTrees(a: Map<string, TreeEntry>, b: Map<string, TreeEntry>): string[] {
  const diffs: string[] = [];
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) diffs.push(`only in first: ${k}`);
    else if (JSON.stringify(v) !== JSON.stringify(w)) diffs.push(`${k}: ${JSON.stringify(v)} != ${JSON.stringify(w)}`);
  }
  for (const k of b.keys()) if (!a.has(k)) diffs.push(`only in second: ${k}`);
  return diffs;
}

/** Flattens the image's layers into `dest` with GNU tar, applying OCI whiteouts first. */
export async function gnuTarFlatten(layoutDir: string, manifest: { layers: { mediaType: string; digest: string }[] }, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const l of manifest.layers) {
    const blob = join(layoutDir, "blobs", "sha256", l.digest.slice(7));
    const tarFile = `${dest}.layer.tar`;
    if (l.mediaType.endsWith("+zstd")) {
      // No zstd CLI is assumed on the machine; Node's zlib decompresses, GNU tar still applies.
      await writeFile(tarFile, zstdDecompressSync(await readFile(blob)));
    } else {
      await execa(l.mediaType.endsWith("+gzip") ? "gzip" : "cat", l.mediaType.endsWith("+gzip") ? ["-dc", blob] : [blob], { stdout: { file: tarFile } });
    }
    const names = (await execa("tar", ["-tf", tarFile])).stdout.split("\n").filter(Boolean);
    for (const n of names) {
      const parts = n.replace(/^\.\//, "").replace(/\/$/, "").split("/");
      const base = parts.pop() ?? "";
      const dir = join(dest, ...parts);
      if (base === ".wh..wh..opq") {
        for (const c of await readdir(dir).catch(() => [] as string[])) await rm(join(dir, c), { recursive: true, force: true });
      } else if (base.startsWith(".wh.")) {
        await rm(join(dir, base.slice(4)), { recursive: true, force: true });
      }
    }
    await execa("tar", ["-xpf", tarFile, "--same-owner", "--numeric-owner", "--exclude=.wh.*", "-C", dest]);
    await rm(tarFile, { force: true });
  }
}

/** `umoci unpack` of `layoutDir:tag` into `bundle`; returns the rootfs path. */
export async function umociUnpack(layoutDir: string, tag: string, bundle: string): Promise<string> {
  await execa("umoci", ["unpack", "--image", `${layoutDir}:${tag}`, bundle]);
  return join(bundle, "rootfs");
}
