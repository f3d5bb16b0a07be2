import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CrikitError } from "../../src/errors.js";
import { ImageStore, isAmbiguousPrefixError } from "../../src/stores/index.js";
import type { NewImage } from "../../src/stores/index.js";

interface Config {
  entrypoint: string[];
}
const ID1 = `sha256:${"3f2a".padEnd(64, "1")}`;
const ID2 = `sha256:${"3f2b".padEnd(64, "2")}`;
const ID3 = `sha256:${"9c".padEnd(64, "3")}`;
const BUSYBOX = "docker.io/library/busybox:1.36";
const LATEST = "docker.io/library/busybox:latest";
const DIGEST = `docker.io/library/busybox@sha256:${"d".repeat(64)}`;

function image(id: string, init: Partial<NewImage<Config>> = {}): NewImage<Config> {
  return { id, size: 1000n, config: { entrypoint: ["sh"] }, ...init };
}

function fails(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CrikitError, `expected a CrikitError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

function store(): ImageStore<Config> {
  const s = new ImageStore<Config>();
  s.add(image(ID1, { repoTags: [BUSYBOX, LATEST], repoDigests: [DIGEST] }));
  s.add(image(ID2));
  s.add(image(ID3, { repoTags: ["registry.k8s.io/pause:3.10"], pinned: true }));
  return s;
}

describe("ImageStore.resolve", () => {
  const cases: Array<{ desc: string; ref: string; want: string }> = [
    { desc: "a full ID", ref: ID1, want: ID1 },
    { desc: "a repo tag", ref: BUSYBOX, want: ID1 },
    { desc: "another repo tag of the same image", ref: LATEST, want: ID1 },
    { desc: "a repo digest", ref: DIGEST, want: ID1 },
    { desc: "a unique ID prefix with sha256:", ref: "sha256:3f2a", want: ID1 },
    { desc: "a unique ID prefix without sha256:", ref: "3f2b", want: ID2 },
    { desc: "the bare hex of a full ID", ref: ID3.slice(7), want: ID3 },
  ];
  for (const c of cases) {
    it(`finds an image by ${c.desc}`, () => {
      const s = store();
      assert.equal(s.resolve(c.ref), c.want);
      assert.equal(s.get(c.ref).id, c.want);
    });
  }

  const bad: Array<{ desc: string; ref: string; code: string; message: RegExp }> = [
    { desc: "an empty reference", ref: "", code: "InvalidArgument", message: /^image reference is empty$/ },
    { desc: "sha256: with no digits", ref: "sha256:", code: "InvalidArgument", message: /has no digits/ },
    { desc: "an ambiguous prefix", ref: "3f2", code: "InvalidArgument", message: /ambiguous: it matches 2 IDs/ },
    { desc: "an unknown tag", ref: "docker.io/library/alpine:3", code: "NotFound", message: /^image "docker.io\/library\/alpine:3" not found$/ },
    { desc: "an unknown prefix", ref: "sha256:77", code: "NotFound", message: /^image "sha256:77" not found$/ },
    { desc: "an unnormalized tag", ref: "busybox:1.36", code: "NotFound", message: /not found/ },
  ];
  for (const c of bad) {
    it(`throws ${c.code} for ${c.desc}`, () => {
      fails(() => store().resolve(c.ref), c.code, c.message);
    });
  }

  it("finds nothing without throwing where get throws NotFound", () => {
    const s = store();
    assert.equal(s.find("docker.io/library/alpine:3"), undefined);
    assert.equal(s.find(BUSYBOX)?.id, ID1);
    assert.throws(() => s.find("3f"), (err: unknown) => isAmbiguousPrefixError(err));
  });
});

describe("ImageStore.add", () => {
  it("stores a frozen record with defaults", () => {
    const s = new ImageStore<Config>();
    const rec = s.add(image(ID2));
    assert.deepEqual(rec, { id: ID2, repoTags: [], repoDigests: [], size: 1000n, config: { entrypoint: ["sh"] }, pinned: false });
    assert.ok(Object.isFrozen(rec) && Object.isFrozen(rec.config.entrypoint));
    assert.equal(s.size, 1);
  });

  it("moves a tag held by another image to the new image", () => {
    const s = store();
    const newer = `sha256:${"77".padEnd(64, "7")}`;
    s.add(image(newer, { repoTags: [LATEST], repoDigests: [DIGEST] }));
    assert.equal(s.resolve(LATEST), newer);
    assert.equal(s.resolve(DIGEST), newer);
    assert.deepEqual(s.get(ID1).repoTags, [BUSYBOX]);
    assert.deepEqual(s.get(ID1).repoDigests, []);
  });

  it("keeps an image that lost its last reference, findable by ID", () => {
    const s = new ImageStore<Config>();
    s.add(image(ID1, { repoTags: [LATEST] }));
    s.add(image(ID2, { repoTags: [LATEST] }));
    assert.deepEqual(s.get(ID1).repoTags, []);
    assert.deepEqual(s.list().map((i) => i.id), [ID1, ID2]);
  });

  it("drops duplicate references in one image", () => {
    const s = new ImageStore<Config>();
    assert.deepEqual(s.add(image(ID1, { repoTags: [LATEST, LATEST] })).repoTags, [LATEST]);
  });

  const bad: Array<{ desc: string; img: NewImage<Config>; code: string; message: RegExp }> = [
    { desc: "an ID without sha256:", img: image("3f2a".padEnd(64, "1")), code: "InvalidArgument", message: /is not sha256:<64 lowercase hex digits>/ },
    { desc: "a sha512 ID", img: image(`sha512:${"a".repeat(128)}`), code: "InvalidArgument", message: /is not sha256/ },
    { desc: "a short ID", img: image("sha256:abc"), code: "InvalidArgument", message: /is not sha256/ },
    { desc: "an uppercase ID", img: image(`sha256:${"A".repeat(64)}`), code: "InvalidArgument", message: /is not sha256/ },
    { desc: "an ID that exists", img: image(ID2), code: "AlreadyExists", message: /^image "sha256:3f2b2+" already exists$/ },
    { desc: "a tag with @", img: image(`sha256:${"8".repeat(64)}`, { repoTags: [DIGEST] }), code: "InvalidArgument", message: /contains "@"; put it in repoDigests/ },
    { desc: "a digest without @", img: image(`sha256:${"8".repeat(64)}`, { repoDigests: [LATEST] }), code: "InvalidArgument", message: /put it in repoTags/ },
    { desc: "an empty tag", img: image(`sha256:${"8".repeat(64)}`, { repoTags: [""] }), code: "InvalidArgument", message: /empty or contains whitespace/ },
    { desc: "a negative size", img: image(`sha256:${"8".repeat(64)}`, { size: -1n }), code: "InvalidArgument", message: /non-negative bigint/ },
  ];
  for (const c of bad) {
    it(`throws ${c.code} for ${c.desc} and changes nothing`, () => {
      const s = store();
      const before = s.list();
      fails(() => s.add(c.img), c.code, c.message);
      assert.deepEqual(s.list(), before);
      assert.equal(s.resolve(LATEST), ID1);
    });
  }
});

describe("ImageStore.addReferences, untag, setPinned and remove", () => {
  it("adds references to an image, moving them from their holder", () => {
    const s = store();
    const rec = s.addReferences(ID2, { repoTags: [LATEST, "example.com/x:1"], repoDigests: [DIGEST] });
    assert.deepEqual(rec.repoTags, [LATEST, "example.com/x:1"]);
    assert.deepEqual(rec.repoDigests, [DIGEST]);
    assert.deepEqual(s.get(ID1).repoTags, [BUSYBOX]);
    assert.deepEqual(s.get(ID1).repoDigests, []);
    assert.equal(s.resolve("example.com/x:1"), ID2);
  });

  it("keeps references an image already holds in place", () => {
    const s = store();
    assert.deepEqual(s.addReferences(BUSYBOX, { repoTags: [LATEST, "example.com/y:2"] }).repoTags, [BUSYBOX, LATEST, "example.com/y:2"]);
  });

  it("refuses to add references to an unknown image", () => {
    fails(() => store().addReferences("example.com/none:1", { repoTags: ["a:1"] }), "NotFound");
  });

  it("untags one reference and keeps the image", () => {
    const s = store();
    const rec = s.untag(LATEST);
    assert.deepEqual(rec.repoTags, [BUSYBOX]);
    assert.equal(s.find(LATEST), undefined);
    s.untag(DIGEST);
    s.untag(BUSYBOX);
    assert.deepEqual(s.get(ID1).repoTags, []);
    assert.deepEqual(s.get(ID1).repoDigests, []);
    fails(() => s.untag(BUSYBOX), "NotFound", /^image reference "docker.io\/library\/busybox:1.36" not found$/);
    fails(() => s.untag(ID2), "NotFound");
  });

  it("sets and clears the pinned flag", () => {
    const s = store();
    assert.equal(s.setPinned(BUSYBOX, true).pinned, true);
    assert.equal(s.get(ID1).pinned, true);
    assert.equal(s.setPinned("registry.k8s.io/pause:3.10", false).pinned, false);
    fails(() => s.setPinned("nope:1", true), "NotFound");
  });

  it("removes an image with all its references, idempotently", () => {
    const s = store();
    assert.equal(s.remove(LATEST)?.id, ID1);
    assert.equal(s.remove(ID1), undefined);
    for (const ref of [BUSYBOX, LATEST, DIGEST, ID1, "3f2a"]) assert.equal(s.find(ref), undefined, ref);
    assert.equal(s.resolve("3f2"), ID2, "the prefix is unique again");
    assert.equal(s.size, 2);
    s.add(image(ID1, { repoTags: [LATEST] }));
    assert.equal(s.resolve(LATEST), ID1);
  });

  it("refuses to remove by an ambiguous prefix", () => {
    const s = store();
    assert.throws(() => s.remove("3f"), (err: unknown) => isAmbiguousPrefixError(err));
    assert.equal(s.size, 3);
  });
});

describe("ImageStore reference index", () => {
  it("stays consistent with the images' own lists through random operations", () => {
    const ids = [ID1, ID2, ID3];
    const tags = ["r/a:1", "r/a:2", "r/b:1"];
    const digests = [`r/a@sha256:${"1".repeat(64)}`, `r/b@sha256:${"2".repeat(64)}`];
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), id: fc.constantFrom(...ids), tags: fc.subarray(tags), digests: fc.subarray(digests) }),
      fc.record({ kind: fc.constant("refs" as const), id: fc.constantFrom(...ids), tags: fc.subarray(tags), digests: fc.subarray(digests) }),
      fc.record({ kind: fc.constant("untag" as const), ref: fc.constantFrom(...tags, ...digests) }),
      fc.record({ kind: fc.constant("remove" as const), ref: fc.constantFrom(...ids, ...tags) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const s = new ImageStore<Config>();
        // Model: reference -> image ID, and the set of image IDs.
        const owner = new Map<string, string>();
        const present = new Set<string>();
        for (const o of ops) {
          if (o.kind === "add" || o.kind === "refs") {
            if (o.kind === "add" && present.has(o.id)) {
              fails(() => s.add(image(o.id, { repoTags: o.tags, repoDigests: o.digests })), "AlreadyExists");
              continue;
            }
            if (o.kind === "refs" && !present.has(o.id)) {
              fails(() => s.addReferences(o.id, { repoTags: o.tags, repoDigests: o.digests }), "NotFound");
              continue;
            }
            if (o.kind === "add") s.add(image(o.id, { repoTags: o.tags, repoDigests: o.digests }));
            else s.addReferences(o.id, { repoTags: o.tags, repoDigests: o.digests });
            present.add(o.id);
            for (const r of [...o.tags, ...o.digests]) owner.set(r, o.id);
          } else if (o.kind === "untag") {
            if (owner.has(o.ref)) {
              s.untag(o.ref);
              owner.delete(o.ref);
            } else fails(() => s.untag(o.ref), "NotFound");
          } else {
            const target = present.has(o.ref) ? o.ref : owner.get(o.ref);
            assert.equal(s.remove(o.ref)?.id, target);
            if (target !== undefined) {
              present.delete(target);
              for (const [r, i] of [...owner]) if (i === target) owner.delete(r);
            }
          }
          // Every reference resolves to its owner, and each image lists exactly its references.
          assert.equal(s.size, present.size);
          for (const r of [...tags, ...digests]) assert.equal(s.find(r)?.id, owner.get(r), r);
          for (const img of s.list()) {
            const mine = [...owner].filter(([, i]) => i === img.id).map(([r]) => r);
            assert.deepEqual([...img.repoTags, ...img.repoDigests].sort(), mine.sort(), img.id);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
