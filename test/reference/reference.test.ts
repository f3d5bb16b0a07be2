import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hasErrorCode } from "../../src/errors.js";
import {
  familiarName,
  formatReference,
  isImageIdReference,
  normalizeReference,
  parseDigest,
  parseReference,
} from "../../src/reference/index.js";
import type { ParsedReference } from "../../src/reference/index.js";

const sha = "sha256:" + "a".repeat(64);
const sha512 = "sha512:" + "0123456789abcdef".repeat(8);

function expectInvalid(run: () => unknown, mention: string, desc: string): void {
  assert.throws(
    run,
    (e: unknown) => {
      assert.ok(hasErrorCode(e, "InvalidArgument"), `${desc}: not InvalidArgument: ${String(e)}`);
      assert.ok(e.message.includes(mention), `${desc}: message "${e.message}" does not mention "${mention}"`);
      return true;
    },
    desc,
  );
}

describe("parseReference", () => {
  it("parses and normalizes valid references", () => {
    const cases: Array<{ desc: string; ref: string; want: ParsedReference }> = [
      { desc: "official image", ref: "busybox", want: { domain: "docker.io", path: "library/busybox" } },
      { desc: "official image with tag", ref: "busybox:1.36", want: { domain: "docker.io", path: "library/busybox", tag: "1.36" } },
      { desc: "user repository", ref: "bitnami/redis", want: { domain: "docker.io", path: "bitnami/redis" } },
      { desc: "docker.io single element", ref: "docker.io/ubuntu", want: { domain: "docker.io", path: "library/ubuntu" } },
      { desc: "legacy index.docker.io", ref: "index.docker.io/ubuntu:22.04", want: { domain: "docker.io", path: "library/ubuntu", tag: "22.04" } },
      { desc: "other registry keeps single element", ref: "quay.io/podman:v4", want: { domain: "quay.io", path: "podman", tag: "v4" } },
      { desc: "localhost without port", ref: "localhost/foo", want: { domain: "localhost", path: "foo" } },
      { desc: "localhost with port", ref: "localhost:5000/foo", want: { domain: "localhost:5000", path: "foo" } },
      { desc: "IPv4 with port and tag", ref: "127.0.0.1:5000/a/b:t", want: { domain: "127.0.0.1:5000", path: "a/b", tag: "t" } },
      { desc: "IPv6 bracket form", ref: "[::1]:5000/foo:tag", want: { domain: "[::1]:5000", path: "foo", tag: "tag" } },
      { desc: "IPv6 without port", ref: "[fe80::1]/foo", want: { domain: "[fe80::1]", path: "foo" } },
      { desc: "digest only", ref: `busybox@${sha}`, want: { domain: "docker.io", path: "library/busybox", digest: sha } },
      { desc: "tag and digest", ref: `busybox:1.36@${sha}`, want: { domain: "docker.io", path: "library/busybox", tag: "1.36", digest: sha } },
      { desc: "sha512 digest", ref: `r.io/x@${sha512}`, want: { domain: "r.io", path: "x", digest: sha512 } },
      { desc: "separators", ref: "a.b/c__d/e-f---g/h.i_j", want: { domain: "a.b", path: "c__d/e-f---g/h.i_j" } },
      { desc: "uppercase first element is a domain", ref: "Registry/foo", want: { domain: "Registry", path: "foo" } },
      { desc: "uppercase domain allowed", ref: "Example.COM/foo", want: { domain: "Example.COM", path: "foo" } },
      { desc: "bare name with port-like tag", ref: "foo:5000", want: { domain: "docker.io", path: "library/foo", tag: "5000" } },
      { desc: "tag of 128 characters", ref: "foo:" + "t".repeat(128), want: { domain: "docker.io", path: "library/foo", tag: "t".repeat(128) } },
      { desc: "tag with underscore start", ref: "foo:_x.y-z", want: { domain: "docker.io", path: "library/foo", tag: "_x.y-z" } },
    ];
    for (const c of cases) assert.deepEqual(parseReference(c.ref), c.want, c.desc);
  });

  it("rejects references outside the grammar with InvalidArgument naming the problem", () => {
    const cases: Array<{ desc: string; ref: string; mention: string }> = [
      { desc: "empty", ref: "", mention: "must not be empty" },
      { desc: "uppercase path", ref: "docker.io/Library/Busybox", mention: "must be lowercase" },
      { desc: "uppercase official name", ref: "BusyBox", mention: "must be lowercase" },
      { desc: "image ID as name", ref: "a".repeat(64), mention: "image ID" },
      { desc: "leading separator", ref: "foo/-bar", mention: "repository name" },
      { desc: "trailing separator", ref: "foo/bar.", mention: "repository name" },
      { desc: "triple underscore", ref: "foo___bar", mention: "repository name" },
      { desc: "double dot", ref: "foo..bar", mention: "repository name" },
      { desc: "empty component", ref: "foo//bar", mention: "repository name" },
      { desc: "empty tag", ref: "foo:", mention: "tag" },
      { desc: "tag too long", ref: "foo:" + "t".repeat(129), mention: "tag" },
      { desc: "tag starting with dot", ref: "foo:.x", mention: "tag" },
      { desc: "bad domain", ref: "-bad.io/foo", mention: "domain" },
      { desc: "bad IPv6 domain", ref: "[zz::1]:5000/foo", mention: "domain" },
      { desc: "short digest", ref: "foo@sha256:abc", mention: "digest" },
      { desc: "uppercase digest hex", ref: "foo@sha256:" + "A".repeat(64), mention: "lowercase" },
      { desc: "wrong digest length", ref: "foo@sha256:" + "a".repeat(63) + "0a", mention: "64" },
      { desc: "unsupported algorithm", ref: "foo@md5:" + "a".repeat(32), mention: "unsupported algorithm" },
      { desc: "two at signs", ref: `foo@${sha}@${sha}`, mention: '"@"' },
      { desc: "name only digest", ref: `@${sha}`, mention: "empty" },
      { desc: "whole name too long", ref: "registry.example.com/" + "a".repeat(235), mention: "more than 255" },
      { desc: "space", ref: "foo bar", mention: "repository name" },
    ];
    for (const c of cases) expectInvalid(() => parseReference(c.ref), c.mention, c.desc);
  });

  it("accepts a name of exactly 255 characters", () => {
    const ref = "registry.example.com/" + "a".repeat(234);
    assert.equal(ref.length, 255);
    assert.equal(parseReference(ref).path.length, 234);
  });

  it("names the request field in the error details", () => {
    assert.throws(
      () => parseReference("UPPER/Case", "image.image"),
      (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details["field"] === "image.image",
    );
  });
});

describe("normalizeReference", () => {
  it("adds docker.io, library/ and latest only where distribution does", () => {
    const cases = [
      { desc: "bare name", ref: "busybox", want: "docker.io/library/busybox:latest" },
      { desc: "tagged", ref: "busybox:1.36", want: "docker.io/library/busybox:1.36" },
      { desc: "digest only gets no tag", ref: `busybox@${sha}`, want: `docker.io/library/busybox@${sha}` },
      { desc: "tag and digest kept", ref: `busybox:1@${sha}`, want: `docker.io/library/busybox:1@${sha}` },
      { desc: "legacy domain", ref: "index.docker.io/library/busybox", want: "docker.io/library/busybox:latest" },
      { desc: "localhost", ref: "localhost:5000/foo", want: "localhost:5000/foo:latest" },
      { desc: "already normal", ref: "docker.io/library/busybox:latest", want: "docker.io/library/busybox:latest" },
    ];
    for (const c of cases) assert.equal(normalizeReference(c.ref), c.want, c.desc);
  });

  it("is idempotent", () => {
    for (const ref of ["busybox", "quay.io/a/b:c", `[::1]:5000/x@${sha}`, "bitnami/redis:7"]) {
      const once = normalizeReference(ref);
      assert.equal(normalizeReference(once), once, ref);
    }
  });
});

describe("familiarName", () => {
  it("inverts normalization for Docker Hub names", () => {
    const cases = [
      { desc: "official", ref: "docker.io/library/busybox:latest", want: "busybox:latest" },
      { desc: "user repository", ref: "docker.io/bitnami/redis", want: "bitnami/redis" },
      { desc: "nested library path stays", ref: "docker.io/library/a/b", want: "library/a/b" },
      { desc: "other registry unchanged", ref: "quay.io/library/x:1", want: "quay.io/library/x:1" },
      { desc: "digest kept", ref: `docker.io/library/busybox@${sha}`, want: `busybox@${sha}` },
      { desc: "domain-like first element keeps docker.io", ref: "docker.io/a.b/c", want: "docker.io/a.b/c" },
      { desc: "localhost first element keeps docker.io", ref: "docker.io/localhost/c", want: "docker.io/localhost/c" },
    ];
    for (const c of cases) assert.equal(familiarName(c.ref), c.want, c.desc);
  });

  it("round-trips through normalizeReference", () => {
    for (const ref of ["busybox:latest", "bitnami/redis:7", "quay.io/a/b:c", `foo@${sha}`]) {
      assert.equal(familiarName(normalizeReference(ref)), ref, ref);
      assert.equal(normalizeReference(familiarName(parseReference(ref))), normalizeReference(ref), ref);
    }
  });
});

describe("formatReference and parseDigest", () => {
  it("formats every part in order", () => {
    assert.equal(formatReference({ domain: "r.io", path: "a/b", tag: "t", digest: sha }), `r.io/a/b:t@${sha}`);
    assert.equal(formatReference({ domain: "r.io", path: "a/b" }), "r.io/a/b");
  });

  it("accepts the registered algorithms and rejects the rest", () => {
    assert.equal(parseDigest(sha), sha);
    assert.equal(parseDigest(sha512), sha512);
    assert.equal(parseDigest("sha384:" + "b".repeat(96)), "sha384:" + "b".repeat(96));
    expectInvalid(() => parseDigest("sha256"), "<algorithm>:<hex>", "no colon");
    expectInvalid(() => parseDigest("blake3:" + "a".repeat(64)), "unsupported", "blake3");
  });

  it("tells image IDs from names", () => {
    const cases = [
      { desc: "digest", s: sha, want: true },
      { desc: "bare hex ID", s: "f".repeat(64), want: true },
      { desc: "name", s: "busybox", want: false },
      { desc: "name with tag that looks like hex", s: "sha256x:" + "a".repeat(64), want: false },
      { desc: "name with digest", s: `busybox@${sha}`, want: false },
    ];
    for (const c of cases) assert.equal(isImageIdReference(c.s), c.want, c.desc);
  });
});
