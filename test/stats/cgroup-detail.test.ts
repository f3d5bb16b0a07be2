import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { countLines, detailFromV1, detailFromV2, sumDetails } from "../../src/stats/index.js";
import { V1_MEMORY_STAT, V2_CPU_STAT, V2_MEMORY_STAT } from "./fixtures.js";

describe("cgroup detail for the CRI metrics", () => {
  it("reads v1 files: cpuacct ticks to ns, throttling from the cpu controller, hierarchical memory totals", () => {
    const d = detailFromV1({
      cpuacctStat: "user 250\nsystem 75\n",
      cpuStat: "nr_periods 40\nnr_throttled 3\nthrottled_time 123456789\nnr_bursts 0\nburst_time 0\n",
      memoryStat: V1_MEMORY_STAT,
      memoryFailcnt: "2\n",
      memoryMaxUsage: "52428800\n",
      memoryOomControl: "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
      pidsCurrent: "3\n",
      pidsMax: "max\n",
      procs: "10\n11\n",
    });
    assert.deepEqual(d, {
      cpuUserNs: 2_500_000_000n,
      cpuSystemNs: 750_000_000n,
      cfsPeriods: 40n,
      cfsThrottledPeriods: 3n,
      cfsThrottledNs: 123456789n,
      cacheBytes: 18228864n,
      mappedFileBytes: 0n,
      memoryFailcnt: 2n,
      memoryMaxUsageBytes: 52428800n,
      oomKills: 1n,
      threads: 3n,
      processes: 2n,
    });
  });

  it("reads v2 files: cpu.stat in µs, memory.events, memory.peak", () => {
    const d = detailFromV2({
      cpuStat: V2_CPU_STAT.replace("nr_periods 0", "nr_periods 10").replace("nr_throttled 0", "nr_throttled 1").replace("throttled_usec 0", "throttled_usec 2000"),
      memoryStat: V2_MEMORY_STAT,
      memoryEvents: "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n",
      memoryPeak: "60000000\n",
      pidsCurrent: "5\n",
      pidsMax: "100\n",
      procs: "1\n",
    });
    assert.equal(d.cpuUserNs, 2_000_000_000n);
    assert.equal(d.cpuSystemNs, 500_123_000n);
    assert.equal(d.cfsPeriods, 10n);
    assert.equal(d.cfsThrottledNs, 2_000_000n);
    assert.equal(d.cacheBytes, 10485760n, "memory.stat file");
    assert.equal(d.memoryFailcnt, 4n, "memory.events max");
    assert.equal(d.oomKills, 1n);
    assert.equal(d.memoryMaxUsageBytes, 60000000n);
    assert.equal(d.threadsMax, 100n);
    assert.equal(d.processes, 1n);
  });

  it("leaves out what the files do not give, counts lines, and sums parts without the high-water marks", () => {
    assert.deepEqual(detailFromV1({}), {});
    assert.deepEqual(detailFromV2({ cpuStat: "usage_usec 5\n" }), {});
    assert.equal(countLines(undefined), undefined);
    assert.equal(countLines(""), 0n);
    assert.equal(countLines("1\n2\n3\n"), 3n);
    assert.deepEqual(sumDetails([{ threads: 1n, memoryMaxUsageBytes: 5n, threadsMax: 9n }, { threads: 2n, oomKills: 1n }]), { threads: 3n, oomKills: 1n });
  });
});
