/**
 * Host facts the service reads for spec generation: the rlimits an OCI
 * runtime started by this process can set, and whether swap can be limited.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grantableRlimits, swapControllerAvailable } from "../../src/server/index.js";

const ownHardNofile = Number(
  readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"))
    ?.slice("Max open files".length)
    .trim()
    .split(/\s+/)[1],
);
const capEff = BigInt(`0x${readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("CapEff:"))?.split(/\s+/)[1] ?? "0"}`);
const hasSysResource = ((capEff >> 24n) & 1n) === 1n;

describe("grantableRlimits", () => {
  it("keeps limits within this process' own", () => {
    const want = [{ type: "RLIMIT_NOFILE", soft: 64, hard: 128 }];
    assert.deepEqual(grantableRlimits(want), { rlimits: want, clamped: [] });
  });

  it("lowers a hard limit above this process' own unless it holds CAP_SYS_RESOURCE, and the soft limit with it", () => {
    const r = grantableRlimits([{ type: "RLIMIT_NOFILE", soft: 1048576 * 2, hard: 1048576 * 2 }]);
    if (hasSysResource || !Number.isFinite(ownHardNofile)) {
      assert.deepEqual(r.clamped, []);
    } else {
      assert.deepEqual(r.rlimits, [{ type: "RLIMIT_NOFILE", soft: ownHardNofile, hard: ownHardNofile }]);
      assert.equal(r.clamped.length, 1);
    }
  });
});

describe("swapControllerAvailable", () => {
  let tmp = "";
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "crikit-swap-"));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("is true for a cgroup v1 memory hierarchy with swap accounting", async () => {
    await mkdir(join(tmp, "v1", "memory"), { recursive: true });
    await writeFile(join(tmp, "v1", "memory", "memory.memsw.limit_in_bytes"), "9223372036854771712\n");
    assert.equal(swapControllerAvailable(join(tmp, "v1")), true);
  });

  it("is false without swap accounting or a v2 memory controller", async () => {
    await mkdir(join(tmp, "none", "memory"), { recursive: true });
    assert.equal(swapControllerAvailable(join(tmp, "none")), false);
  });
});
