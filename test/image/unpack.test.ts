import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import fc from "fast-check";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { execa } from "execa";
import { applyLayer, chainIds, hasErrorCode, layerCompression, Snapshotter } from "../../src/index.js";
import { safeEntryPath } from "../../src/image/unpack.js";
import { buildOciLayout, buildTar, busyboxImage, type LayerEntry, type TestImageSpec } from "../helpers/oci-layout.js";
import { diffTrees, gnuTarFlatten, umociUnpack, walkTree } from "./rootfs-compare.js";

/** Unpacks every layer of a built image into chain-ID snapshots; returns the chain IDs. */
async function unpackAll(layout: string, manifest: { layers: { mediaType: string; digest: string }[] }, diffIds: string[], snaps: Snapshotter): Promise<string[]> {
  const chain = chainIds(diffIds);
  for (const [i, l] of manifest.layers.entries()) {
    await snaps.prepare(chain[i] as string, async (dir) => {
      const r = await applyLayer(dir, createReadStream(join(layout, "blobs", "sha256", l.digest.slice(7))), {
        compression: layerCompression(l.mediaType) ?? "none",
        lowerDirs: snaps.lowerDirs(chain.slice(0, i)),
      });
      assert.equal(r.diffId, diffIds[i], `diff ID of layer ${i}`);
    });
  }
  return chain;
}

describe("applyLayer", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-unpack-"));
  });
  after(async () => {
    await execa("umount", [join(dir, "mnt")], { reject: false });
    await rm(dir, { recursive: true, force: true });
  });

  it("produces overlay layers whose merged view equals GNU tar's flattening, file by file", async () => {
    const layout = join(dir, "layout");
    const built = await buildOciLayout(layout, [{ tag: "v1", image: busyboxImage() }]);
    const img = built.v1?.images[0];
    assert.ok(img);
    const snaps = new Snapshotter({ root: join(dir, "snaps") });
    await snaps.init();
    const chain = await unpackAll(layout, img.manifest as never, img.diffIds, snaps);
    const mnt = join(dir, "mnt");
    await snaps.mount({ chainIds: chain, target: mnt, readonly: true });
    try {
      const ref = join(dir, "gnutar");
      await gnuTarFlatten(layout, img.manifest as never, ref);
      const ours = await walkTree(mnt);
      const theirs = await walkTree(ref);
      // The layer root's own metadata is not in the tars; compare entries only.
      ours.delete(".");
      theirs.delete(".");
      assert.deepEqual(diffTrees(ours, theirs), []);
      // Spot checks of the corner cases, so an empty comparison cannot pass silently.
      assert.equal(ours.get("usr/bin/su-helper")?.mode, 0o4755);
      assert.equal(ours.get("usr/bin/sg-helper")?.mode, 0o2755);
      assert.equal(ours.get("home/user/notes.txt")?.uid, 1000);
      assert.equal(ours.get("bin/sh")?.target, "busybox");
      assert.equal(ours.get("dev/null")?.type, "char");
      assert.equal(ours.has("data/gone"), false);
      assert.equal(ours.has("data/gone-dir"), false);
      assert.equal(ours.has("opaque/a"), false);
      assert.equal(ours.has("opaque/sub"), false);
      assert.equal(ours.get("opaque/c")?.type, "file");
      assert.equal(ours.get("opaque/d")?.type, "file");
      assert.equal(ours.has("etc/motd"), false);
      // Times: files keep their tar mtime; a directory listed in a layer keeps its own in that layer's snapshot.
      assert.equal((await stat(join(mnt, "etc/passwd"))).mtimeMs, 1_700_000_000_000);
      assert.equal((await stat(join(ref, "etc/passwd"))).mtimeMs, 1_700_000_000_000);
      assert.equal((await stat(join(snaps.dir(chain[1] as string), "data"))).mtimeMs, 1_700_000_100_000);
      assert.equal((await stat(join(snaps.dir(chain[0] as string), "home/user"))).mtimeMs, 1_700_000_000_000);
    } finally {
      await snaps.unmount(mnt);
    }
  });

  it("matches umoci unpack for an image with gzip layers only", async () => {
    const layout = join(dir, "layout-gz");
    const spec: TestImageSpec = busyboxImage();
    spec.layers = spec.layers.map((l) => ({ ...l, compression: "gzip" }));
    const built = await buildOciLayout(layout, [{ tag: "gz", image: spec }]);
    const img = built.gz?.images[0];
    assert.ok(img);
    const snaps = new Snapshotter({ root: join(dir, "snaps-gz") });
    await snaps.init();
    const chain = await unpackAll(layout, img.manifest as never, img.diffIds, snaps);
    const mnt = join(dir, "mnt");
    await snaps.mount({ chainIds: chain, target: mnt, readonly: true });
    try {
      const rootfs = await umociUnpack(layout, "gz", join(dir, "bundle"));
      const ours = await walkTree(mnt);
      const theirs = await walkTree(rootfs);
      ours.delete(".");
      theirs.delete(".");
      assert.ok(ours.size > 20);
      assert.deepEqual(diffTrees(ours, theirs), []);
    } finally {
      await snaps.unmount(mnt);
    }
  });

  const malicious: { desc: string; lower?: LayerEntry[]; entries: LayerEntry[] }[] = [
    { desc: "an entry with .. in its path", entries: [{ path: "../escaped", content: "x" }] },
    { desc: "an entry deep under .. components", entries: [{ path: "a/../../escaped", content: "x" }] },
    { desc: "an absolute entry path", entries: [{ path: "/tmp/crikit-escaped", content: "x" }] },
    { desc: "a write through a symlink of the same layer", entries: [{ path: "link", type: "symlink", target: "/OUTSIDE" }, { path: "link/escaped", content: "x" }] },
    { desc: "a write through a relative symlink pointing up", entries: [{ path: "up", type: "symlink", target: "../../.." }, { path: "up/escaped", content: "x" }] },
    { desc: "a write through a symlink of a lower layer", lower: [{ path: "lowlink", type: "symlink", target: "/OUTSIDE" }], entries: [{ path: "lowlink/escaped", content: "x" }] },
    { desc: "a hardlink to a path with ..", entries: [{ path: "h", type: "hardlink", target: "../../etc/passwd" }] },
  ];
  for (const c of malicious) {
    it(`rejects ${c.desc} and writes nothing outside the snapshot`, async () => {
      const base = await mkdtemp(join(dir, "mal-"));
      const outside = join(base, "OUTSIDE");
      await mkdir(outside);
      const snaps = new Snapshotter({ root: join(base, "a", "b", "snaps") });
      await snaps.init();
      let lowerDirs: string[] = [];
      if (c.lower) {
        const low = join(base, "a", "b", "lower");
        await mkdir(low, { recursive: true });
        // The lower layer's symlink points at OUTSIDE through an absolute path in this test's tree.
        const lowEntries = c.lower.map((e) => (e.type === "symlink" ? { ...e, target: outside } : e));
        await applyLayer(low, Readable.from([await buildTar(lowEntries)]), { compression: "none" });
        lowerDirs = [low];
      }
      const entries = c.entries.map((e) => (e.target === "/OUTSIDE" ? { ...e, target: outside } : e));
      const tar = gzipSync(await buildTar(entries));
      await assert.rejects(
        snaps.prepare(`sha256:${"a".repeat(64)}`, (d) => applyLayer(d, Readable.from([tar]), { compression: "gzip", lowerDirs }).then(() => undefined)),
        (err: unknown) => hasErrorCode(err, "InvalidArgument") && /invalid image layer/.test((err as Error).message),
      );
      assert.deepEqual(await readdir(outside), []);
      assert.deepEqual(await readdir(snaps.root), []);
      assert.deepEqual((await readdir(join(base, "a"))).sort(), ["b"]);
      await rm(base, { recursive: true, force: true });
    });
  }

  const recreate = [
    { desc: "the whiteout before the new directory", upper: [{ path: ".wh.d", content: "" }, { path: "d/", type: "dir" as const }, { path: "d/new", content: "n" }] },
    { desc: "the new directory before the whiteout", upper: [{ path: "d/", type: "dir" as const }, { path: "d/new", content: "n" }, { path: ".wh.d", content: "" }] },
  ];
  for (const c of recreate) {
    it(`hides a lower directory's content when a layer whites it out and re-creates it, ${c.desc}`, async () => {
      const base = await mkdtemp(join(dir, "recreate-"));
      const layoutDir = join(base, "layout");
      const built = await buildOciLayout(layoutDir, [{ tag: "t", image: { layers: [{ entries: [{ path: "d/", type: "dir" }, { path: "d/old", content: "o" }] }, { entries: c.upper }] } }]);
      const img = built.t?.images[0];
      assert.ok(img);
      const snaps = new Snapshotter({ root: join(base, "snaps") });
      await snaps.init();
      const chain = await unpackAll(layoutDir, img.manifest as never, img.diffIds, snaps);
      const mnt = join(base, "mnt");
      await snaps.mount({ chainIds: chain, target: mnt, readonly: true });
      try {
        await gnuTarFlatten(layoutDir, img.manifest as never, join(base, "ref"));
        const ours = await walkTree(mnt);
        const theirs = await walkTree(join(base, "ref"));
        ours.delete(".");
        theirs.delete(".");
        assert.deepEqual(diffTrees(ours, theirs), []);
        assert.equal(ours.has("d/old"), false);
        assert.equal(ours.get("d/new")?.type, "file");
      } finally {
        await snaps.unmount(mnt);
      }
    });
  }

  it("rejects a layer that is not gzip although its media type says so", async () => {
    const d = await mkdtemp(join(dir, "bad-"));
    await assert.rejects(applyLayer(d, Readable.from([Buffer.from("not gzip at all")]), { compression: "gzip" }), (err: unknown) => hasErrorCode(err, "InvalidArgument"));
  });

  it("keeps a layer's own file when the same layer also whites it out", async () => {
    const d = await mkdtemp(join(dir, "same-"));
    await applyLayer(d, Readable.from([await buildTar([{ path: "f", content: "here" }, { path: ".wh.f", content: "" }])]), { compression: "none" });
    const t = await walkTree(d);
    assert.equal(t.get("f")?.type, "file");
  });

  it("applies a PAX user xattr and drops a forged trusted.overlay one", async () => {
    const d = await mkdtemp(join(dir, "xattr-"));
    // GNU tar writes SCHILY.xattr PAX records with --xattrs.
    const src = await mkdtemp(join(dir, "xsrc-"));
    await writeFile(join(src, "f"), "x");
    await execa("setfattr", ["-n", "user.crikit", "-v", "hello", join(src, "f")]);
    await mkdir(join(src, "d"));
    await execa("setfattr", ["-n", "trusted.overlay.opaque", "-v", "y", join(src, "d")]);
    const tarFile = join(dir, "x.tar");
    await execa("tar", ["--xattrs", "--xattrs-include=*", "--format=pax", "-cf", tarFile, "-C", src, "f", "d"]);
    assert.ok((await readFile(tarFile)).includes("SCHILY.xattr.trusted.overlay.opaque"), "the test tar must carry the forged xattr");
    await applyLayer(d, createReadStream(tarFile), { compression: "none" });
    const got = await execa("getfattr", ["--only-values", "-n", "user.crikit", join(d, "f")]);
    assert.equal(got.stdout, "hello");
    const forged = await execa("getfattr", ["--only-values", "-n", "trusted.overlay.opaque", join(d, "d")], { reject: false });
    assert.notEqual(forged.exitCode, 0, "trusted.overlay.opaque must not be copied from a layer");
  });
});

describe("safeEntryPath", () => {
  it("never yields a path outside the root, for any entry name", () => {
    const segment = fc.constantFrom("..", ".", "", "a", "b.c", "..a", "a..", "/", "//", "./");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.boolean(), (segs, abs) => {
        const name = (abs ? "/" : "") + segs.join("/");
        let parts: string[];
        try {
          parts = safeEntryPath(name);
        } catch (err) {
          return hasErrorCode(err, "InvalidArgument");
        }
        const root = "/snapshot/root";
        const full = resolve(root, ...parts);
        return (full === root || full.startsWith(`${root}/`)) && !parts.some((p) => p === ".." || p === "." || p === "");
      }),
      { numRuns: 2000 },
    );
  });
});
