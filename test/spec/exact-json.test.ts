/**
 * int64 values stay exact from the CRI request to config.json and back to
 * the CRI status: resourcesToOci keeps values beyond 2^53 as bigints,
 * stringifyExactJson writes their digits, parseExactJson reads them back,
 * and resourcesFromSpec reports them unchanged.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { cri, parseExactJson, resourcesFromSpec, resourcesToOci, specInt, stringifyExactJson, type OciSpec } from "../../src/index.js";

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

describe("exact JSON for OCI specs", () => {
  it("writes a bigint as its digits and reads it back exactly", () => {
    const text = stringifyExactJson({ a: I64_MAX, b: [I64_MIN, 1n], c: 1.5, d: "9223372036854775807", e: null });
    assert.equal(text, '{"a":9223372036854775807,"b":[-9223372036854775808,1],"c":1.5,"d":"9223372036854775807","e":null}');
    assert.deepEqual(parseExactJson(text), { a: I64_MAX, b: [I64_MIN, 1], c: 1.5, d: "9223372036854775807", e: null });
  });

  it("keeps numbers that fit as numbers, and non-integers as JSON.parse reads them", () => {
    assert.equal(specInt(9007199254740991n), 9007199254740991);
    assert.equal(specInt(9007199254740992n), 9007199254740992n);
    assert.deepEqual(parseExactJson("[1e300, 12345678901234567890.5, -0]"), [1e300, 12345678901234567890.5, -0]);
  });

  it("carries 2^63-1 from CRI resources to config.json and back to the CRI status", () => {
    const req = create(cri.LinuxContainerResourcesSchema, {
      cpuQuota: I64_MAX,
      cpuPeriod: 100_000n,
      cpuShares: I64_MAX,
      memoryLimitInBytes: I64_MAX,
      memorySwapLimitInBytes: I64_MAX,
      hugepageLimits: [{ pageSize: "2MB", limit: (1n << 64n) - 1n }],
    });
    const spec: OciSpec = { ociVersion: "1.2.0", linux: { resources: resourcesToOci(req) }, process: { cwd: "/", oomScoreAdj: 5 } };
    const text = stringifyExactJson(spec);
    assert.match(text, /"quota":9223372036854775807/);
    assert.match(text, /"limit":9223372036854775807/);
    assert.match(text, /"limit":18446744073709551615/);
    assert.doesNotMatch(text, /9223372036854776000/);
    const back = resourcesFromSpec(parseExactJson(text) as OciSpec);
    const l = back?.linux;
    assert.equal(l?.cpuQuota, I64_MAX);
    assert.equal(l?.cpuShares, I64_MAX);
    assert.equal(l?.cpuPeriod, 100_000n);
    assert.equal(l?.memoryLimitInBytes, I64_MAX);
    assert.equal(l?.memorySwapLimitInBytes, I64_MAX);
    assert.equal(l?.hugepageLimits[0]?.limit, (1n << 64n) - 1n);
    assert.equal(l?.oomScoreAdj, 5n);
  });

  it("reads a spec written with plain JSON.stringify without overflowing int64", () => {
    const back = resourcesFromSpec(JSON.parse('{"linux":{"resources":{"cpu":{"quota":9223372036854775807}}}}') as OciSpec);
    assert.equal(typeof back?.linux?.cpuQuota, "bigint");
  });
});
