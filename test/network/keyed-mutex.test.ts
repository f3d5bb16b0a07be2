import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { KeyedMutex } from "../../src/network/index.js";

describe("KeyedMutex", () => {
  it("runs calls for one key one at a time, in order", async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (n: string, ms: number) => m.run("pod", async () => {
      log.push(`start ${n}`);
      await sleep(ms);
      log.push(`end ${n}`);
    });
    await Promise.all([job("a", 20), job("b", 1), job("c", 1)]);
    assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
    assert.equal(m.size, 0);
  });

  it("runs calls for different keys in parallel", async () => {
    const m = new KeyedMutex();
    let running = 0;
    let peak = 0;
    await Promise.all(
      ["a", "b", "c"].map((k) =>
        m.run(k, async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(10);
          running--;
        }),
      ),
    );
    assert.equal(peak, 3);
  });

  it("keeps the queue going after a failure", async () => {
    const m = new KeyedMutex();
    const first = m.run("k", async () => {
      throw new Error("boom");
    });
    const second = m.run("k", async () => 42);
    await assert.rejects(first, /boom/);
    assert.equal(await second, 42);
  });
});
