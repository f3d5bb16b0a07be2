import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hasErrorCode } from "../../src/errors.js";
import { parseReference, repoDigest, repoTag, splitRepoTagsAndDigests } from "../../src/reference/index.js";

const sha = "sha256:" + "c".repeat(64);
const sha2 = "sha256:" + "d".repeat(64);

describe("repoDigest and repoTag", () => {
  it("builds fully qualified repo digests and tags", () => {
    const cases = [
      { desc: "bare name", ref: "busybox", digest: repoDigest("busybox", sha), tag: repoTag("busybox"), wantDigest: `docker.io/library/busybox@${sha}`, wantTag: "docker.io/library/busybox:latest" },
      { desc: "tagged", ref: "quay.io/a/b:v1", digest: repoDigest("quay.io/a/b:v1", sha), tag: repoTag("quay.io/a/b:v1"), wantDigest: `quay.io/a/b@${sha}`, wantTag: "quay.io/a/b:v1" },
      { desc: "pinned by digest", ref: `busybox@${sha2}`, digest: repoDigest(`busybox@${sha2}`, sha), tag: repoTag(`busybox@${sha2}`), wantDigest: `docker.io/library/busybox@${sha}`, wantTag: undefined },
      { desc: "tag and digest drops the tag", ref: `busybox:1@${sha}`, digest: repoDigest(`busybox:1@${sha}`, sha), tag: repoTag(`busybox:1@${sha}`), wantDigest: `docker.io/library/busybox@${sha}`, wantTag: undefined },
      { desc: "parsed input", ref: "localhost:5000/x:y", digest: repoDigest(parseReference("localhost:5000/x:y"), sha), tag: repoTag(parseReference("localhost:5000/x:y")), wantDigest: `localhost:5000/x@${sha}`, wantTag: "localhost:5000/x:y" },
    ];
    for (const c of cases) {
      assert.equal(c.digest, c.wantDigest, c.desc);
      assert.equal(c.tag, c.wantTag, c.desc);
    }
  });

  it("rejects a bad digest or reference with InvalidArgument", () => {
    assert.throws(() => repoDigest("busybox", "sha256:xyz"), (e: unknown) => hasErrorCode(e, "InvalidArgument") && /digest/.test(e.message));
    assert.throws(() => repoTag("Bad/Name"), (e: unknown) => hasErrorCode(e, "InvalidArgument") && /lowercase/.test(e.message));
  });
});

describe("splitRepoTagsAndDigests", () => {
  it("splits store names into repo tags and repo digests", () => {
    const cases = [
      { desc: "empty", refs: [], want: { repoTags: [], repoDigests: [] } },
      {
        desc: "a pulled image's names",
        refs: ["docker.io/library/busybox:latest", `docker.io/library/busybox@${sha}`, sha],
        want: { repoTags: ["docker.io/library/busybox:latest"], repoDigests: [`docker.io/library/busybox@${sha}`] },
      },
      {
        desc: "familiar names are normalized",
        refs: ["busybox:1.36", `redis@${sha}`],
        want: { repoTags: ["docker.io/library/busybox:1.36"], repoDigests: [`docker.io/library/redis@${sha}`] },
      },
      {
        desc: "tag and digest counts as digest",
        refs: [`busybox:1@${sha}`],
        want: { repoTags: [], repoDigests: [`docker.io/library/busybox@${sha}`] },
      },
      {
        desc: "IDs, bare names and garbage are skipped",
        refs: ["c".repeat(64), "busybox", "NOT VALID", "", sha2],
        want: { repoTags: [], repoDigests: [] },
      },
      {
        desc: "duplicates removed in first-seen order",
        refs: ["b:1", "a:1", "docker.io/library/b:1", "a:1"],
        want: { repoTags: ["docker.io/library/b:1", "docker.io/library/a:1"], repoDigests: [] },
      },
    ];
    for (const c of cases) assert.deepEqual(splitRepoTagsAndDigests(c.refs), c.want, c.desc);
  });
});
