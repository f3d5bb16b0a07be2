import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { after, before, describe, it } from "node:test";
import { execa } from "execa";
import { hasErrorCode, ImageService, MediaType, type ImageServiceOptions } from "../../src/index.js";
import { buildOciLayout, busyboxImage, type TestImageSpec } from "../helpers/oci-layout.js";
import { freePort, pushLayout, startRegistry, type TestRegistry } from "../helpers/registry.js";
import { ociValidator } from "./oci-schemas.js";
import { startProxy, type TestProxy } from "./test-proxy.js";

/** Docker schema 2 has no zstd layers. */
const gzipOnly = (spec: TestImageSpec): TestImageSpec => ({ ...spec, layers: spec.layers.map((l) => ({ ...l, compression: "gzip" as const })) });

const evil: TestImageSpec = {
  layers: [
    { entries: [{ path: "bin/", type: "dir" }, { path: "bin/true", content: "x" }] },
    { entries: [{ path: "esc", type: "symlink", target: "/tmp" }, { path: "esc/crikit-evil-file", content: "pwned" }] },
  ],
};

describe("ImageService against a real registry", () => {
  let work: string;
  let layout: string;
  let reg: TestRegistry;
  let mirror: TestRegistry;
  let authReg: TestRegistry;
  let built: Awaited<ReturnType<typeof buildOciLayout>>;
  const roots: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  const newService = async (extra: Partial<ImageServiceOptions> = {}): Promise<ImageService> => {
    const root = join(work, `root-${roots.length}`);
    roots.push(root);
    const svc = new ImageService({
      root,
      registry: { hosts: { [reg.host]: { insecure: true }, [mirror.host]: { insecure: true }, [authReg.host]: { insecure: true } }, retryBaseMs: 20 },
      platform: { os: "linux", architecture: "amd64" },
      ...extra,
    });
    await svc.init();
    return svc;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "crikit-image-svc-"));
    layout = join(work, "layout");
    built = await buildOciLayout(layout, [
      { tag: "v1", image: busyboxImage() },
      { tag: "v2", image: busyboxImage({ marker: "two" }) },
      { tag: "multi", platforms: [busyboxImage({ marker: "amd64" }), busyboxImage({ arch: "arm64", variant: "v8", marker: "arm64" })] },
      { tag: "evil", image: evil },
      { tag: "gz", image: gzipOnly(busyboxImage({ marker: "gz" })) },
      { tag: "gzmulti", platforms: [gzipOnly(busyboxImage({ marker: "gz-amd64" })), gzipOnly(busyboxImage({ arch: "arm64", marker: "gz-arm64" }))] },
    ]);
    reg = await startRegistry();
    cleanups.push(() => reg.stop());
    mirror = await startRegistry();
    cleanups.push(() => mirror.stop());
    authReg = await startRegistry({ auth: { username: "alice", password: "s3cret-pass" } });
    cleanups.push(() => authReg.stop());
    await pushLayout(layout, "v1", `${reg.host}/test/bb:v1`);
    await pushLayout(layout, "v2", `${reg.host}/test/bb:v2`);
    await pushLayout(layout, "multi", `${reg.host}/test/multi:v1`, { all: true });
    await pushLayout(layout, "evil", `${reg.host}/test/evil:v1`);
    await execa("skopeo", ["copy", "--quiet", "--format", "v2s2", "--dest-tls-verify=false", `oci:${layout}:gz`, `docker://${reg.host}/test/docker:v1`], { env: { HOME: tmpdir() } });
    await execa("skopeo", ["copy", "--quiet", "--all", "--format", "v2s2", "--dest-tls-verify=false", `oci:${layout}:gzmulti`, `docker://${reg.host}/test/dlist:v1`], { env: { HOME: tmpdir() } });
    await pushLayout(layout, "v2", `${mirror.host}/test/only-on-mirror:v1`);
    await pushLayout(layout, "v1", `${authReg.host}/private/bb:v1`, { creds: "alice:s3cret-pass" });
  });

  after(async () => {
    for (const root of roots) {
      const mounts = (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((l) => l.includes(root));
      for (const m of mounts) await execa("umount", [m.split(" ")[4] ?? ""], { reject: false });
    }
    for (const c of cleanups.reverse()) await c();
    await rm(work, { recursive: true, force: true });
  });

  it("pulls by tag: the image ID is the config digest and names, config and content are recorded", async () => {
    const svc = await newService();
    const img = built.v1?.images[0];
    assert.ok(img);
    const events: unknown[] = [];
    const onPull = (m: unknown): void => void events.push(m);
    subscribe("crikit:image:pull", onPull);
    const r = await svc.pull(`${reg.host}/test/bb:v1`).finally(() => unsubscribe("crikit:image:pull", onPull));
    assert.equal(r.imageRef, img.configDigest);
    assert.equal((events[0] as { id?: string } | undefined)?.id, img.configDigest, "a diagnostics event was published");
    assert.deepEqual(r.image.repoTags, [`${reg.host}/test/bb:v1`]);
    assert.deepEqual(r.image.repoDigests, [`${reg.host}/test/bb@${img.manifestDigest}`]);
    assert.equal(r.image.chainIds.length, 4);
    assert.deepEqual((await svc.snapshots.list()).sort(), [...r.image.chainIds].sort());
    const cfg = await svc.specConfig(r.imageRef);
    assert.deepEqual(cfg, {
      user: "0:0",
      env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hi"],
      entrypoint: ["/bin/sh", "-c"],
      cmd: ["echo hello"],
      workingDir: "/home/user",
      volumes: ["/data"],
      labels: { "org.crikit.test": "yes" },
      stopSignal: "SIGQUIT",
      exposedPorts: [],
    });
    // The stored documents are valid OCI documents.
    const manifest = await svc.content.readJson(img.manifestDigest);
    assert.equal(ociValidator("image-manifest-schema.json")(manifest), true);
    assert.equal(ociValidator("config-schema.json")(await svc.content.readJson(img.configDigest)), true);
    for (const d of [img.manifestDigest, img.configDigest, ...img.layerDigests]) assert.equal(await svc.content.has(d), true, d);
    assert.deepEqual(await readdir(join(svc.content.root, "ingest")), []);
  });

  it("pulls by digest and records the repo digest without inventing a tag", async () => {
    const svc = await newService();
    const img = built.v1?.images[0];
    assert.ok(img);
    const r = await svc.pull(`${reg.host}/test/bb@${img.manifestDigest}`);
    assert.equal(r.imageRef, img.configDigest);
    assert.deepEqual(r.image.repoTags, []);
    assert.deepEqual(r.image.repoDigests, [`${reg.host}/test/bb@${img.manifestDigest}`]);
    assert.equal((await svc.status(`${reg.host}/test/bb@${img.manifestDigest}`))?.id, img.configDigest);
  });

  const platforms = [
    { desc: "amd64", platform: { os: "linux", architecture: "amd64" }, index: 0 },
    { desc: "arm64 v8", platform: { os: "linux", architecture: "arm64", variant: "v8" }, index: 1 },
  ];
  for (const p of platforms) {
    it(`selects the ${p.desc} manifest from a multi-platform index`, async () => {
      const svc = await newService({ platform: p.platform });
      const m = built.multi;
      assert.ok(m?.index);
      assert.equal(ociValidator("image-index-schema.json")(m.index), true);
      const r = await svc.pull(`${reg.host}/test/multi:v1`);
      assert.equal(r.imageRef, m.images[p.index]?.configDigest);
      assert.equal(r.image.manifestDigest, m.images[p.index]?.manifestDigest);
      // The repo digest names the index, which is what the tag resolves to.
      assert.deepEqual(r.image.repoDigests, [`${reg.host}/test/multi@${m.digest}`]);
    });
  }

  it("fails with NotFound when the index has no manifest for the platform", async () => {
    const svc = await newService({ platform: { os: "linux", architecture: "s390x" } });
    await assert.rejects(svc.pull(`${reg.host}/test/multi:v1`), (e: unknown) => hasErrorCode(e, "NotFound") && /s390x/.test((e as Error).message));
  });

  it("pulls a Docker schema 2 image", async () => {
    const svc = await newService();
    const r = await svc.pull(`${reg.host}/test/docker:v1`);
    const m = await svc.content.readJson<{ mediaType: string }>(r.image.manifestDigest);
    assert.equal(m.mediaType, MediaType.dockerManifest);
    assert.equal(r.image.chainIds.length, 4);
  });

  it("selects the platform from a Docker manifest list", async () => {
    const svc = await newService({ platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    const r = await svc.pull(`${reg.host}/test/dlist:v1`);
    const top = await svc.content.readJson<{ mediaType: string }>(r.image.repoDigests[0]?.split("@")[1] ?? "");
    assert.equal(top.mediaType, MediaType.dockerManifestList);
    const m = await svc.content.readJson<{ mediaType: string }>(r.image.manifestDigest);
    assert.equal(m.mediaType, MediaType.dockerManifest);
    assert.equal(r.image.config.architecture, "arm64");
  });

  it("pulls through a mirror, and falls back to the upstream when the mirror lacks the image", async () => {
    const svc = await newService({ registry: { hosts: { [reg.host]: { insecure: true, mirrors: [`http://${mirror.host}`] } }, retryBaseMs: 20 } });
    const onMirror = await svc.pull(`${reg.host}/test/only-on-mirror:v1`);
    assert.equal(onMirror.imageRef, built.v2?.images[0]?.configDigest);
    assert.deepEqual(onMirror.image.repoTags, [`${reg.host}/test/only-on-mirror:v1`]);
    const upstream = await svc.pull(`${reg.host}/test/bb:v1`);
    assert.equal(upstream.imageRef, built.v1?.images[0]?.configDigest);
  });

  it("skips a mirror that is down and pulls from the upstream", async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const svc = await newService({ registry: { hosts: { [reg.host]: { insecure: true, mirrors: [down] } }, retryBaseMs: 5, retries: 1 } });
    const r = await svc.pull(`${reg.host}/test/bb:v1`);
    assert.equal(r.imageRef, built.v1?.images[0]?.configDigest);
  });

  it("pulls with basic auth from an htpasswd registry", async () => {
    const svc = await newService();
    const r = await svc.pull(`${authReg.host}/private/bb:v1`, { auth: { username: "alice", password: "s3cret-pass" } });
    assert.equal(r.imageRef, built.v1?.images[0]?.configDigest);
    const svc2 = await newService();
    const r2 = await svc2.pull(`${authReg.host}/private/bb:v1`, { auth: { auth: Buffer.from("alice:s3cret-pass").toString("base64") } });
    assert.equal(r2.imageRef, r.imageRef);
  });

  const badAuth = [
    { desc: "a wrong password", auth: { username: "alice", password: "wrong" }, re: /rejected/ },
    { desc: "no credentials", auth: undefined, re: /requires credentials/ },
  ];
  for (const c of badAuth) {
    it(`fails with a clear Unauthenticated error given ${c.desc}`, async () => {
      const svc = await newService();
      await assert.rejects(svc.pull(`${authReg.host}/private/bb:v1`, c.auth ? { auth: c.auth } : {}), (e: unknown) => hasErrorCode(e, "Unauthenticated") && c.re.test((e as Error).message) && /credentials/.test((e as Error).message));
      assert.deepEqual(await svc.list(), []);
    });
  }

  describe("through a proxy", () => {
    let proxy: TestProxy;
    before(async () => {
      proxy = await startProxy(reg.host);
    });
    after(async () => {
      await proxy.close();
    });
    const proxied = (extra: Partial<ImageServiceOptions> = {}): Promise<ImageService> =>
      newService({ registry: { hosts: { [proxy.host]: { insecure: true } }, retryBaseMs: 20, ...((extra.registry as object | undefined) ?? {}) }, ...extra });

    it("retries a blob whose connection is cut mid-body and keeps no partial blob", async () => {
      const img = built.v1?.images[0];
      assert.ok(img);
      const big = `/v2/test/bb/blobs/${img.layerDigests[0]}`;
      proxy.counts.clear();
      proxy.cut.set(big, 1);
      const svc = await proxied();
      const r = await svc.pull(`${proxy.host}/test/bb:v1`);
      assert.equal(r.imageRef, img.configDigest);
      assert.equal(proxy.counts.get(big), 2, "one cut download and one retry");
      assert.deepEqual(await readdir(join(svc.content.root, "ingest")), []);
    });

    it("fails clearly when the cut connection is not retried, and keeps nothing of the blob", async () => {
      const img = built.v1?.images[0];
      assert.ok(img);
      const big = `/v2/test/bb/blobs/${img.layerDigests[0]}`;
      proxy.cut.set(big, 1);
      const svc = await proxied({ registry: { hosts: { [proxy.host]: { insecure: true } }, retries: 0 } });
      await assert.rejects(svc.pull(`${proxy.host}/test/bb:v1`), (e: unknown) => hasErrorCode(e, "Unavailable") && new RegExp(`blob ${img.layerDigests[0]} .*broke off`).test((e as Error).message));
      assert.equal(await svc.content.has(img.layerDigests[0] as string), false);
      assert.deepEqual(await readdir(join(svc.content.root, "ingest")), []);
      assert.deepEqual(await svc.list(), []);
    });

    it("retries manifests and blobs answered 503 with backoff", async () => {
      const img = built.v1?.images[0];
      assert.ok(img);
      proxy.counts.clear();
      proxy.cut.clear();
      proxy.unavailable.set("/v2/test/bb/manifests/v1", 2);
      proxy.unavailable.set(`/v2/test/bb/blobs/${img.configDigest}`, 1);
      const svc = await proxied();
      const r = await svc.pull(`${proxy.host}/test/bb:v1`);
      assert.equal(r.imageRef, img.configDigest);
      assert.equal(proxy.counts.get("/v2/test/bb/manifests/v1"), 3);
      assert.equal(proxy.counts.get(`/v2/test/bb/blobs/${img.configDigest}`), 2);
    });

    it("gives up on a registry that keeps answering 503, with Unavailable", async () => {
      proxy.unavailable.set("/v2/test/bb/manifests/v1", 100);
      const svc = await proxied();
      await assert.rejects(svc.pull(`${proxy.host}/test/bb:v1`), (e: unknown) => hasErrorCode(e, "Unavailable") && /503/.test((e as Error).message));
      proxy.unavailable.clear();
    });

    it("shares one download between concurrent pulls of one image", async () => {
      const img = built.v1?.images[0];
      assert.ok(img);
      proxy.counts.clear();
      proxy.cut.clear();
      const svc = await proxied();
      const [a, b] = await Promise.all([svc.pull(`${proxy.host}/test/bb:v1`), svc.pull(`${proxy.host}/test/bb:v1`)]);
      assert.equal(a.imageRef, b.imageRef);
      for (const d of [img.configDigest, ...img.layerDigests]) assert.equal(proxy.counts.get(`/v2/test/bb/blobs/${d}`), 1, d);
    });

    it("downloads a layer shared by two images once", async () => {
      const one = built.v1?.images[0];
      const two = built.v2?.images[0];
      assert.ok(one && two);
      assert.equal(one.layerDigests[0], two.layerDigests[0], "the test images share their bottom layer");
      proxy.counts.clear();
      const svc = await proxied();
      const progress: string[] = [];
      await Promise.all([svc.pull(`${proxy.host}/test/bb:v1`, { onProgress: (p) => progress.push(p.digest) }), svc.pull(`${proxy.host}/test/bb:v2`)]);
      assert.equal(proxy.counts.get(`/v2/test/bb/blobs/${one.layerDigests[0]}`), 1);
      assert.ok(progress.length > 0, "progress was reported");
      assert.equal((await svc.list()).length, 2);
    });
  });

  it("downloads every layer while the bottom layer is still unpacking, one download at a time", async () => {
    const img = built.v1?.images[0];
    assert.ok(img);
    assert.ok(img.layerDigests.length >= 3, "the test image has several layers");
    const svc = await newService({ maxConcurrentDownloads: 1 });
    const prepare = svc.snapshots.prepare.bind(svc.snapshots);
    let held = false;
    let allStored = false;
    svc.snapshots.prepare = async (chainId, apply) => {
      if (!held) {
        held = true;
        // The bottom layer's unpacking waits until every layer is stored: the downloads must not wait for it.
        const deadline = Date.now() + 15_000;
        while (!allStored && Date.now() < deadline) {
          allStored = (await Promise.all(img.layerDigests.map((d) => svc.content.has(d)))).every(Boolean);
          if (!allStored) await new Promise((r) => setTimeout(r, 20));
        }
      }
      return prepare(chainId, apply);
    };
    const r = await svc.pull(`${reg.host}/test/bb:v1`);
    assert.equal(allStored, true, "the later layers were downloaded while the bottom layer waited to be unpacked");
    assert.equal(r.imageRef, img.configDigest);
  });

  it("fails the pull of a layer that writes through a symlink and leaves nothing behind", async () => {
    const svc = await newService();
    await rm("/tmp/crikit-evil-file", { force: true });
    await assert.rejects(svc.pull(`${reg.host}/test/evil:v1`), (e: unknown) => hasErrorCode(e, "InvalidArgument") && /symlink/.test((e as Error).message));
    await assert.rejects(readFile("/tmp/crikit-evil-file"), { code: "ENOENT" });
    assert.deepEqual(await svc.list(), []);
    // Only the good bottom layer's snapshot remains; no unfinished snapshot is left.
    const names = await readdir(svc.snapshots.root);
    assert.equal(names.filter((n) => n.startsWith(".tmp-")).length, 0);
    assert.equal(names.length, 1);
  });

  it("honours an aborted signal and a pull timeout", async () => {
    const svc = await newService();
    await assert.rejects(svc.pull(`${reg.host}/test/bb:v1`, { signal: AbortSignal.abort() }), (e: unknown) => hasErrorCode(e, "Canceled"));
    const slow = await newService({ pullTimeoutMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(slow.pull(`${reg.host}/test/bb:v1`), (e: unknown) => hasErrorCode(e, "DeadlineExceeded"));
  });

  it("cancels running pulls on destroy and rejects calls after close with Unavailable", async () => {
    const svc = await newService();
    const pulling = svc.pull(`${reg.host}/test/bb:v2`);
    await new Promise((r) => setTimeout(r, 5));
    await svc.destroy();
    await assert.rejects(pulling, (e: unknown) => hasErrorCode(e, "Unavailable") || hasErrorCode(e, "Canceled"));
    await assert.rejects(svc.list(), (e: unknown) => hasErrorCode(e, "Unavailable"));
    await assert.rejects(svc.pull(`${reg.host}/test/bb:v1`), (e: unknown) => hasErrorCode(e, "Unavailable"));
    await svc.close(); // idempotent
    assert.deepEqual(await readdir(join(svc.content.root, "ingest")), []);
  });

  it("lists, filters and removes images; removing one of several tags keeps the image", async () => {
    const svc = await newService();
    const a = await svc.pull(`${reg.host}/test/bb:v1`);
    const b = await svc.pull(`${reg.host}/test/bb:v2`);
    // A second tag on the same image: the mirror registry is another name for it.
    const c = await svc.pull(`${reg.host}/test/bb@${built.v1?.images[0]?.manifestDigest ?? ""}`);
    assert.equal(c.imageRef, a.imageRef);
    assert.deepEqual((await svc.list()).map((i) => i.id).sort(), [a.imageRef, b.imageRef].sort());
    assert.deepEqual((await svc.list({ image: `${reg.host}/test/bb:v2` })).map((i) => i.id), [b.imageRef]);
    assert.deepEqual(await svc.list({ image: `${reg.host}/test/nothing:v9` }), []);

    const multi = await newService();
    await multi.pull(`${reg.host}/test/bb:v1`);
    await multi.pull(`${authReg.host}/private/bb:v1`, { auth: { username: "alice", password: "s3cret-pass" } });
    const both = await multi.list();
    assert.equal(both.length, 1);
    assert.equal(both[0]?.repoTags.length, 2);
    await multi.remove(`${authReg.host}/private/bb:v1`);
    assert.deepEqual((await multi.list())[0]?.repoTags, [`${reg.host}/test/bb:v1`]);
    await multi.remove(`${reg.host}/test/bb:v1`);
    assert.deepEqual(await multi.list(), []);
    assert.deepEqual(await multi.content.list(), []);
    assert.deepEqual(await multi.snapshots.list(), []);

    // Removing by ID takes the image with all its names; shared content stays for the other image.
    const shared = a.image.chainIds[0] as string;
    await svc.remove(a.imageRef);
    assert.equal(await svc.status(a.imageRef), undefined);
    assert.equal(await svc.status(`${reg.host}/test/bb:v1`), undefined);
    assert.equal(await svc.snapshots.has(shared), true);
    assert.equal(await svc.content.has(a.imageRef), false);
    await svc.remove(a.imageRef); // idempotent
    await svc.remove(b.imageRef.slice(7)); // bare hex ID
    assert.deepEqual(await svc.list(), []);
    assert.deepEqual(await svc.snapshots.list(), []);
  });

  it("resolves an image by a unique ID prefix, and keeps the layers of a removed image while a container uses it", async () => {
    const using = new Set<string>();
    const svc = await newService({ inUse: () => using });
    const r = await svc.pull(`${reg.host}/test/bb:v1`);
    assert.equal((await svc.status(r.imageRef.slice(7, 19)))?.id, r.imageRef);
    assert.equal((await svc.status(`sha256:${r.imageRef.slice(7, 19)}`))?.id, r.imageRef);
    using.add(r.imageRef);
    await svc.remove(r.imageRef.slice(7, 19));
    assert.equal(await svc.status(r.imageRef), undefined, "the image vanishes from status at once");
    assert.deepEqual((await svc.snapshots.list()).sort(), [...r.image.chainIds].sort(), "its layers stay while in use");
    // Also across a restart.
    const again = new ImageService({ root: svc.root, inUse: () => using });
    await again.init();
    await again.collectGarbage();
    assert.deepEqual((await again.snapshots.list()).sort(), [...r.image.chainIds].sort(), "its layers stay after a restart");
    using.clear();
    await again.collectGarbage();
    assert.deepEqual(await again.snapshots.list(), []);
    await svc.collectGarbage();
    assert.deepEqual(await svc.snapshots.list(), []);
    assert.deepEqual(await svc.content.list(), []);
  });

  it("rebuilds the store from disk after a restart and keeps pinned images on prune", async () => {
    const svc = await newService({ pinnedImages: [`${reg.host}/test/bb:v1`] });
    const a = await svc.pull(`${reg.host}/test/bb:v1`);
    const b = await svc.pull(`${reg.host}/test/bb:v2`);
    assert.equal(a.image.pinned, true);
    const root = svc.root;
    const again = new ImageService({ root, registry: { hosts: { [reg.host]: { insecure: true } } } });
    await again.init();
    assert.deepEqual((await again.list()).map((i) => i.id).sort(), [a.imageRef, b.imageRef].sort());
    assert.equal((await again.status(`${reg.host}/test/bb:v2`))?.id, b.imageRef);
    const before = await again.fsInfo();
    assert.deepEqual(await again.prune(), [b.imageRef]);
    assert.deepEqual((await again.list()).map((i) => i.id), [a.imageRef]);
    const fs = await again.fsInfo();
    assert.equal(fs.mountpoint, root);
    assert.ok(fs.usedBytes > 500_000, `used bytes ${fs.usedBytes}`);
    assert.ok(fs.inodesUsed > 30, `inodes ${fs.inodesUsed}`);
    assert.ok(fs.inodesUsed < before.inodesUsed, "a removal is seen at once, not after the usage cache expires");
  });

  it("mounts a container rootfs as an overlay of the image layers with its own upper dir", async () => {
    const svc = await newService();
    const r = await svc.pull(`${reg.host}/test/bb:v1`);
    const ctr = join(work, "ctr");
    await mkdir(ctr, { recursive: true });
    const target = join(ctr, "rootfs");
    await svc.mountRootfs(r.imageRef, target, { upperDir: join(ctr, "upper"), workDir: join(ctr, "work") });
    try {
      assert.equal(await readFile(join(target, "data/keep"), "utf8"), "keep\n");
      await assert.rejects(readFile(join(target, "data/gone")), { code: "ENOENT" });
      await writeFile(join(target, "data/written"), "by the container");
      await rm(join(target, "data/keep"));
      assert.deepEqual((await readdir(join(target, "opaque"))).sort(), ["c", "d"]);
    } finally {
      await svc.unmountRootfs(target);
    }
    assert.equal(await readFile(join(ctr, "upper", "data/written"), "utf8"), "by the container");
    // The image's own layer is untouched.
    assert.equal(await readFile(join(svc.snapshots.dir(r.image.chainIds[0] as string), "data/keep"), "utf8"), "keep\n");
  });
});
