/**
 * Component faults, registry: a registry of the test's own serves half of
 * a 2 MiB layer and then cuts the connection (every time), or stops
 * listening altogether at that point. PullImage answers Unavailable after
 * its retries, leaves no partial blob (nothing in the content store's
 * ingest directory, not the layer under blobs/) and no image record; the
 * daemon pulls from the good registry meanwhile, pulls the same image once
 * the registry serves it whole, and a restart recovers cleanly.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GrpcStatus } from "../../helpers/cri-client.js";
import { buildOciLayout } from "../../helpers/oci-layout.js";
import { e2eImage, filesUnder, rejectsWith, setupE2e, type E2eEnv } from "../harness.js";
import { startFaultRegistry, type FaultRegistry } from "./fault-registry.js";
import { podRoundTrip, restartRecoversCleanly } from "./fault-env.js";

describe("component faults: registry going away mid-pull", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  let reg: FaultRegistry;
  let layoutDir = "";
  let bigLayer = "";
  let image = "";

  before(async () => {
    layoutDir = await mkdtemp(join(tmpdir(), "crikit-fault-layout-"));
    const base = e2eImage();
    // A second, uncompressed layer of 2 MiB of random bytes: big enough to be cut in the middle.
    const built = await buildOciLayout(layoutDir, [
      { tag: "1", image: { config: base.config, layers: [...base.layers, { compression: "none", entries: [{ path: "big.bin", content: randomBytes(2 << 20) }] }] } },
    ]);
    bigLayer = built["1"]?.images[0]?.layerDigests[1] ?? "";
    assert.match(bigLayer, /^sha256:/);
    reg = await startFaultRegistry(layoutDir, bigLayer);
    image = `${reg.host}/fault/big:1`;
    env = await setupE2e({ insecure: [reg.host], logLevel: "info" });
  });
  after(async () => {
    await env?.cleanup();
    await reg?.stop().catch(() => {});
    await rm(layoutDir, { recursive: true, force: true });
  });

  /** Nothing of the cut pull is left: no ingest file, not the layer's blob, no image. */
  async function assertNoPartialPull(): Promise<void> {
    const files = await filesUnder(join(env.root, "images"));
    assert.deepEqual(files.filter((f) => /ingest|\.tmp|partial/.test(f)), [], "no partial download left");
    assert.deepEqual(files.filter((f) => f.includes(bigLayer.slice(7))), [], "the cut layer is not in the store");
    const st = await env.client.unary("ImageStatus", { image: { image } });
    assert.equal(st["image"], null, "no image record");
  }

  for (const mode of ["cut", "gone"] as const) {
    it(`the registry ${mode === "cut" ? "cuts the connection" : "stops listening"} half-way through a layer: Unavailable, nothing partial left, still serving`, async () => {
      reg.mode = mode;
      reg.faultHits = 0;
      await rejectsWith(env.client.unary("PullImage", { image: { image } }), GrpcStatus.UNAVAILABLE);
      assert.ok(reg.faultHits >= 1, "the layer was asked for");
      await assertNoPartialPull();
      // The daemon still serves: a pull from the good registry and a pod round trip.
      await env.client.unary("PullImage", { image: { image: env.image } });
      await podRoundTrip(env, `after-${mode}`);
      if (mode === "gone") await reg.restart();
    });
  }

  it("once the registry serves the layer whole, the same pull succeeds", async () => {
    reg.mode = "ok";
    const r = await env.client.unary("PullImage", { image: { image } });
    assert.match(r["image_ref"] as string, /^sha256:/);
    const files = await filesUnder(join(env.root, "images"));
    assert.ok(files.some((f) => f.includes(bigLayer.slice(7))), "the layer is stored");
  });

  it("a restart after the faults recovers cleanly, with both images", async () => {
    await restartRecoversCleanly(env);
    const { images } = await env.client.unary("ListImages", {});
    const tags = (images as { repo_tags: string[] }[]).flatMap((i) => i.repo_tags);
    assert.ok(tags.includes(image) && tags.includes(env.image), tags.join(", "));
    await env.client.unary("RemoveImage", { image: { image } });
  });
});
