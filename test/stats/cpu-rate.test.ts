import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CpuRateTracker } from "../../src/stats/index.js";

const S = 1_000_000_000n;

describe("CpuRateTracker", () => {
  it("gives no rate for a first reading and CPU ns per second after", () => {
    const t = new CpuRateTracker();
    assert.equal(t.observe("a", 10n * S, 100n * S), undefined);
    assert.equal(t.observe("a", 10n * S + S / 2n, 101n * S), S / 2n, "half a core over one second");
    assert.equal(t.observe("a", 12n * S + S / 2n, 103n * S), S, "two CPU seconds in two seconds is one core");
  });

  it("keeps the baseline and the last rate for readings closer than the window", () => {
    const t = new CpuRateTracker({ minWindowMs: 100 });
    t.observe("a", 0n, 0n);
    assert.equal(t.observe("a", S, S), S);
    assert.equal(t.observe("a", S + 1000n, S + 1_000_000n), S, "1 ms later: the previous rate");
    assert.equal(t.observe("a", S + S / 4n, S + S / 2n), S / 2n, "measured from the kept baseline");
    assert.equal(t.observe("a", S + S / 2n, S + S / 2n), S / 2n, "the same timestamp again: the previous rate");
  });

  it("starts over when the counter goes down (a new cgroup under the same ID)", () => {
    const t = new CpuRateTracker();
    t.observe("a", 5n * S, 0n);
    assert.equal(t.observe("a", S, S), undefined);
    assert.equal(t.observe("a", 2n * S, 2n * S), S);
  });

  it("keeps IDs apart and forgets IDs that are gone", () => {
    const t = new CpuRateTracker();
    t.observe("a", 0n, 0n);
    t.observe("b", 0n, 0n);
    t.observe("c", 0n, 0n);
    assert.equal(t.size, 3);
    t.forget("a");
    t.retain(["b"]);
    assert.equal(t.size, 1);
    assert.equal(t.observe("a", S, S), undefined, "a forgotten ID starts over");
    assert.equal(t.observe("b", S, S), S);
  });
});
