/**
 * The default cgroup reader over fake proc and cgroup trees (a v2-only host
 * and a v1 hybrid host laid out in a temp dir), and over this machine's own
 * /proc for the running test process.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readlink, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCgroupReader } from "../../src/stats/index.js";
import { NET_DEV, V1_MEMORY_STAT, V2_CPU_STAT, V2_MEMORY_STAT } from "./fixtures.js";

/** This process's open descriptors whose target is under `dir`. */
async function fdsUnder(dir: string): Promise<number> {
  let n = 0;
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    if (target.startsWith(`${dir}/`)) n++;
  }
  return n;
}

async function files(dir: string, entries: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(entries)) await writeFile(join(dir, name), text);
}

describe("createCgroupReader", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-cgroup-reader-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads a container on a cgroup v2 only host", async () => {
    const sys = join(dir, "v2", "sys");
    const proc = join(dir, "v2", "proc");
    const cg = join(sys, "kubepods.slice", "pod1.slice", "crikit-c1.scope");
    await files(cg, { "cpu.stat": V2_CPU_STAT, "memory.current": "58720256\n", "memory.max": "268435456\n", "memory.stat": V2_MEMORY_STAT, "memory.swap.current": "0\n", "memory.swap.max": "max\n", "pids.current": "3\n" });
    await files(join(proc, "4242"), { cgroup: "0::/kubepods.slice/pod1.slice/crikit-c1.scope\n" });
    await files(join(proc, "4242", "net"), { dev: NET_DEV });
    const reader = createCgroupReader({ procRoot: proc, mountinfo: `26 23 0:24 / ${sys} rw - cgroup2 cgroup2 rw\n`, nowNs: () => 77n });
    const loc = await reader.locateProcess(4242);
    assert.deepEqual(loc?.memory, { version: 2, dir: cg });
    const s = await reader.read(loc ?? {}, { pids: true });
    assert.deepEqual(s, {
      timestampNs: 77n,
      cpuUsageNs: 2500123000n,
      memory: { usage: 58720256n, limit: 268435456n, inactiveFile: 8388608n, rss: 44040192n, pageFaults: 15843n, majorPageFaults: 7n },
      swap: { usage: 0n, limit: undefined },
      pids: 3n,
    });
    assert.equal((await reader.read(loc ?? {}))?.pids, undefined, "pids only when asked");
    assert.deepEqual((await reader.netDev(4242))?.map((i) => i.name), ["eth0", "net1"]);
    await files(cg, { "memory.events": "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n", "memory.peak": "60000000\n", "pids.max": "max\n", "cgroup.procs": "10\n11\n" });
    const d = (await reader.read(loc ?? {}, { pids: true, detail: true }))?.detail;
    assert.equal(d?.cpuUserNs, 2_000_000_000n, "cpu.stat user_usec");
    assert.equal(d?.memoryFailcnt, 2n, "memory.events max");
    assert.equal(d?.oomKills, 1n);
    assert.equal(d?.memoryMaxUsageBytes, 60000000n);
    assert.equal(d?.processes, 2n);
    assert.equal(d?.threads, 3n);
    const pod = await reader.read(await reader.locatePath("/kubepods.slice/pod1.slice"));
    assert.equal(pod, undefined, "a cgroup directory without files reads as gone");
  });

  it("reads a container on a v1 hybrid host from cpuacct, memory and pids", async () => {
    const sys = join(dir, "v1", "sys");
    const proc = join(dir, "v1", "proc");
    const path = "crikit-test/c2";
    await files(join(sys, "cpuacct", path), { "cpuacct.usage": "123456789\n" });
    await files(join(sys, "memory", path), { "memory.usage_in_bytes": "60000000\n", "memory.limit_in_bytes": "9223372036854771712\n", "memory.stat": V1_MEMORY_STAT });
    await files(join(sys, "pids", path), { "pids.current": "2\n" });
    await files(join(sys, "unified", path), { "cpu.stat": "usage_usec 1\n" });
    await files(join(proc, "99"), { cgroup: `8:pids:/${path}\n4:memory:/${path}\n2:cpuacct:/${path}\n1:cpu:/${path}\n0::/${path}\n` });
    const mountinfo = ["cpu", "cpuacct", "memory", "pids"].map((c, i) => `3${i} 31 0:2${i} / ${join(sys, c)} rw - cgroup cgroup rw,${c}`).join("\n") + `\n41 31 0:38 / ${join(sys, "unified")} rw - cgroup2 cgroup2 rw\n`;
    const reader = createCgroupReader({ procRoot: proc, mountinfo });
    const s = await reader.read((await reader.locateProcess(99)) ?? {}, { pids: true });
    assert.equal(s?.cpuUsageNs, 123456789n, "CPU from cpuacct.usage, not from the unified hierarchy");
    assert.equal(s?.memory?.limit, undefined, "the v1 unlimited value is no limit");
    assert.equal(s?.memory?.inactiveFile, 13129344n);
    assert.deepEqual(s?.swap, { usage: 0n, limit: undefined }, "swap from memory.stat's total_swap (memory.memsw.* is not read)");
    assert.equal(s?.pids, 2n);
    await files(join(sys, "cpu", path), { "cpu.stat": "nr_periods 9\nnr_throttled 4\nthrottled_time 2000000000\n" });
    await files(join(sys, "cpuacct", path), { "cpuacct.stat": "user 120\nsystem 30\n" });
    await files(join(sys, "memory", path), { "memory.failcnt": "0\n", "memory.max_usage_in_bytes": "70000000\n", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n" });
    await files(join(sys, "pids", path), { "pids.max": "64\n", "cgroup.procs": "5\n" });
    const loc = (await reader.locateProcess(99)) ?? {};
    const d = (await reader.read(loc, { pids: true, detail: true }))?.detail;
    assert.deepEqual(d, {
      cpuUserNs: 1_200_000_000n,
      cpuSystemNs: 300_000_000n,
      cfsPeriods: 9n,
      cfsThrottledPeriods: 4n,
      cfsThrottledNs: 2_000_000_000n,
      cacheBytes: 18228864n,
      mappedFileBytes: 0n,
      memoryFailcnt: 0n,
      memoryMaxUsageBytes: 70000000n,
      oomKills: 0n,
      threads: 2n,
      threadsMax: 64n,
      processes: 1n,
    }, "throttling from the cpu controller mounted apart from cpuacct");
    reader.release?.(loc);
    assert.equal(await fdsUnder(sys), 0, "release closes the cpu controller's files too");
  });

  it("keeps files open between reads, sees new contents, and closes them on release and close", async () => {
    const sys = join(dir, "fds", "sys");
    const cg = join(sys, "c3");
    await files(cg, { "cpu.stat": "usage_usec 1\n", "memory.current": "100\n", "memory.max": "max\n", "memory.stat": "anon 5\n" });
    const reader = createCgroupReader({ procRoot: join(dir, "noproc"), mountinfo: `26 23 0:24 / ${sys} rw - cgroup2 cgroup2 rw\n` });
    const loc = await reader.locatePath("/c3");
    assert.equal((await reader.read(loc))?.cpuUsageNs, 1000n);
    assert.equal(await fdsUnder(cg), 4, "cpu.stat, memory.current, memory.max and memory.stat stay open");
    await writeFile(join(cg, "cpu.stat"), "usage_usec 2\n");
    assert.equal((await reader.read(loc))?.cpuUsageNs, 2000n, "a kept file is read again from the start");
    assert.equal(await fdsUnder(cg), 4, "no new descriptor for a second read");
    reader.release?.(loc);
    assert.equal(await fdsUnder(cg), 0);
    await reader.read(loc);
    reader.close?.();
    assert.equal(await fdsUnder(cg), 0);
    const none = createCgroupReader({ procRoot: join(dir, "noproc"), mountinfo: `26 23 0:24 / ${sys} rw - cgroup2 cgroup2 rw\n`, maxOpenFiles: 0 });
    assert.equal((await none.read(loc))?.cpuUsageNs, 2000n);
    assert.equal(await fdsUnder(cg), 0, "maxOpenFiles 0 keeps nothing open");
  });

  it("reads a removed cgroup as gone and closes its files (a real cgroup on this machine)", async () => {
    const reader = createCgroupReader();
    const name = `/crikit-test-reader-${randomBytes(3).toString("hex")}`;
    const loc = await reader.locatePath(name);
    const dirs = [...new Set([loc.cpu?.dir, loc.memory?.dir].filter((d): d is string => d !== undefined))];
    assert.ok(dirs.length > 0, `a cpu or memory hierarchy is mounted: ${JSON.stringify(loc)}`);
    try {
      for (const d of dirs) await mkdir(d);
      const s = await reader.read(loc);
      assert.notEqual(s, undefined, "a new cgroup reads");
      assert.equal(s?.memory?.usage, 0n, "with nothing in it");
      assert.ok((await Promise.all(dirs.map(fdsUnder))).reduce((a, b) => a + b) > 0, "its files are kept open");
      for (const d of dirs) await rmdir(d);
      assert.equal(await reader.read(loc), undefined, "a removed cgroup reads as gone");
      assert.equal((await Promise.all(dirs.map(fdsUnder))).reduce((a, b) => a + b), 0, "its files were closed");
    } finally {
      reader.close?.();
      for (const d of dirs) await rmdir(d).catch(() => undefined);
    }
  });

  it("answers undefined for a process that is gone", async () => {
    const reader = createCgroupReader({ procRoot: join(dir, "noproc"), mountinfo: "" });
    assert.equal(await reader.locateProcess(12345), undefined);
    assert.equal(await reader.netDev(12345), undefined);
    assert.equal(await reader.read({}), undefined);
  });

  it("reads this test process's own cgroup and network namespace on this machine", async () => {
    const reader = createCgroupReader();
    const loc = await reader.locateProcess(process.pid);
    assert.ok(loc?.cpu && loc.memory, `cpu and memory cgroups found: ${JSON.stringify(loc)}`);
    const s = await reader.read(loc);
    assert.ok((s?.cpuUsageNs ?? 0n) > 0n, "the cgroup has used CPU");
    assert.ok((s?.memory?.usage ?? 0n) > 0n, "the cgroup uses memory");
    assert.ok(Array.isArray(await reader.netDev(process.pid)));
  });
});
