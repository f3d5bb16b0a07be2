import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { ContainerResourcesSchema, LinuxContainerResourcesSchema } from "../../src/cri.js";
import type { LinuxContainerResources } from "../../src/cri.js";
import { resourcesFromSpec } from "../../src/status/index.js";
import type { SpecLinuxResourcesInput, SpecResourcesInput } from "../../src/status/index.js";

describe("resourcesFromSpec", () => {
  it("returns undefined for a spec without resources or oomScoreAdj", () => {
    const cases: Array<{ desc: string; spec: SpecResourcesInput }> = [
      { desc: "empty spec", spec: {} },
      { desc: "linux without resources", spec: { linux: {} } },
      { desc: "process without oomScoreAdj", spec: { process: {}, linux: {} } },
      { desc: "windows without resources", spec: { windows: {} } },
    ];
    for (const c of cases) {
      assert.equal(resourcesFromSpec(c.spec), undefined, c.desc);
    }
  });

  it("copies every Linux field the CRI reports", () => {
    const cases: Array<{ desc: string; spec: SpecResourcesInput; want: Partial<LinuxContainerResources> }> = [
      {
        desc: "cpu period, quota, shares and cpuset",
        spec: { linux: { resources: { cpu: { period: 100000, quota: 50000, shares: 512, cpus: "0-1", mems: "0" } } } },
        want: { cpuPeriod: 100000n, cpuQuota: 50000n, cpuShares: 512n, cpusetCpus: "0-1", cpusetMems: "0" },
      },
      {
        desc: "negative quota (unlimited) stays negative",
        spec: { linux: { resources: { cpu: { quota: -1 } } } },
        want: { cpuQuota: -1n },
      },
      {
        desc: "memory limit and swap",
        spec: { linux: { resources: { memory: { limit: 268435456, swap: 536870912 } } } },
        want: { memoryLimitInBytes: 268435456n, memorySwapLimitInBytes: 536870912n },
      },
      {
        desc: "bigint inputs beyond 2^53",
        spec: { linux: { resources: { memory: { limit: 9007199254740993n } } } },
        want: { memoryLimitInBytes: 9007199254740993n },
      },
      {
        desc: "oom_score_adj from process with resources",
        spec: { process: { oomScoreAdj: 1000 }, linux: { resources: {} } },
        want: { oomScoreAdj: 1000n },
      },
      {
        desc: "oom_score_adj alone still gives the Linux part",
        spec: { process: { oomScoreAdj: 999 } },
        want: { oomScoreAdj: 999n, cpuShares: 0n },
      },
      {
        desc: "unified map is copied",
        spec: { linux: { resources: { unified: { "memory.high": "1000000", "io.weight": "default 100" } } } },
        want: { unified: { "memory.high": "1000000", "io.weight": "default 100" } },
      },
    ];
    for (const c of cases) {
      const got = resourcesFromSpec(c.spec);
      assert.ok(got?.linux, c.desc);
      assert.equal(got.windows, undefined, c.desc);
      for (const [k, v] of Object.entries(c.want)) {
        assert.deepEqual((got.linux as unknown as Record<string, unknown>)[k], v, `${c.desc}: ${k}`);
      }
    }
  });

  it("keeps hugepage sizes in the CRI form", () => {
    const got = resourcesFromSpec({
      linux: {
        resources: {
          hugepageLimits: [
            { pageSize: "2MB", limit: 4194304 },
            { pageSize: "1GB", limit: 1073741824 },
          ],
        },
      },
    });
    assert.deepEqual(
      got?.linux?.hugepageLimits.map((h) => [h.pageSize, h.limit]),
      [
        ["2MB", 4194304n],
        ["1GB", 1073741824n],
      ],
    );
  });

  it("copies the Windows cpu and memory fields", () => {
    const got = resourcesFromSpec({
      windows: { resources: { cpu: { shares: 5000, count: 2, maximum: 7500 }, memory: { limit: 1073741824 } } },
    });
    assert.equal(got?.linux, undefined);
    assert.equal(got?.windows?.cpuShares, 5000n);
    assert.equal(got?.windows?.cpuCount, 2n);
    assert.equal(got?.windows?.cpuMaximum, 7500n);
    assert.equal(got?.windows?.memoryLimitInBytes, 1073741824n);
  });

  it("does not alias the spec's unified map", () => {
    const unified = { "pids.max": "10" };
    const got = resourcesFromSpec({ linux: { resources: { unified } } });
    assert.notEqual(got?.linux?.unified, unified);
  });
});

/** Test helper: the OCI `linux.resources` (and oomScoreAdj) a CRI request asks for. */
function ociFromCri(r: LinuxContainerResources): SpecResourcesInput {
  const resources: SpecLinuxResourcesInput = {
    cpu: {
      period: r.cpuPeriod,
      quota: r.cpuQuota,
      shares: r.cpuShares,
      cpus: r.cpusetCpus,
      mems: r.cpusetMems,
    },
    memory: { limit: r.memoryLimitInBytes, swap: r.memorySwapLimitInBytes },
    hugepageLimits: r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: h.limit })),
    unified: r.unified,
  };
  // Round trip through JSON numbers, as a config.json on disk would be read.
  const json = JSON.stringify({ process: { oomScoreAdj: r.oomScoreAdj }, linux: { resources } }, (_k, v: unknown) =>
    typeof v === "bigint" ? Number(v) : v,
  );
  return JSON.parse(json) as SpecResourcesInput;
}

describe("resources round trip", () => {
  it("gives back the CRI resources after CRI to OCI to CRI", () => {
    const cases: Array<{ desc: string; cri: LinuxContainerResources }> = [
      { desc: "all zero", cri: create(LinuxContainerResourcesSchema, {}) },
      {
        desc: "a Guaranteed pod container",
        cri: create(LinuxContainerResourcesSchema, {
          cpuPeriod: 100000n,
          cpuQuota: 200000n,
          cpuShares: 2048n,
          memoryLimitInBytes: 536870912n,
          memorySwapLimitInBytes: 536870912n,
          oomScoreAdj: -997n,
          cpusetCpus: "2-3",
          cpusetMems: "0",
          hugepageLimits: [{ pageSize: "2MB", limit: 2097152n }],
          unified: { "memory.oom.group": "1" },
        }),
      },
      {
        desc: "a BestEffort container",
        cri: create(LinuxContainerResourcesSchema, { cpuShares: 2n, oomScoreAdj: 1000n }),
      },
    ];
    for (const c of cases) {
      const back = resourcesFromSpec(ociFromCri(c.cri));
      assert.deepEqual(back?.linux, c.cri, c.desc);
    }
  });
});

describe("resourcesFromSpec with unusual numbers", () => {
  it("truncates non-integer JSON numbers instead of throwing", () => {
    const got = resourcesFromSpec({
      linux: { resources: { cpu: { shares: 1.9 }, hugepageLimits: [{ pageSize: "2MB", limit: 2.5 }] } },
    });
    assert.equal(got?.linux?.cpuShares, 1n);
    assert.equal(got?.linux?.hugepageLimits[0]?.limit, 2n);
  });

  it("writes the same messages as create() would, field for field, without the CRI descriptor", () => {
    const spec: SpecResourcesInput = {
      process: { oomScoreAdj: -998 },
      linux: { resources: { cpu: { shares: 2, quota: 5000 }, hugepageLimits: [{ pageSize: "2MB", limit: 1048576 }], unified: { "memory.high": "max" } } },
      windows: { resources: { cpu: { count: 2 }, memory: { limit: 1024 } } },
    };
    const got = resourcesFromSpec(spec);
    assert.ok(got?.linux && got.windows);
    // The same values as an init object (no $typeName anywhere), made a message by create().
    const init = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(init) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "$typeName").map(([k, x]) => [k, init(x)])) : v;
    const want = create(ContainerResourcesSchema, init(got) as Parameters<typeof create<typeof ContainerResourcesSchema>>[1]);
    assert.notEqual(want, got);
    assert.deepEqual(got, want);
    assert.deepEqual(Object.keys(got.linux).sort(), Object.keys(create(LinuxContainerResourcesSchema)).sort());
    assert.equal(toBinary(ContainerResourcesSchema, got).length > 0, true);
  });
});
