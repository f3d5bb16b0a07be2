import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chainIds, ContentStore, hasErrorCode, sha256Digest } from "../../src/index.js";

describe("ContentStore", () => {
  let dir: string;
  let store: ContentStore;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-content-"));
    store = new ContentStore({ root: dir });
    await store.init();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stores a blob under its digest and reads it back", async () => {
    const data = Buffer.from("hello content");
    const d = await store.write(data);
    assert.equal(d, sha256Digest(data));
    assert.equal(await store.has(d), true);
    assert.deepEqual(await store.read(d), data);
    assert.ok((await store.list()).includes(d));
  });

  const layouts = [
    { desc: "more tiny chunks than one gathered write takes", chunkSizes: Array.from({ length: 3000 }, () => 1) },
    { desc: "chunks that straddle the 1 MiB flush size", chunkSizes: [700_000, 700_000, 700_000, 5] },
    { desc: "one chunk larger than the flush size", chunkSizes: [3 * 1024 * 1024 + 7] },
  ];
  for (const l of layouts) {
    it(`stores a blob streamed as ${l.desc} byte for byte`, async () => {
      const total = l.chunkSizes.reduce((a, b) => a + b, 0);
      const data = Buffer.alloc(total);
      for (let i = 0; i < total; i++) data[i] = (i * 31 + 7) & 0xff;
      const chunks: Buffer[] = [];
      let off = 0;
      for (const n of l.chunkSizes) {
        chunks.push(data.subarray(off, off + n));
        off += n;
      }
      const d = sha256Digest(data);
      await store.ingest(d, total, async () => chunks);
      assert.deepEqual(await store.read(d), data);
      await store.delete(d);
    });
  }

  const bad = [
    { desc: "a blob whose bytes do not match the digest", size: 5, chunks: ["wrong"], digest: sha256Digest("right") },
    { desc: "a blob shorter than its size", size: 10, chunks: ["right"], digest: sha256Digest("right") },
    { desc: "a blob longer than its size", size: 3, chunks: ["right"], digest: sha256Digest("right") },
  ];
  for (const b of bad) {
    it(`rejects ${b.desc} with DataLoss and keeps nothing`, async () => {
      await assert.rejects(store.ingest(b.digest, b.size, async () => b.chunks.map((c) => Buffer.from(c))), (e: unknown) => hasErrorCode(e, "DataLoss"));
      assert.equal(await store.has(b.digest), false);
      assert.deepEqual(await readdir(join(dir, "ingest")), []);
    });
  }

  it("removes the partial file when the source fails mid-way", async () => {
    const digest = sha256Digest("abcdef");
    async function* broken(): AsyncIterable<Uint8Array> {
      yield Buffer.from("abc");
      throw new Error("connection reset");
    }
    await assert.rejects(store.ingest(digest, 6, async () => broken()), /connection reset/);
    assert.equal(await store.has(digest), false);
    assert.deepEqual(await readdir(join(dir, "ingest")), []);
  });

  it("shares one write between concurrent ingests of one digest", async () => {
    const data = Buffer.from("shared blob");
    const digest = sha256Digest(data);
    let opened = 0;
    const source = async (): Promise<Iterable<Uint8Array>> => {
      opened++;
      await new Promise((r) => setTimeout(r, 10));
      return [data];
    };
    await Promise.all([store.ingest(digest, data.length, source), store.ingest(digest, data.length, source), store.ingest(digest, data.length, source)]);
    assert.equal(opened, 1);
    assert.equal(await store.has(digest), true);
  });

  it("rejects a digest that is not sha256 hex, so it can never name a path outside the store", async () => {
    assert.throws(() => store.path("sha256:../../etc/passwd"), (e: unknown) => hasErrorCode(e, "InvalidArgument"));
    assert.throws(() => store.path("md5:abc"), (e: unknown) => hasErrorCode(e, "InvalidArgument"));
  });

  it("deletes blobs idempotently", async () => {
    const d = await store.write(Buffer.from("to delete"));
    await store.delete(d);
    await store.delete(d);
    assert.equal(await store.has(d), false);
  });
});

describe("chainIds", () => {
  it("follows the OCI definition: the first is the diff ID, then sha256 of parent, space, diff ID", () => {
    const a = sha256Digest("a");
    const b = sha256Digest("b");
    const c = sha256Digest("c");
    const ab = sha256Digest(`${a} ${b}`);
    assert.deepEqual(chainIds([a, b, c]), [a, ab, sha256Digest(`${ab} ${c}`)]);
    assert.deepEqual(chainIds([]), []);
  });
});
