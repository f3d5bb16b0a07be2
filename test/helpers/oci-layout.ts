/**
 * Builds OCI image layouts for tests, deterministically (fixed mtimes, owners
 * and entry order; gzip and zstd from Node's zlib), from a list of tar
 * entries per layer. Tars come from tar-stream's packer. `busyboxImage()`
 * describes the standard test image: Debian's busybox binary plus the corner
 * cases the unpacker must get right (whiteouts, an opaque dir, hard and
 * symbolic links, a setuid file, files owned by uid 1000, a device node).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync, zstdCompressSync, constants as zc } from "node:zlib";
import * as tarStream from "tar-stream";

export interface LayerEntry {
  path: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  mode?: number;
  uid?: number;
  gid?: number;
  content?: string | Buffer;
  /** Symlink or hardlink target. */
  target?: string;
  devmajor?: number;
  devminor?: number;
  mtime?: number;
}

export interface LayerSpec {
  entries: LayerEntry[];
  compression?: "gzip" | "zstd" | "none";
}

export interface TestImageSpec {
  layers: LayerSpec[];
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
  variant?: string;
}

export interface BuiltImage {
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
  diffIds: string[];
  manifest: Record<string, unknown>;
  config: Record<string, unknown>;
}

const sha = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A tar built from entries, deterministically. */
export async function buildTar(entries: LayerEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const type = e.type ?? "file";
    const base = { name: e.path, mode: e.mode ?? (type === "dir" ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: new Date((e.mtime ?? 1_700_000_000) * 1000) };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      switch (type) {
        case "file":
          pack.entry({ ...base, type: "file" }, typeof e.content === "string" ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0)), cb);
          break;
        case "dir":
          pack.entry({ ...base, type: "directory" }, cb);
          break;
        case "symlink":
          pack.entry({ ...base, type: "symlink", linkname: e.target ?? "" }, cb);
          break;
        case "hardlink":
          pack.entry({ ...base, type: "link", linkname: e.target ?? "" }, cb);
          break;
        case "char":
        case "block":
          pack.entry({ ...base, type: type === "char" ? "character-device" : "block-device", devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0 }, cb);
          break;
        case "fifo":
          pack.entry({ ...base, type: "fifo" }, cb);
          break;
      }
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function writeBlob(dir: string, data: Buffer): Promise<string> {
  const d = sha(data);
  await writeFile(join(dir, "blobs", "sha256", d.slice(7)), data);
  return d;
}

/** Writes the blobs of one image into layout `dir`; returns its manifest descriptor facts. */
export async function writeImage(dir: string, spec: TestImageSpec): Promise<BuiltImage & { manifestSize: number }> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const layerDescs: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  for (const l of spec.layers) {
    const tar = await buildTar(l.entries);
    diffIds.push(sha(tar));
    const comp = l.compression ?? "gzip";
    const blob = comp === "gzip" ? gzipSync(tar, { level: 6 }) : comp === "zstd" ? zstdCompressSync(tar, { params: { [zc.ZSTD_c_compressionLevel]: 3 } }) : tar;
    const mediaType = comp === "gzip" ? "application/vnd.oci.image.layer.v1.tar+gzip" : comp === "zstd" ? "application/vnd.oci.image.layer.v1.tar+zstd" : "application/vnd.oci.image.layer.v1.tar";
    layerDescs.push({ mediaType, digest: await writeBlob(dir, blob), size: blob.byteLength });
  }
  const config: Record<string, unknown> = {
    created: "2024-01-01T00:00:00Z",
    architecture: spec.architecture ?? "amd64",
    os: spec.os ?? "linux",
    ...(spec.variant ? { variant: spec.variant } : {}),
    config: spec.config ?? { Env: ["PATH=/bin:/usr/bin"], Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: diffIds },
  };
  const configBuf = Buffer.from(JSON.stringify(config));
  const configDigest = await writeBlob(dir, configBuf);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: configBuf.byteLength },
    layers: layerDescs,
  };
  const mBuf = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = await writeBlob(dir, mBuf);
  return { manifestDigest, configDigest, layerDigests: layerDescs.map((l) => l.digest), diffIds, manifest, config, manifestSize: mBuf.byteLength };
}

export interface LayoutTag {
  tag: string;
  /** One image, or several platforms behind an image index. */
  image?: TestImageSpec;
  platforms?: TestImageSpec[];
}

/** Builds an OCI layout at `dir` with the given tags; returns what each tag points to. */
export async function buildOciLayout(dir: string, tags: LayoutTag[]): Promise<Record<string, { digest: string; images: BuiltImage[]; index?: Record<string, unknown> }>> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const out: Record<string, { digest: string; images: BuiltImage[]; index?: Record<string, unknown> }> = {};
  const top: Record<string, unknown>[] = [];
  for (const t of tags) {
    if (t.image) {
      const img = await writeImage(dir, t.image);
      top.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: img.manifestDigest, size: img.manifestSize, annotations: { "org.opencontainers.image.ref.name": t.tag } });
      out[t.tag] = { digest: img.manifestDigest, images: [img] };
    } else {
      const imgs: (BuiltImage & { manifestSize: number })[] = [];
      const manifests: Record<string, unknown>[] = [];
      for (const p of t.platforms ?? []) {
        const img = await writeImage(dir, p);
        imgs.push(img);
        manifests.push({
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: img.manifestDigest,
          size: img.manifestSize,
          platform: { architecture: p.architecture ?? "amd64", os: p.os ?? "linux", ...(p.variant ? { variant: p.variant } : {}) },
        });
      }
      const index = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests };
      const buf = Buffer.from(JSON.stringify(index));
      const d = await writeBlob(dir, buf);
      top.push({ mediaType: "application/vnd.oci.image.index.v1+json", digest: d, size: buf.byteLength, annotations: { "org.opencontainers.image.ref.name": t.tag } });
      out[t.tag] = { digest: d, images: imgs, index };
    }
  }
  await writeFile(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: top }));
  return out;
}

/** The busybox binary the test images carry (Debian's busybox-static if present). */
export function busyboxBinary(): Buffer {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) if (existsSync(p)) return readFileSync(p);
  throw new Error("busybox is not installed: run scripts/setup.sh (Debian busybox-static)");
}

/**
 * The entries of a minimal busybox root: `/bin/busybox` with each applet as a
 * symlink to it, `/etc/passwd` and `/etc/group`, a sticky `/tmp`, then
 * `extra`. Shared by the e2e image and the benchmark's images.
 */
export function busyboxRootEntries(o: { applets: readonly string[]; passwd?: string; group?: string; extra?: readonly LayerEntry[] }): LayerEntry[] {
  return [
    { path: "bin/", type: "dir" },
    { path: "bin/busybox", mode: 0o755, content: busyboxBinary() },
    ...o.applets.map((a) => ({ path: `bin/${a}`, type: "symlink" as const, target: "busybox" })),
    { path: "etc/", type: "dir" },
    { path: "etc/passwd", content: o.passwd ?? "root:x:0:0:root:/root:/bin/sh\n" },
    { path: "etc/group", content: o.group ?? "root:x:0:\n" },
    { path: "tmp/", type: "dir", mode: 0o1777 },
    ...(o.extra ?? []),
  ];
}

/** The standard test image: four layers with every corner case the unpacker handles. */
export function busyboxImage(extra: { arch?: string; variant?: string; marker?: string } = {}): TestImageSpec {
  const bb = busyboxBinary();
  return {
    architecture: extra.arch ?? "amd64",
    ...(extra.variant ? { variant: extra.variant } : {}),
    config: { User: "0:0", Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hi"], Entrypoint: ["/bin/sh", "-c"], Cmd: ["echo hello"], WorkingDir: "/home/user", Volumes: { "/data": {} }, Labels: { "org.crikit.test": "yes" }, StopSignal: "SIGQUIT" },
    layers: [
      {
        compression: "gzip",
        entries: [
          { path: "bin/", type: "dir" },
          { path: "bin/busybox", mode: 0o755, content: bb },
          { path: "bin/sh", type: "symlink", target: "busybox" },
          { path: "bin/ls", type: "hardlink", target: "bin/busybox" },
          { path: "etc/", type: "dir" },
          { path: "etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n" },
          { path: "etc/group", content: "root:x:0:\nuser:x:1000:\n" },
          { path: "tmp/", type: "dir", mode: 0o1777 },
          { path: "home/", type: "dir" },
          { path: "home/user/", type: "dir", mode: 0o750, uid: 1000, gid: 1000 },
          { path: "home/user/notes.txt", mode: 0o640, uid: 1000, gid: 1000, content: "mine\n" },
          { path: "usr/", type: "dir" },
          { path: "usr/bin/", type: "dir" },
          { path: "usr/bin/su-helper", mode: 0o4755, content: "#!/bin/sh\necho setuid\n" },
          { path: "usr/bin/sg-helper", mode: 0o2755, gid: 1000, content: "#!/bin/sh\necho setgid\n" },
          { path: "var/", type: "dir" },
          { path: "var/shared/", type: "dir", mode: 0o2775, gid: 1000 },
          { path: "dev/", type: "dir" },
          { path: "dev/null", type: "char", mode: 0o666, devmajor: 1, devminor: 3 },
          { path: "dev/pipe", type: "fifo", mode: 0o600 },
          { path: "data/", type: "dir" },
          { path: "data/keep", content: "keep\n" },
          { path: "data/gone", content: "gone\n" },
          { path: "data/gone-dir/", type: "dir" },
          { path: "data/gone-dir/x", content: "x\n" },
          { path: "opaque/", type: "dir" },
          { path: "opaque/a", content: "a\n" },
          { path: "opaque/sub/", type: "dir" },
          { path: "opaque/sub/b", content: "b\n" },
        ],
      },
      {
        compression: "gzip",
        entries: [
          { path: "data/", type: "dir", mtime: 1_700_000_100 },
          { path: "data/.wh.gone", content: "" },
          { path: "data/.wh.gone-dir", content: "" },
          { path: "opaque/", type: "dir" },
          { path: "opaque/.wh..wh..opq", content: "" },
          { path: "opaque/c", content: "c\n" },
          { path: "etc/motd", content: `layer two ${extra.marker ?? ""}\n` },
          { path: "bin/busybox-again", type: "hardlink", target: "bin/busybox" },
          { path: "bin/vi", type: "symlink", target: "/bin/busybox" },
        ],
      },
      {
        compression: "zstd",
        entries: [
          { path: "etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n" },
          { path: "home/user/.profile", mode: 0o600, uid: 1000, gid: 1000, content: "export X=1\n" },
          { path: "opaque/d", content: "d\n" },
          { path: "lib", type: "symlink", target: "usr/lib" },
        ],
      },
      {
        compression: "none",
        entries: [
          { path: "etc/.wh.motd", content: "" },
          { path: "data/new", content: "new\n" },
        ],
      },
    ],
  };
}
