import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirUsageCache, dirUsage } from "../../src/stats/index.js";

describe("writable layer usage", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-dir-usage-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("counts allocated bytes and one inode per entry, the root included, hard links once", async () => {
    const d = join(dir, "tree");
    await mkdir(join(d, "a", "b"), { recursive: true });
    await writeFile(join(d, "a", "b", "big"), Buffer.alloc(256 * 1024, 1));
    await writeFile(join(d, "small"), "x");
    await link(join(d, "small"), join(d, "hardlink"));
    await symlink("small", join(d, "sym"));
    const u = await dirUsage(d);
    assert.equal(u.inodesUsed, 6n, "tree, a, b, big, small (and its hard link once), sym");
    assert.ok(u.usedBytes >= 256n * 1024n, `the 256 KiB file is counted (got ${u.usedBytes})`);
    assert.ok(u.usedBytes < 2n * 1024n * 1024n, `nothing is counted twice (got ${u.usedBytes})`);
    assert.ok(u.timestampNs > 0n);
  });

  it("gives zero for an absent directory", async () => {
    const u = await dirUsage(join(dir, "absent"));
    assert.equal(u.usedBytes, 0n);
    assert.equal(u.inodesUsed, 0n);
  });

  it("serves a cached value within the period and refreshes after it", async () => {
    const d = join(dir, "cached");
    await mkdir(d);
    const cache = new DirUsageCache({ periodMs: 200 });
    const first = await cache.get("c1", d);
    assert.equal(first.inodesUsed, 1n);
    await writeFile(join(d, "f1"), "1");
    assert.equal((await cache.get("c1", d)).inodesUsed, 1n, "within the period: the cached walk");
    await new Promise((r) => setTimeout(r, 250));
    // After the period the stale value comes back at once and a walk starts in the background.
    assert.equal((await cache.get("c1", d)).inodesUsed, 1n);
    let now = 0n;
    for (let i = 0; i < 50 && now !== 2n; i++) {
      await new Promise((r) => setTimeout(r, 20));
      now = (await cache.get("c1", d)).inodesUsed;
    }
    assert.equal(now, 2n, "the background walk saw the new file");
    assert.equal(cache.size, 1);
    cache.forget("c1");
    assert.equal(cache.size, 0);
  });

  it("walks once for concurrent first calls and forgets keys not retained", async () => {
    const d = join(dir, "concurrent");
    await mkdir(d);
    const cache = new DirUsageCache();
    const [a, b] = await Promise.all([cache.get("x", d), cache.get("x", d)]);
    assert.equal(a, b, "the same walk's result");
    await cache.get("y", d);
    cache.retain(["y"]);
    assert.equal(cache.size, 1);
  });
});
