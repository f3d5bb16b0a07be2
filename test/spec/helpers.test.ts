import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ContainerState, NamespaceMode } from "../../src/cri.js";
import { hasErrorCode } from "../../src/errors.js";
import { cleanPath, isHostNetwork, isInCriMounts, validateTargetContainer } from "../../src/spec/index.js";

describe("cleanPath", () => {
  const cases: Array<[string, string]> = [
    ["", "."],
    ["/", "/"],
    ["//a//b/", "/a/b"],
    ["/a/./b/../c", "/a/c"],
    ["/../a", "/a"],
    ["a/../../b", "../b"],
    ["./", "."],
    ["abc/def/..", "abc"],
  ];
  for (const [input, want] of cases) {
    it(`cleans ${JSON.stringify(input)} to ${JSON.stringify(want)} as Go's path.Clean`, () => assert.equal(cleanPath(input), want));
  }
});

describe("isInCriMounts", () => {
  const mounts = [{ containerPath: "/etc/hosts/" }, { containerPath: "/data//x" }];
  const cases = [
    { desc: "a destination equal after cleaning is found", dst: "/etc/hosts", want: true },
    { desc: "a destination with dot segments is found", dst: "/data/./x", want: true },
    { desc: "a parent of a mount is not a mount", dst: "/data", want: false },
    { desc: "another destination is not found", dst: "/etc/resolv.conf", want: false },
  ];
  for (const c of cases) it(`reports that ${c.desc}`, () => assert.equal(isInCriMounts(c.dst, mounts), c.want));
});

describe("isHostNetwork", () => {
  const cases = [
    { desc: "network NODE is the host network", cfg: { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.NODE } } } }, want: true },
    { desc: "network POD is not", cfg: { linux: { securityContext: { namespaceOptions: { network: NamespaceMode.POD } } } }, want: false },
    { desc: "no security context is not", cfg: { linux: {} }, want: false },
    { desc: "no config is not", cfg: undefined, want: false },
  ];
  for (const c of cases) it(`says ${c.desc}`, () => assert.equal(isHostNetwork(c.cfg), c.want));
});

describe("validateTargetContainer", () => {
  const running = { id: "t1", sandboxId: "s1", state: ContainerState.CONTAINER_RUNNING, pid: 42 };
  it("returns a running target in the same sandbox", () => {
    assert.deepEqual(validateTargetContainer("s1", running), running);
  });
  const bad = [
    { desc: "a missing target is NotFound", target: undefined, code: "NotFound" as const, re: /does not exist: create and start that container in the same pod first/ },
    { desc: "a target in another sandbox is FailedPrecondition", target: { ...running, sandboxId: "s2" }, code: "FailedPrecondition" as const, re: /belongs to sandbox "s2".*of its own pod/ },
    { desc: "a stopped target is FailedPrecondition", target: { ...running, state: ContainerState.CONTAINER_EXITED }, code: "FailedPrecondition" as const, re: /not running: start it first/ },
    { desc: "a created target is FailedPrecondition", target: { ...running, state: ContainerState.CONTAINER_CREATED }, code: "FailedPrecondition" as const, re: /not running: start it first/ },
  ];
  for (const c of bad) {
    it(`rejects it so that ${c.desc}`, () => {
      assert.throws(
        () => validateTargetContainer("s1", c.target, "t1"),
        (e: unknown) => hasErrorCode(e, c.code) && c.re.test(e.message) && e.details.field === "linux.security_context.namespace_options.target_id",
      );
    });
  }
});
