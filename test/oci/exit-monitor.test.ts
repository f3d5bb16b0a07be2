import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExitMonitor } from "../../src/oci/exit-monitor.js";

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("ExitMonitor", () => {
  it("reports an exit file as soon as it appears, through fs.watch", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-exits-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const seen: string[] = [];
    const m = new ExitMonitor({ dirs: [join(dir, "exits")], onExit: (id) => void seen.push(id), recheckMs: 60_000 });
    t.after(() => m.close());
    await m.start();
    await writeFile(join(dir, "exits", "abc"), "0");
    await until(() => seen.includes("abc"));
  });

  it("reports files already present on recheck, and ignores dot files", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-exits-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, "old"), "1");
    await writeFile(join(dir, ".tmp"), "1");
    const seen: string[] = [];
    const m = new ExitMonitor({ dirs: [dir], onExit: (id) => void seen.push(id), recheckMs: 60_000 });
    t.after(() => m.close());
    await m.start();
    await m.recheck();
    assert.deepEqual(seen, ["old"]);
  });

  it("keeps going when a handler throws, and stops after close", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-exits-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const errors: unknown[] = [];
    let calls = 0;
    const m = new ExitMonitor({
      dirs: [dir],
      onExit: async () => {
        calls++;
        throw new Error("boom");
      },
      onError: (e) => void errors.push(e),
      recheckMs: 20,
    });
    await m.start();
    await writeFile(join(dir, "x"), "0");
    await until(() => errors.length >= 2);
    m.close();
    const after = calls;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, after, "no calls after close");
  });
});
