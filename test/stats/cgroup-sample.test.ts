import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpuFromV1, cpuFromV2, memoryFromV1, memoryFromV2, sumSamples } from "../../src/stats/index.js";
import { V1_MEMORY_STAT, V2_CPU_STAT, V2_MEMORY_STAT } from "./fixtures.js";

describe("cgroup samples from file contents", () => {
  it("reads CPU time in ns from v1 cpuacct.usage and v2 cpu.stat (µs)", () => {
    assert.equal(cpuFromV1("13357196103000\n"), 13357196103000n);
    assert.equal(cpuFromV2(V2_CPU_STAT), 2500123000n);
    assert.equal(cpuFromV2(undefined), undefined);
    assert.equal(cpuFromV2("user_usec 5\n"), undefined, "no usage_usec, no CPU time");
  });

  it("reads v1 memory from the hierarchical totals of memory.stat", () => {
    const { memory, swap } = memoryFromV1({ usage: "60000000\n", limit: "268435456\n", stat: V1_MEMORY_STAT, memswUsage: "61000000\n", memswLimit: "536870912\n" });
    assert.deepEqual(memory, { usage: 60000000n, limit: 268435456n, inactiveFile: 13129344n, rss: 41789952n, pageFaults: 197090n, majorPageFaults: 411n });
    assert.deepEqual(swap, { usage: 1000000n, limit: 268435456n }, "swap is memsw minus memory, for usage and for limit");
  });

  const v1Edges = [
    { desc: "an unlimited v1 cgroup has no limit and no swap limit", files: { usage: "100\n", limit: "9223372036854771712\n", stat: "", memswUsage: "100\n", memswLimit: "9223372036854771712\n" }, limit: undefined, swap: { usage: 0n, limit: undefined } },
    { desc: "without swap accounting (no memsw files) there is no swap", files: { usage: "100\n", limit: "9223372036854771712\n" }, limit: undefined, swap: undefined },
    { desc: "memsw below usage (read between updates) floors swap at 0", files: { usage: "200\n", limit: "1000\n", memswUsage: "150\n", memswLimit: "1000\n" }, limit: 1000n, swap: { usage: 0n, limit: 0n } },
  ];
  for (const c of v1Edges) {
    it(`handles v1 edge cases: ${c.desc}`, () => {
      const r = memoryFromV1(c.files);
      assert.equal(r.memory?.limit, c.limit);
      assert.equal(r.memory?.inactiveFile, 0n, "absent memory.stat counters are 0");
      assert.deepEqual(r.swap, c.swap);
    });
  }

  it("reads v1 swap from memory.stat when the memsw files are not read", () => {
    const stat = "total_rss 10\ntotal_swap 4096\nhierarchical_memory_limit 268435456\nhierarchical_memsw_limit 536870912\n";
    assert.deepEqual(memoryFromV1({ usage: "100\n", limit: "268435456\n", stat }).swap, { usage: 4096n, limit: 268435456n });
    const unlimited = "total_swap 0\nhierarchical_memory_limit 9223372036854771712\nhierarchical_memsw_limit 9223372036854771712\n";
    assert.deepEqual(memoryFromV1({ usage: "100\n", stat: unlimited }).swap, { usage: 0n, limit: undefined });
    assert.equal(memoryFromV1({ usage: "100\n", stat: "total_rss 10\n" }).swap, undefined, "no swap lines (swap accounting off): no swap");
  });

  it("gives no memory when memory.usage_in_bytes or memory.current is missing (the cgroup is gone)", () => {
    assert.deepEqual(memoryFromV1({ limit: "100\n", stat: V1_MEMORY_STAT }), {});
    assert.deepEqual(memoryFromV2({ max: "max\n", stat: V2_MEMORY_STAT }), {});
  });

  it("reads v2 memory: anon is rss, max means no limit, swap from memory.swap.*", () => {
    const { memory, swap } = memoryFromV2({ current: "58720256\n", max: "max\n", stat: V2_MEMORY_STAT, swapCurrent: "4096\n", swapMax: "max\n" });
    assert.deepEqual(memory, { usage: 58720256n, limit: undefined, inactiveFile: 8388608n, rss: 44040192n, pageFaults: 15843n, majorPageFaults: 7n });
    assert.deepEqual(swap, { usage: 4096n, limit: undefined });
    const limited = memoryFromV2({ current: "10\n", max: "268435456\n", swapCurrent: "0\n", swapMax: "1048576\n" });
    assert.equal(limited.memory?.limit, 268435456n);
    assert.deepEqual(limited.swap, { usage: 0n, limit: 1048576n });
    assert.equal(memoryFromV2({ current: "10\n" }).swap, undefined, "no memory.swap.current (swap controller off), no swap");
  });

  it("sums samples of a pod's members and drops their limits", () => {
    const a = { timestampNs: 10n, cpuUsageNs: 5n, memory: { usage: 100n, limit: 1000n, inactiveFile: 10n, rss: 50n, pageFaults: 1n, majorPageFaults: 0n }, pids: 2n };
    const b = { timestampNs: 12n, cpuUsageNs: 7n, memory: { usage: 200n, inactiveFile: 20n, rss: 60n, pageFaults: 2n, majorPageFaults: 1n }, swap: { usage: 3n, limit: 9n } };
    const s = sumSamples([a, b], 11n);
    assert.deepEqual(s, { timestampNs: 12n, cpuUsageNs: 12n, pids: 2n, memory: { usage: 300n, inactiveFile: 30n, rss: 110n, pageFaults: 3n, majorPageFaults: 1n }, swap: { usage: 3n } });
    assert.deepEqual(sumSamples([], 5n), { timestampNs: 5n });
  });
});
