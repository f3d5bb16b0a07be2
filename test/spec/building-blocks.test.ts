import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { LinuxContainerResourcesSchema } from "../../src/cri.js";
import { hasErrorCode } from "../../src/errors.js";
import { anonymousVolumes, cgroupsPath, containerArgs, effectiveOomScoreAdj, generateContainerSpec, mergeEnv, resourcesToOci } from "../../src/spec/index.js";
import { containerInit, podConfig } from "./fixtures.js";

describe("cgroupsPath", () => {
  const cases = [
    { desc: "cgroupfs joins parent and id", driver: "cgroupfs" as const, parent: "/kubepods/pod1", want: "/kubepods/pod1/c1" },
    { desc: "cgroupfs drops a trailing slash", driver: "cgroupfs" as const, parent: "/kubepods/", want: "/kubepods/c1" },
    { desc: "cgroupfs without a parent is the id", driver: "cgroupfs" as const, parent: "", want: "c1" },
    { desc: "systemd uses the last slice", driver: "systemd" as const, parent: "/kubepods.slice/kubepods-pod1.slice", want: "kubepods-pod1.slice:crikit:c1" },
    { desc: "systemd falls back to system.slice", driver: "systemd" as const, parent: "/kubepods", want: "system.slice:crikit:c1" },
  ];
  for (const c of cases) it(`builds paths so that ${c.desc}`, () => assert.equal(cgroupsPath(c.driver, c.parent, "c1"), c.want));
  it("takes a systemd prefix", () => assert.equal(cgroupsPath("systemd", "a.slice", "c1", "cri-containerd"), "a.slice:cri-containerd:c1"));
});

describe("small builders", () => {
  it("leaves zero resources out of the OCI resources", () => {
    assert.deepEqual(resourcesToOci(create(LinuxContainerResourcesSchema, {})), {});
    assert.deepEqual(resourcesToOci(create(LinuxContainerResourcesSchema, { cpuShares: 2n }), { devices: [{ allow: false, access: "rwm" }] }), {
      devices: [{ allow: false, access: "rwm" }],
      cpu: { shares: 2 },
    });
  });

  const oom = [
    { desc: "without restriction a negative value is kept", value: -500, input: {}, want: -500 },
    { desc: "with restriction it is clamped to 0 by default", value: -500, input: { restrictOomScoreAdj: true }, want: 0 },
    { desc: "with restriction it is clamped to the runtime's own value", value: 100, input: { restrictOomScoreAdj: true, currentOomScoreAdj: 200 }, want: 200 },
    { desc: "a value above the runtime's own is kept", value: 900, input: { restrictOomScoreAdj: true, currentOomScoreAdj: 200 }, want: 900 },
  ];
  for (const c of oom) it(`computes oom_score_adj so that ${c.desc}`, () => assert.equal(effectiveOomScoreAdj(c.value, c.input), c.want));

  it("merges env entries by key in place", () => {
    assert.deepEqual(mergeEnv(["A=1", "B=2"], ["B=3", "C=4", "A=5", "EMPTY="]), ["A=5", "B=3", "C=4", "EMPTY="]);
  });

  const args = [
    { desc: "image entrypoint and cmd", command: [], args: [], want: ["ep", "cmd"] },
    { desc: "args replace cmd", command: [], args: ["x"], want: ["ep", "x"] },
    { desc: "command drops entrypoint and cmd", command: ["c"], args: [], want: ["c"] },
  ];
  for (const c of args) {
    it(`builds argv from ${c.desc}`, () => assert.deepEqual(containerArgs(c.command, c.args, { Entrypoint: ["ep"], Cmd: ["cmd"] }), c.want));
  }
  it("refuses an empty argv naming the command field", () => {
    assert.throws(() => containerArgs([], [], {}), (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details.field === "command");
  });

  it("names anonymous volumes after their paths and skips those a CRI mount covers", () => {
    assert.deepEqual(anonymousVolumes({ Volumes: { "/var/lib/db/": {}, "/data": {}, "relative": {} } }, "/v", [{ containerPath: "/data" }]), [
      { containerPath: "/var/lib/db", hostPath: "/v/var_lib_db" },
    ]);
    assert.deepEqual(anonymousVolumes({ Volumes: { "/x": {} } }, undefined, []), []);
  });

  it("writes the requested ociVersion, 1.2.1 by default", () => {
    assert.equal(generateContainerSpec(containerInit()).ociVersion, "1.2.1");
    assert.equal(generateContainerSpec(containerInit({ ociVersion: "1.1.0" })).ociVersion, "1.1.0");
  });

  it("passes container annotations matching the container patterns", () => {
    const spec = generateContainerSpec(
      containerInit({ containerAnnotationPatterns: ["example.com/*"] }, { annotations: { "example.com/x": "1", "other.io/y": "2" } }, podConfig()),
    );
    assert.equal(spec.annotations?.["example.com/x"], "1");
    assert.equal(spec.annotations?.["other.io/y"], undefined);
  });
});
