import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordDir, recordFromJson, recordToJson } from "../../src/server/records.js";

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
});
