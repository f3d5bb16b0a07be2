import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageSpecConfig, platformMatches, selectPlatform, type Descriptor } from "../../src/index.js";

describe("platform selection", () => {
  const d = (architecture: string, variant?: string, os = "linux"): Descriptor => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${architecture.padEnd(64, "0").slice(0, 64).replace(/[^a-f0-9]/g, "0")}`,
    size: 1,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  });
  const cases = [
    { desc: "amd64 picks the amd64 entry", want: { os: "linux", architecture: "amd64" }, list: [d("arm64", "v8"), d("amd64")], pick: 1 },
    { desc: "arm64/v8 matches an arm64 entry without variant", want: { os: "linux", architecture: "arm64", variant: "v8" }, list: [d("amd64"), d("arm64")], pick: 1 },
    { desc: "arm/v7 does not take arm/v6", want: { os: "linux", architecture: "arm", variant: "v7" }, list: [d("arm", "v6"), d("arm", "v7")], pick: 1 },
    { desc: "the os must match", want: { os: "linux", architecture: "amd64" }, list: [d("amd64", undefined, "windows")], pick: -1 },
  ];
  for (const c of cases) {
    it(`selects correctly: ${c.desc}`, () => {
      const got = selectPlatform(c.list, c.want);
      assert.equal(got, c.pick < 0 ? undefined : c.list[c.pick]);
    });
  }
  it("does not match a descriptor without a platform", () => {
    assert.equal(platformMatches(undefined, { os: "linux", architecture: "amd64" }), false);
  });
});

describe("imageSpecConfig", () => {
  it("fills empty defaults for an image config without a config section", () => {
    assert.deepEqual(imageSpecConfig({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }), {
      user: "",
      env: [],
      entrypoint: [],
      cmd: [],
      workingDir: "",
      volumes: [],
      labels: {},
      stopSignal: "",
      exposedPorts: [],
    });
  });
});
