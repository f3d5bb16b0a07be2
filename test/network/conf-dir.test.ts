import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CniConfDir } from "../../src/network/index.js";
import { removeTree, tempDir } from "./net-helpers.js";

const conf = (name: string): string => JSON.stringify({ cniVersion: "1.0.0", name, plugins: [{ type: "bridge" }] });

describe("CniConfDir", () => {
  let root = "";
  before(async () => {
    root = await tempDir("confdir");
  });
  after(async () => {
    await removeTree(root);
  });

  it("gives an empty set for a directory that does not exist yet, then sees it appear", async () => {
    const dir = join(root, "later");
    const d = new CniConfDir(dir);
    const empty = await d.load();
    assert.equal(empty.defaultNetwork, undefined);
    assert.deepEqual(empty.errors, []);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    await writeFile(join(dir, "10-a.conflist"), conf("a"));
    assert.equal((await d.load()).defaultNetwork?.name, "a");
  });

  it("picks up added, changed, renamed and removed files without a restart", async () => {
    const dir = join(root, "changes");
    await mkdir(dir);
    const d = new CniConfDir(dir);
    await writeFile(join(dir, "20-b.conflist"), conf("b"));
    assert.equal((await d.load()).defaultNetwork?.name, "b");
    await writeFile(join(dir, "10-a.conflist"), conf("a"));
    assert.equal((await d.load()).defaultNetwork?.name, "a", "an earlier file becomes the default");
    await writeFile(join(dir, "10-a.conflist"), conf("c"));
    assert.equal((await d.load()).defaultNetwork?.name, "c", "a rewrite of the same size is seen");
    await writeFile(join(dir, "tmp"), conf("z"));
    await rename(join(dir, "tmp"), join(dir, "05-z.conf"));
    assert.equal((await d.load()).defaultNetwork?.name, "z", "an atomic rename is seen");
    await rm(join(dir, "05-z.conf"));
    await rm(join(dir, "10-a.conflist"));
    assert.equal((await d.load()).defaultNetwork?.name, "b");
  });

  it("returns the same set while nothing changed", async () => {
    const dir = join(root, "same");
    await mkdir(dir);
    await writeFile(join(dir, "10-a.conflist"), conf("a"));
    const d = new CniConfDir(dir);
    const a = await d.load();
    const b = await d.load();
    assert.equal(a, b);
  });

  it("reports a broken file and keeps the valid ones", async () => {
    const dir = join(root, "broken");
    await mkdir(dir);
    await writeFile(join(dir, "00-broken.conflist"), "{ not json");
    await writeFile(join(dir, "10-a.conflist"), conf("a"));
    const s = await new CniConfDir(dir).load();
    assert.equal(s.defaultNetwork?.name, "a");
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0]?.file, "00-broken.conflist");
    assert.match(s.errors[0]?.message ?? "", /not valid JSON/);
  });
});
