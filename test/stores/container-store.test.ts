import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema } from "../../src/cri.js";
import { CrikitError } from "../../src/errors.js";
import { ContainerStore, containerState, newContainerStatus } from "../../src/stores/index.js";
import type { ContainerMetadata, ContainerStatus } from "../../src/stores/index.js";

const SB1 = "a".repeat(64);
const SB2 = "b".repeat(64);
const cid = (n: number): string => n.toString(16).padStart(4, "0").padEnd(64, "c");

function meta(name: string, sandboxId = SB1): ContainerMetadata {
  return {
    name,
    sandboxId,
    config: create(ContainerConfigSchema, { metadata: { name, attempt: 0 }, image: { image: "docker.io/library/busybox:1.36" } }),
    imageRef: `sha256:${"e".repeat(64)}`,
    logPath: "",
  };
}

function refusal(err: unknown, code: string, message: RegExp): boolean {
  return err instanceof CrikitError && err.code === code && message.test(err.message);
}

describe("containerState", () => {
  const cases: Array<{ desc: string; status: Partial<ContainerStatus>; want: string }> = [
    { desc: "a created container is CREATED", status: {}, want: "CREATED" },
    { desc: "a started container is RUNNING", status: { startedAt: 2n }, want: "RUNNING" },
    { desc: "a finished container is EXITED", status: { startedAt: 2n, finishedAt: 3n }, want: "EXITED" },
    { desc: "a container that failed to start is EXITED", status: { finishedAt: 3n }, want: "EXITED" },
    { desc: "the unknown flag wins over timestamps", status: { startedAt: 2n, unknown: true }, want: "UNKNOWN" },
    { desc: "no timestamps at all is UNKNOWN", status: { createdAt: 0n }, want: "UNKNOWN" },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      assert.equal(containerState(newContainerStatus(1n, c.status)), c.want);
    });
  }

  it("fills a new status with zero values", () => {
    assert.deepEqual(newContainerStatus(5n), {
      createdAt: 5n,
      startedAt: 0n,
      finishedAt: 0n,
      exitCode: 0,
      reason: "",
      message: "",
      pid: 0,
      unknown: false,
      starting: false,
      removing: false,
    });
  });
});

describe("ContainerStore", () => {
  it("follows CREATED, RUNNING, EXITED through updates", () => {
    const s = new ContainerStore();
    s.add(cid(1), meta("app"), newContainerStatus(100n));
    assert.equal(containerState(s.get(cid(1)).status), "CREATED");
    s.update(cid(1), (st) => ({ ...st, startedAt: 200n, pid: 4242 }));
    assert.equal(containerState(s.get(cid(1)).status), "RUNNING");
    const done = s.update(cid(1), (st) => ({ ...st, finishedAt: 300n, exitCode: 137, reason: "OOMKilled", pid: 0 }));
    assert.equal(containerState(done.status), "EXITED");
    assert.equal(done.status.exitCode, 137);
    assert.equal(s.get(cid(1).slice(0, 4)).status.reason, "OOMKilled");
  });

  it("moves a container that failed to start from CREATED to EXITED", () => {
    const s = new ContainerStore();
    s.add(cid(1), meta("app"), newContainerStatus(100n));
    s.update(cid(1), (st) => ({ ...st, finishedAt: 150n, exitCode: 128, reason: "StartError" }));
    assert.equal(containerState(s.get(cid(1)).status), "EXITED");
  });

  const refused: Array<{ desc: string; from: Partial<ContainerStatus>; to: Partial<ContainerStatus>; message: RegExp }> = [
    { desc: "changing createdAt", from: {}, to: { createdAt: 101n }, message: /createdAt cannot change/ },
    { desc: "changing startedAt once set", from: { startedAt: 200n }, to: { startedAt: 201n }, message: /startedAt is already set/ },
    { desc: "clearing startedAt", from: { startedAt: 200n }, to: { startedAt: 0n }, message: /startedAt is already set/ },
    { desc: "changing finishedAt once set", from: { startedAt: 200n, finishedAt: 300n }, to: { finishedAt: 301n }, message: /finishedAt is already set/ },
    { desc: "starting an exited container", from: { finishedAt: 300n }, to: { startedAt: 400n }, message: /has exited and cannot start again/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.desc} with FailedPrecondition and keeps the status`, () => {
      const s = new ContainerStore();
      const before = s.add(cid(1), meta("app"), newContainerStatus(100n, c.from));
      assert.throws(
        () => s.update(cid(1), (st) => ({ ...st, ...c.to })),
        (err: unknown) => refusal(err, "FailedPrecondition", c.message) && (err as CrikitError).message.startsWith(`container "${cid(1)}": `),
      );
      assert.equal(s.get(cid(1)), before);
    });
  }

  it("allows flag changes in any state", () => {
    const s = new ContainerStore();
    s.add(cid(1), meta("app"), newContainerStatus(100n, { startedAt: 1n, finishedAt: 2n }));
    s.update(cid(1), (st) => ({ ...st, removing: true, unknown: true }));
    assert.equal(containerState(s.get(cid(1)).status), "UNKNOWN");
    s.update(cid(1), (st) => ({ ...st, unknown: false }));
    assert.equal(containerState(s.get(cid(1)).status), "EXITED");
  });

  const badAdds: Array<{ desc: string; meta: ContainerMetadata; status: ContainerStatus; field: string }> = [
    { desc: "an empty name", meta: meta(""), status: newContainerStatus(1n), field: "metadata.name" },
    { desc: "an empty sandbox ID", meta: { ...meta("x"), sandboxId: "" }, status: newContainerStatus(1n), field: "metadata.sandboxId" },
    { desc: "an unset createdAt", meta: meta("x"), status: newContainerStatus(0n), field: "status.createdAt" },
    { desc: "a number timestamp", meta: meta("x"), status: { ...newContainerStatus(1n), startedAt: 5 as unknown as bigint }, field: "status.startedAt" },
    { desc: "a negative timestamp", meta: meta("x"), status: newContainerStatus(-1n), field: "status.createdAt" },
  ];
  for (const c of badAdds) {
    it(`refuses to add a container with ${c.desc}`, () => {
      const s = new ContainerStore();
      assert.throws(() => s.add(cid(1), c.meta, c.status), (err: unknown) => err instanceof CrikitError && err.code === "InvalidArgument" && err.details["field"] === c.field);
      assert.equal(s.size, 0);
    });
  }

  it("lists containers by sandbox in creation order", () => {
    const s = new ContainerStore();
    s.add(cid(1), meta("b", SB1), newContainerStatus(20n));
    s.add(cid(2), meta("x", SB2), newContainerStatus(10n));
    s.add(cid(3), meta("a", SB1), newContainerStatus(10n));
    assert.deepEqual(s.listBySandbox(SB1).map((r) => r.metadata.name), ["a", "b"]);
    assert.deepEqual(s.listBySandbox(SB2).map((r) => r.metadata.name), ["x"]);
    s.delete(cid(3));
    assert.deepEqual(s.listBySandbox(SB1).map((r) => r.metadata.name), ["b"]);
    s.delete(cid(2));
    assert.deepEqual(s.listBySandbox(SB2), []);
    assert.deepEqual(s.list().map((r) => r.metadata.name), ["b"]);
  });

  it("names containers in its NotFound errors", () => {
    const s = new ContainerStore();
    assert.throws(() => s.get("abc"), (err: unknown) => refusal(err, "NotFound", /^container "abc" not found$/));
  });

  it("keeps the CRI config readable, with env values as bytes", () => {
    const s = new ContainerStore();
    const m = meta("app");
    const withEnv = { ...m, config: create(ContainerConfigSchema, { metadata: { name: "app" }, envs: [{ key: "A", value: new TextEncoder().encode("1") }] }) };
    const rec = s.add(cid(1), withEnv, newContainerStatus(1n));
    assert.equal(new TextDecoder().decode(rec.metadata.config.envs[0]?.value), "1");
    assert.ok(Object.isFrozen(rec.metadata.config.envs));
  });
});
