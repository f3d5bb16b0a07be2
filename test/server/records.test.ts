import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirSyncer, RecordDir, recordFromJson, recordToJson } from "../../src/server/records.js";

describe("records", () => {
  it("round-trips bigints exactly", () => {
    const v = { createdAt: 1763916000123456789n, nested: [{ n: -5n }], plain: 3 };
    assert.deepEqual(recordFromJson(recordToJson(v)), v);
  });

  it("writes, reads, lists and deletes records, and leaves no temp file", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-records-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const rd = new RecordDir<{ id: string; n: bigint }>(join(dir, "sandboxes"));
    await rd.put("a1", { id: "a1", n: 1n });
    await rd.put("b2", { id: "b2", n: 2n });
    await rd.put("a1", { id: "a1", n: 3n });
    assert.deepEqual(await rd.get("a1"), { id: "a1", n: 3n });
    assert.equal(await rd.get("zz"), undefined);
    assert.deepEqual([...(await rd.loadAll()).keys()], ["a1", "b2"]);
    assert.deepEqual((await readdir(rd.dir)).sort(), ["a1.json", "b2.json"]);
    await rd.delete("a1");
    await rd.delete("a1");
    assert.deepEqual([...(await rd.loadAll()).keys()], ["b2"]);
  });

  it("skips a corrupt record with a report and removes stray temp files", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-records-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const rd = new RecordDir<unknown>(dir);
    await rd.put("good", { ok: true });
    await writeFile(join(dir, "bad.json"), "{not json");
    await writeFile(join(dir, "good.json.tmp-abc"), "partial");
    const bad: string[] = [];
    const all = await rd.loadAll((id) => bad.push(id));
    assert.deepEqual([...all.keys()], ["good"]);
    assert.deepEqual(bad, ["bad"]);
    assert.deepEqual((await readdir(dir)).sort(), ["bad.json", "good.json"]);
  });

  it("refuses ids that could escape the directory", async () => {
    const rd = new RecordDir<unknown>("/nonexistent");
    await assert.rejects(rd.put("../x", {}), /invalid record id/);
  });

  it("reads an absent directory as empty", async () => {
    const rd = new RecordDir<unknown>(join(tmpdir(), "crikit-records-absent-" + process.pid));
    assert.equal((await rd.loadAll()).size, 0);
  });

  it("shares a directory fsync among writes that arrive while one runs, and always starts one after each call", async () => {
    const log: string[] = [];
    const gates: Array<() => void> = [];
    const syncer = new DirSyncer(async (dir) => {
      log.push(`begin ${dir}`);
      await new Promise<void>((r) => gates.push(r));
      log.push(`end ${dir}`);
    });
    const settled: string[] = [];
    const first = syncer.sync("/a").then(() => settled.push("first"));
    await Promise.resolve();
    const waiting = [1, 2, 3].map((n) => syncer.sync("/a").then(() => settled.push(`w${n}`)));
    const other = syncer.sync("/b").then(() => settled.push("other"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ["begin /a", "begin /b"], "one fsync per directory at a time");
    (gates.shift() as () => void)();
    await first;
    assert.deepEqual(settled, ["first"], "calls made after the first fsync began wait for the next one");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ["begin /a", "begin /b", "end /a", "begin /a"], "the three waiting calls share one fsync");
    (gates.shift() as () => void)();
    await other;
    (gates.shift() as () => void)();
    await Promise.all(waiting);
    assert.deepEqual(settled.sort(), ["first", "other", "w1", "w2", "w3"]);
    await Promise.all([syncer.sync("/a").then(() => settled.push("late")), new Promise((r) => setImmediate(r)).then(() => (gates.shift() as () => void)())]);
    assert.equal(log.filter((l) => l === "begin /a").length, 3, "a call after everything settled starts its own fsync");
  });

  it("passes a failed directory fsync to every call that shared it", async () => {
    let n = 0;
    const syncer = new DirSyncer(async () => {
      n++;
      await new Promise((r) => setImmediate(r));
      if (n === 2) throw Object.assign(new Error("EIO"), { code: "EIO" });
    });
    const a = syncer.sync("/d");
    const b = syncer.sync("/d");
    const c = syncer.sync("/d");
    await a;
    await assert.rejects(b, /EIO/);
    await assert.rejects(c, /EIO/);
    await syncer.sync("/d");
    assert.equal(n, 3);
  });

  it("keeps every record of a burst of concurrent writes in one directory", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-records-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const rd = new RecordDir<{ n: number }>(join(dir, "containers"));
    await Promise.all(Array.from({ length: 64 }, (_, n) => rd.put(`c${n}`, { n })));
    const all = await rd.loadAll();
    assert.equal(all.size, 64);
    for (let n = 0; n < 64; n++) assert.deepEqual(all.get(`c${n}`), { n });
    assert.equal((await readdir(rd.dir)).filter((f) => f.includes(".tmp-")).length, 0);
  });
});
