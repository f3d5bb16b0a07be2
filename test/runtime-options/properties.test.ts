import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { equals } from "@bufbuild/protobuf";
import { stringify } from "smol-toml";
import {
  RuncOptionsSchema,
  RuntimeType,
  decodeRuntimeOptions,
  runtimeOptionsFromAny,
  runtimeOptionsToAny,
} from "../../src/runtime-options/index.js";

const runcSection = fc.record(
  {
    BinaryName: fc.string(),
    Root: fc.string(),
    SystemdCgroup: fc.boolean(),
    NoPivotRoot: fc.boolean(),
    NoNewKeyring: fc.boolean(),
    IoUid: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    IoGid: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    ShimCgroup: fc.string(),
    CriuPath: fc.string(),
    CriuImagePath: fc.string(),
    CriuWorkPath: fc.string(),
  },
  { requiredKeys: [] },
);

describe("runtime options properties", () => {
  it("round-trips any runc section from TOML text through Any", () => {
    fc.assert(
      fc.property(runcSection, (section) => {
        const decoded = decodeRuntimeOptions(RuntimeType.RuncV2, stringify(section));
        assert.equal(decoded.kind, "runc");
        const back = runtimeOptionsFromAny(runtimeOptionsToAny(decoded));
        assert.ok(back.kind === "runc" && decoded.kind === "runc");
        assert.ok(equals(RuncOptionsSchema, back.options, decoded.options));
        assert.equal(back.options.binaryName, section.BinaryName ?? "");
        assert.equal(back.options.ioGid, section.IoGid ?? 0);
        assert.equal(back.options.systemdCgroup, section.SystemdCgroup ?? false);
      }),
      { numRuns: 200 },
    );
  });
});
