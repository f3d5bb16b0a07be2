import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ContainerStatsSchema } from "../../src/cri.js";
import { toCpuUsage, toFilesystemUsage, toMemoryUsage, toProcessUsage, toSwapUsage, workingSetBytes } from "../../src/stats/index.js";

const mem = (usage: bigint, inactiveFile: bigint, limit?: bigint) => ({ usage, limit, inactiveFile, rss: 7n, pageFaults: 8n, majorPageFaults: 9n });

describe("conversion to the CRI stats messages", () => {
  const ws = [
    { desc: "usage minus inactive file pages", m: mem(100n, 30n), want: 70n },
    { desc: "floored at 0 when inactive file exceeds usage", m: mem(100n, 130n), want: 0n },
  ];
  for (const c of ws) it(`computes the working set: ${c.desc}`, () => assert.equal(workingSetBytes(c.m), c.want));

  it("fills MemoryUsage, with available = limit - working set only when there is a limit", () => {
    assert.deepEqual(toMemoryUsage(mem(100n, 30n, 1000n), 5n), {
      timestamp: 5n,
      workingSetBytes: { value: 70n },
      availableBytes: { value: 930n },
      usageBytes: { value: 100n },
      rssBytes: { value: 7n },
      pageFaults: { value: 8n },
      majorPageFaults: { value: 9n },
    });
    assert.equal(toMemoryUsage(mem(100n, 30n), 5n).availableBytes, undefined, "unlimited: no available bytes");
    assert.deepEqual(toMemoryUsage(mem(100n, 0n, 50n), 5n).availableBytes, { value: 0n }, "over the limit: 0, never negative");
  });

  it("fills CpuUsage with nano cores only when a rate is known", () => {
    assert.deepEqual(toCpuUsage(10n, undefined, 1n), { timestamp: 1n, usageCoreNanoSeconds: { value: 10n } });
    assert.deepEqual(toCpuUsage(10n, 3n, 1n), { timestamp: 1n, usageCoreNanoSeconds: { value: 10n }, usageNanoCores: { value: 3n } });
  });

  it("fills SwapUsage, ProcessUsage and FilesystemUsage", () => {
    assert.deepEqual(toSwapUsage({ usage: 4n, limit: 10n }, 1n), { timestamp: 1n, swapUsageBytes: { value: 4n }, swapAvailableBytes: { value: 6n } });
    assert.deepEqual(toSwapUsage({ usage: 4n }, 1n), { timestamp: 1n, swapUsageBytes: { value: 4n } });
    assert.deepEqual(toProcessUsage(3n, 1n), { timestamp: 1n, processCount: { value: 3n } });
    assert.deepEqual(toFilesystemUsage("/x/upper", 4096n, 2n, 1n), { timestamp: 1n, fsId: { mountpoint: "/x/upper" }, usedBytes: { value: 4096n }, inodesUsed: { value: 2n } });
  });

  it("builds init shapes that protobuf-es accepts as a ContainerStats", () => {
    const msg = create(ContainerStatsSchema, { attributes: { id: "c" }, cpu: toCpuUsage(1n, 2n, 3n), memory: toMemoryUsage(mem(100n, 30n, 1000n), 3n), swap: toSwapUsage({ usage: 0n }, 3n), writableLayer: toFilesystemUsage("/d", 0n, 1n, 3n) });
    assert.equal(msg.memory?.workingSetBytes?.value, 70n);
    assert.equal(msg.cpu?.usageNanoCores?.value, 2n);
    assert.equal(msg.writableLayer?.fsId?.mountpoint, "/d");
  });
});
