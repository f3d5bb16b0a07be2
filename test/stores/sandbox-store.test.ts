import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { PodSandboxConfigSchema } from "../../src/cri.js";
import { CrikitError } from "../../src/errors.js";
import { SandboxStore, newSandboxStatus, sandboxState } from "../../src/stores/index.js";
import type { SandboxMetadata, SandboxStatus } from "../../src/stores/index.js";

const sid = (n: number): string => n.toString(16).padStart(4, "0").padEnd(64, "5");

function meta(name: string): SandboxMetadata {
  return {
    name,
    config: create(PodSandboxConfigSchema, { metadata: { name: "web", namespace: "default", uid: "u1", attempt: 0 } }),
    runtimeHandler: "",
  };
}

describe("sandboxState", () => {
  const cases: Array<{ desc: string; status: Partial<SandboxStatus>; want: string }> = [
    { desc: "a sandbox being set up is NOTREADY", status: {}, want: "NOTREADY" },
    { desc: "a set-up sandbox is READY", status: { readyAt: 2n }, want: "READY" },
    { desc: "a stopped sandbox is NOTREADY", status: { readyAt: 2n, stoppedAt: 3n }, want: "NOTREADY" },
    { desc: "a sandbox whose setup failed is NOTREADY", status: { stoppedAt: 3n }, want: "NOTREADY" },
    { desc: "an unknown sandbox is NOTREADY", status: { readyAt: 2n, unknown: true }, want: "NOTREADY" },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      assert.equal(sandboxState(newSandboxStatus(1n, c.status)), c.want);
    });
  }

  it("fills a new status with zero values", () => {
    assert.deepEqual(newSandboxStatus(7n), { createdAt: 7n, readyAt: 0n, stoppedAt: 0n, pid: 0, netnsPath: "", ip: "", additionalIps: [], unknown: false });
  });
});

describe("SandboxStore", () => {
  it("follows NOTREADY, READY, NOTREADY through updates", () => {
    const s = new SandboxStore();
    s.add(sid(1), meta("web_default_u1_0"), newSandboxStatus(100n));
    assert.equal(sandboxState(s.get(sid(1)).status), "NOTREADY");
    s.update(sid(1), (st) => ({ ...st, readyAt: 200n, pid: 77, netnsPath: "/run/netns/x", ip: "10.88.0.5", additionalIps: ["fd00::5"] }));
    assert.equal(sandboxState(s.get(sid(1)).status), "READY");
    assert.ok(Object.isFrozen(s.get(sid(1)).status.additionalIps));
    s.update(sid(1), (st) => ({ ...st, stoppedAt: 300n, pid: 0 }));
    assert.equal(sandboxState(s.get(sid(1)).status), "NOTREADY");
  });

  const refused: Array<{ desc: string; from: Partial<SandboxStatus>; to: Partial<SandboxStatus>; message: RegExp }> = [
    { desc: "changing createdAt", from: {}, to: { createdAt: 1n }, message: /createdAt cannot change/ },
    { desc: "changing readyAt once set", from: { readyAt: 200n }, to: { readyAt: 0n }, message: /readyAt is already set/ },
    { desc: "changing stoppedAt once set", from: { stoppedAt: 300n }, to: { stoppedAt: 0n }, message: /stoppedAt is already set/ },
    { desc: "making a stopped sandbox ready again", from: { stoppedAt: 300n }, to: { readyAt: 400n }, message: /stopped and cannot become ready again/ },
    { desc: "a timestamp that is not a bigint", from: {}, to: { readyAt: 5 as unknown as bigint }, message: /non-negative bigint/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.desc} and keeps the status`, () => {
      const s = new SandboxStore();
      const before = s.add(sid(1), meta("n"), newSandboxStatus(100n, c.from));
      assert.throws(() => s.update(sid(1), (st) => ({ ...st, ...c.to })), (err: unknown) => err instanceof CrikitError && c.message.test(err.message));
      assert.equal(s.get(sid(1)), before);
    });
  }

  it("uses FailedPrecondition for a refused transition", () => {
    const s = new SandboxStore();
    s.add(sid(1), meta("n"), newSandboxStatus(100n, { stoppedAt: 5n }));
    assert.throws(() => s.update(sid(1), (st) => ({ ...st, readyAt: 6n })), (err: unknown) => err instanceof CrikitError && err.code === "FailedPrecondition" && err.details["field"] === "readyAt");
  });

  const badAdds: Array<{ desc: string; meta: SandboxMetadata; status: SandboxStatus; field: string }> = [
    { desc: "an empty name", meta: meta(""), status: newSandboxStatus(1n), field: "metadata.name" },
    { desc: "an unset createdAt", meta: meta("n"), status: newSandboxStatus(0n), field: "status.createdAt" },
  ];
  for (const c of badAdds) {
    it(`refuses to add a sandbox with ${c.desc}`, () => {
      const s = new SandboxStore();
      assert.throws(() => s.add(sid(1), c.meta, c.status), (err: unknown) => err instanceof CrikitError && err.code === "InvalidArgument" && err.details["field"] === c.field);
    });
  }

  it("lists sandboxes in creation order and names sandboxes in errors", () => {
    const s = new SandboxStore();
    s.add(sid(1), meta("late"), newSandboxStatus(9n));
    s.add(sid(2), meta("early"), newSandboxStatus(3n));
    assert.deepEqual(s.list().map((r) => r.metadata.name), ["early", "late"]);
    assert.throws(() => s.add(sid(2), meta("again"), newSandboxStatus(4n)), (err: unknown) => err instanceof CrikitError && err.code === "AlreadyExists" && /^sandbox "/.test(err.message));
    assert.throws(() => s.get("ffff"), (err: unknown) => err instanceof CrikitError && err.code === "NotFound" && err.message === 'sandbox "ffff" not found');
  });
});
