import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasErrorCode } from "../../src/errors.js";
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, capabilityMask, computeCapabilities, normalizeCapability } from "../../src/spec/index.js";

describe("normalizeCapability", () => {
  const cases: Array<[string, string | undefined]> = [
    ["NET_ADMIN", "CAP_NET_ADMIN"],
    ["cap_net_admin", "CAP_NET_ADMIN"],
    ["CAP_SYS_ADMIN", "CAP_SYS_ADMIN"],
    ["all", "ALL"],
    ["CAP_FLY", undefined],
  ];
  for (const [name, want] of cases) it(`normalizes ${name} to ${String(want)}`, () => assert.equal(normalizeCapability(name), want));
});

describe("computeCapabilities", () => {
  const without = (list: readonly string[], ...drop: string[]): string[] => list.filter((c) => !drop.includes(c));
  const cases = [
    { desc: "no request gives the default set", req: {}, want: [...DEFAULT_CAPABILITIES] },
    { desc: "add appends and drop removes", req: { add: ["NET_ADMIN"], drop: ["CHOWN"] }, want: [...without(DEFAULT_CAPABILITIES, "CAP_CHOWN"), "CAP_NET_ADMIN"] },
    { desc: "drop ALL then add keeps only the added", req: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] }, want: ["CAP_NET_BIND_SERVICE"] },
    { desc: "add ALL gives every host capability", req: { add: ["ALL"], hostCapabilities: ["CAP_CHOWN", "CAP_BPF"] }, want: ["CAP_CHOWN", "CAP_BPF"] },
    { desc: "add ALL minus a drop", req: { add: ["ALL"], drop: ["SYS_ADMIN"] }, want: without(ALL_CAPABILITIES, "CAP_SYS_ADMIN") },
    { desc: "privileged gets every host capability", req: { privileged: true, hostCapabilities: ["CAP_KILL"] }, want: ["CAP_KILL"] },
  ];
  for (const c of cases) {
    it(`computes so that ${c.desc}`, () => {
      const caps = computeCapabilities(c.req);
      assert.deepEqual(caps.bounding, c.want);
      assert.deepEqual(caps.effective, c.want);
      assert.deepEqual(caps.permitted, c.want);
      assert.equal(caps.inheritable, undefined);
    });
  }

  it("puts ambient capabilities in every set", () => {
    const caps = computeCapabilities({ ambient: ["NET_ADMIN"] });
    for (const set of [caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient]) assert.ok(set?.includes("CAP_NET_ADMIN"));
    assert.deepEqual(caps.ambient, ["CAP_NET_ADMIN"]);
  });

  it("refuses an unknown capability with InvalidArgument naming its field", () => {
    assert.throws(
      () => computeCapabilities({ add: ["NET_ADMIN", "CAP_FLY"] }),
      (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details.field === "linux.security_context.capabilities.add_capabilities[1]",
    );
    assert.throws(
      () => computeCapabilities({ drop: ["nope"] }),
      (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details.field === "linux.security_context.capabilities.drop_capabilities[0]",
    );
  });

  it("prints masks as /proc/self/status does", () => {
    assert.equal(capabilityMask(DEFAULT_CAPABILITIES), "00000000a80425fb");
    assert.equal(capabilityMask(ALL_CAPABILITIES), "000001ffffffffff");
  });
});
