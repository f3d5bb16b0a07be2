import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { create } from "@bufbuild/protobuf";
import { LinuxContainerResourcesSchema } from "../../src/cri.js";
import { generateContainerSpec } from "../../src/spec/index.js";
import { resourcesFromSpec } from "../../src/status/index.js";
import { containerInit } from "./fixtures.js";

type ResourcesInit = Parameters<typeof create<typeof LinuxContainerResourcesSchema>>[1];

function roundTrip(resources: NonNullable<ResourcesInit>) {
  const spec = generateContainerSpec(containerInit({}, { linux: { resources } }));
  return resourcesFromSpec(spec)?.linux;
}

describe("CRI resources round-trip through the OCI spec", () => {
  const cases: Array<{ desc: string; resources: NonNullable<ResourcesInit> }> = [
    { desc: "empty resources", resources: {} },
    { desc: "CPU settings", resources: { cpuPeriod: 100000n, cpuQuota: 25000n, cpuShares: 256n, cpusetCpus: "0", cpusetMems: "0" } },
    { desc: "memory and swap", resources: { memoryLimitInBytes: 134217728n, memorySwapLimitInBytes: 268435456n } },
    { desc: "hugepages and unified", resources: { hugepageLimits: [{ pageSize: "2MB", limit: 2097152n }, { pageSize: "1GB", limit: 0n }], unified: { "memory.max": "max" } } },
    { desc: "oom_score_adj", resources: { oomScoreAdj: 1000n } },
  ];
  for (const c of cases) {
    it(`gives back the same resources for ${c.desc}`, () => {
      assert.deepEqual(roundTrip(c.resources), create(LinuxContainerResourcesSchema, c.resources));
    });
  }

  it("gives back any resources a kubelet can send", () => {
    const pos = fc.bigInt({ min: 0n, max: 2n ** 40n });
    fc.assert(
      fc.property(
        fc.record({
          cpuPeriod: pos,
          cpuQuota: pos,
          cpuShares: fc.bigInt({ min: 0n, max: 262144n }),
          memoryLimitInBytes: pos,
          memorySwapLimitInBytes: pos,
          oomScoreAdj: fc.bigInt({ min: 0n, max: 1000n }),
          cpusetCpus: fc.constantFrom("", "0", "0-1", "0,2"),
          cpusetMems: fc.constantFrom("", "0"),
          unified: fc.dictionary(fc.constantFrom("memory.high", "cpu.weight", "pids.max"), fc.constantFrom("max", "100", "1")),
        }),
        (generated) => {
          const r = { ...generated, unified: { ...generated.unified } };
          assert.deepEqual(roundTrip(r), create(LinuxContainerResourcesSchema, r));
        },
      ),
      { numRuns: 200 },
    );
  });
});
