import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { AuthConfigSchema } from "../../src/cri.js";
import { criImageVerboseInfo, fromCriAuthConfig, toCriFilesystemUsage, toCriImage, type ImageRecord } from "../../src/index.js";

const record = (user: string | undefined): ImageRecord => ({
  id: `sha256:${"a".repeat(64)}`,
  repoTags: ["docker.io/library/busybox:latest"],
  repoDigests: [`docker.io/library/busybox@sha256:${"b".repeat(64)}`],
  size: 1234,
  pinned: true,
  manifestDigest: `sha256:${"b".repeat(64)}`,
  blobs: [],
  layers: [],
  chainIds: [],
  pulledAt: 0,
  config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, ...(user === undefined ? {} : { config: { User: user } }) },
});

describe("toCriImage", () => {
  const cases = [
    { desc: "a numeric user gives uid", user: "1000:1000", uid: 1000n, username: "" },
    { desc: "a user name gives username", user: "nobody", uid: undefined, username: "nobody" },
    { desc: "no user gives neither", user: undefined, uid: undefined, username: "" },
    { desc: "uid 0 is kept as a uid", user: "0", uid: 0n, username: "" },
  ];
  for (const c of cases) {
    it(`maps the image user: ${c.desc}`, () => {
      const img = toCriImage(record(c.user));
      assert.equal(img.uid?.value, c.uid);
      assert.equal(img.username, c.username);
    });
  }
  it("carries ID, names, size, pin and spec", () => {
    const img = toCriImage(record(undefined));
    assert.equal(img.id, `sha256:${"a".repeat(64)}`);
    assert.deepEqual(img.repoTags, ["docker.io/library/busybox:latest"]);
    assert.equal(img.size, 1234n);
    assert.equal(img.pinned, true);
    assert.equal(img.spec?.image, img.id);
  });
});

describe("toCriFilesystemUsage", () => {
  it("reports the timestamp in nanoseconds and the usage as wrapped values", () => {
    const u = toCriFilesystemUsage({ mountpoint: "/var/lib/crikit/images", usedBytes: 4096, inodesUsed: 7, timestamp: 1_700_000_000_123 });
    assert.equal(u.timestamp, 1_700_000_000_123_000_000n);
    assert.equal(u.fsId?.mountpoint, "/var/lib/crikit/images");
    assert.equal(u.usedBytes?.value, 4096n);
    assert.equal(u.inodesUsed?.value, 7n);
  });
});

describe("fromCriAuthConfig", () => {
  it("keeps the set fields and drops empty ones", () => {
    assert.deepEqual(fromCriAuthConfig(create(AuthConfigSchema, { username: "u", password: "p", serverAddress: "r" })), { username: "u", password: "p", serverAddress: "r" });
    assert.deepEqual(fromCriAuthConfig(create(AuthConfigSchema, { identityToken: "id", registryToken: "rt", auth: "dTpw" })), { identityToken: "id", registryToken: "rt", auth: "dTpw" });
  });
  it("gives undefined for no or empty credentials", () => {
    assert.equal(fromCriAuthConfig(undefined), undefined);
    assert.equal(fromCriAuthConfig(create(AuthConfigSchema, {})), undefined);
  });
});

describe("criImageVerboseInfo", () => {
  it("puts the chain ID, manifest digest and config under the info key as JSON", () => {
    const rec = { ...record("0"), chainIds: [`sha256:${"c".repeat(64)}`, `sha256:${"d".repeat(64)}`] };
    const info = JSON.parse(criImageVerboseInfo(rec).info ?? "{}") as { chainID: string; manifestDigest: string; imageSpec: { os: string } };
    assert.equal(info.chainID, `sha256:${"d".repeat(64)}`);
    assert.equal(info.manifestDigest, rec.manifestDigest);
    assert.equal(info.imageSpec.os, "linux");
  });
});
