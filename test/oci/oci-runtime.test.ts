/**
 * Integration tests of OciRuntime with real runc and crun, conmon and a
 * busybox-static rootfs. Each suite runs once per runtime. After each test
 * we check that nothing leaked: no conmon or runtime process for the test's
 * container ids, no container process, no runtime or adapter state dir, no
 * mount, no cgroup.
 */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rename, rm, readdir, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { OciRuntime, isRuntimeCommandError, parseCriLog, joinCriLogLines } from "../../src/oci/index.js";
import { hasErrorCode } from "../../src/errors.js";
import { makeBundle, testRuntimes, removeTestCgroup, leftoverCgroups, processesMatching, pidAlive, mountsMatching, pathExists, waitFor } from "../helpers/bundle.js";
import type { BundleInput, TestBundle } from "../helpers/bundle.js";

const run = promisify(execFile);
const runtimes = await testRuntimes();
const cgroupParent = "/crikit-test-oci";

for (const runtime of runtimes) {
  describe(`OciRuntime with ${runtime.name}`, () => {
    let tmp = "";
    let rt: OciRuntime;
    let used: { id: string; bundle: TestBundle; pids: number[] }[] = [];

    before(async () => {
      tmp = await mkdtemp(join(tmpdir(), `crikit-oci-${runtime.name}-`));
      rt = new OciRuntime({ stateDir: join(tmp, "state"), runtime: runtime.binary, runtimeRoot: join(tmp, "root") });
    });

    after(async () => {
      await rt.close();
      await rm(tmp, { recursive: true, force: true });
    });

    afterEach(async () => {
      const list = used;
      used = [];
      for (const u of list) {
        await rt.remove(u.id).catch(() => undefined);
        await removeTestCgroup(`${cgroupParent}/${u.id}`);
      }
      // Leak checks (checked, not assumed).
      for (const u of list) {
        const procs = await processesMatching(u.id);
        assert.deepEqual(procs, [], `processes left for ${u.id}`);
        for (const pid of u.pids) assert.equal(await pidAlive(pid), false, `container process ${pid} of ${u.id} still alive`);
        assert.equal(await pathExists(join(tmp, "root", u.id)), false, `runtime state left for ${u.id}`);
        assert.equal(await pathExists(rt.containerDir(u.id)), false, `adapter state left for ${u.id}`);
        assert.equal(await pathExists(rt.exitFile(u.id)), false, `exit file left for ${u.id}`);
        assert.deepEqual(await mountsMatching(u.id), [], `mounts left for ${u.id}`);
        assert.deepEqual(leftoverCgroups(`${cgroupParent}/${u.id}`), [], `cgroups left for ${u.id}`);
        await u.bundle.cleanup();
      }
    });

    const newId = (what: string): string => `crikit-oci-${runtime.name}-${what}-${randomBytes(3).toString("hex")}`;

    async function createStarted(what: string, input: Omit<BundleInput, "cgroupsPath">, start = true): Promise<{ id: string; logPath: string; pid: number }> {
      const id = newId(what);
      const bundle = await makeBundle({ ...input, cgroupsPath: `${cgroupParent}/${id}` });
      const entry = { id, bundle, pids: [] as number[] };
      used.push(entry);
      const logPath = join(tmp, `${id}.log`);
      const { pid } = await rt.create({ id, bundle: bundle.dir, logPath });
      entry.pids.push(pid);
      if (start) await rt.start(id);
      return { id, logPath, pid };
    }

    async function waitExited(id: string, ms = 10_000): Promise<void> {
      assert.ok(await waitFor(async () => pathExists(rt.exitFile(id)), ms), `container ${id} did not exit in ${ms} ms`);
    }

    it("creates, starts, runs ExecSync in, stops and removes a container", async () => {
      const { id, logPath, pid } = await createStarted("life", { args: ["sh", "-c", "echo hello; echo oops >&2; exec sleep 100"] }, false);
      assert.equal((await rt.status(id)).state, "created");
      await rt.start(id);
      const running = await rt.status(id);
      assert.equal(running.state, "running");
      assert.equal(running.pid, pid);
      assert.ok(running.startedAt instanceof Date);

      const res = await rt.execSync(id, ["sh", "-c", "echo out; echo err >&2; exit 3"], { timeoutMs: 10_000 });
      assert.equal(Buffer.from(res.stdout).toString(), "out\n");
      assert.equal(Buffer.from(res.stderr).toString(), "err\n");
      assert.equal(res.exitCode, 3);

      const stopped = await rt.stop(id, { timeoutMs: 500 });
      assert.equal(stopped.state, "exited");
      assert.equal(stopped.exitCode, 137, "sleep as PID 1 has no SIGTERM handler, so SIGKILL follows the grace period");
      assert.ok(stopped.finishedAt instanceof Date);

      const records = parseCriLog(await readFile(logPath, "utf8"));
      assert.deepEqual(records.map((r) => [r.stream, r.partial, r.content]), [["stdout", false, "hello"], ["stderr", false, "oops"]]);
      for (const r of records) assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/);

      await rt.remove(id);
      await assert.rejects(rt.status(id), (e: unknown) => hasErrorCode(e, "NotFound"));
      await rt.remove(id); // removing a removed container is fine
    });

    const exitCases = [
      { desc: "exit 0 is Completed", args: ["sh", "-c", "exit 0"], code: 0, reason: "Completed" },
      { desc: "exit 1 is Error", args: ["sh", "-c", "exit 1"], code: 1, reason: "Error" },
      { desc: "death by SIGKILL is 137", args: ["sleep", "100"], code: 137, reason: "Error", kill: true },
    ];
    for (const c of exitCases) {
      it(`reports the exit code: ${c.desc}`, async () => {
        const { id } = await createStarted("exit", { args: c.args });
        if (c.kill === true) await rt.cli.kill(id, "KILL");
        await waitExited(id);
        const st = await rt.status(id);
        assert.equal(st.state, "exited");
        assert.equal(st.exitCode, c.code);
        assert.equal(st.reason, c.reason);
      });
    }

    it("releases an exited container's cgroups at once and still reports its exit until removal", async () => {
      const { id } = await createStarted("release", { args: ["sh", "-c", "sleep 100"] });
      assert.equal(await rt.releaseExited(id), false, "a running container is not released");
      assert.notDeepEqual(leftoverCgroups(`${cgroupParent}/${id}`), []);
      await rt.stop(id, { timeoutMs: 0 });
      assert.equal(await rt.releaseExited(id), true);
      assert.deepEqual(leftoverCgroups(`${cgroupParent}/${id}`), [], "no cgroup once released");
      assert.equal(await rt.releaseExited(id), false, "a second release does nothing");
      const st = await rt.status(id);
      assert.equal(st.state, "exited");
      assert.equal(st.exitCode, 137);
      await rt.remove(id);
      await assert.rejects(rt.status(id), (e: unknown) => hasErrorCode(e, "NotFound"));
    });

    it("writes a line over 8 KiB as P records closed by an F record", async () => {
      const { id, logPath } = await createStarted("long", { args: ["sh", "-c", "head -c 20000 /dev/zero | tr '\\0' x; echo; echo short"] });
      await waitExited(id);
      await rt.stop(id);
      const records = parseCriLog(await readFile(logPath, "utf8"));
      assert.ok(records.some((r) => r.partial), "at least one P record");
      const lines = joinCriLogLines(records);
      assert.deepEqual(lines.map((l) => [l.stream, l.line.length]), [["stdout", 20000], ["stdout", 5]]);
      assert.equal(lines[0]?.line, "x".repeat(20000));
    });

    it("reports a container over its memory limit as OOMKilled", async () => {
      const { id } = await createStarted("oom", { args: ["tail", "/dev/zero"], memoryLimit: 16 * 1024 * 1024 });
      await waitExited(id, 20_000);
      const st = await rt.status(id);
      assert.equal(st.exitCode, 137);
      assert.equal(st.reason, "OOMKilled");
      // conmon also drops an "oom" marker in its working directory: that must
      // be the container's own directory, never the caller's
      assert.equal(existsSync(join(process.cwd(), "oom")), false, "no oom marker in the caller's directory");
    });

    it("returns on time from an ExecSync timeout and leaves no process behind", async () => {
      const { id, pid } = await createStarted("exectimeout", { args: ["sleep", "100"] });
      const t0 = performance.now();
      await assert.rejects(rt.execSync(id, ["sh", "-c", "sleep 31 & sleep 32"], { timeoutMs: 500 }), (e: unknown) => hasErrorCode(e, "DeadlineExceeded"));
      const took = performance.now() - t0;
      // The command would run 32 s; returning far sooner shows the timeout cut it
      // off. The bound is loose on purpose: speed lives in the benchmarks.
      assert.ok(took < 15_000, `took ${took.toFixed(0)} ms for a 500 ms timeout`);
      assert.ok(took >= 450, `returned before the timeout (${took.toFixed(0)} ms)`);
      const pids = await rt.cli.ps(id);
      assert.deepEqual(pids, [pid], "only the container's init is left");
      assert.deepEqual((await processesMatching("sleep 31")).concat(await processesMatching("sleep 32")), []);
    });

    it("does not hang ExecSync on output held open by a background child", async () => {
      const { id } = await createStarted("execbg", { args: ["sleep", "100"] });
      const t0 = performance.now();
      const res = await rt.execSync(id, ["sh", "-c", "sleep 20 & echo done"], { timeoutMs: 5000 });
      const took = performance.now() - t0;
      assert.equal(Buffer.from(res.stdout).toString(), "done\n");
      assert.equal(res.exitCode, 0);
      // a hung call would reject at its 5 s timeout; this bound only catches a
      // wait for the 20 s background child
      assert.ok(took < 15_000, `took ${took.toFixed(0)} ms`);
    });

    it("caps each ExecSync stream at 16 MiB and drops the rest without error", async () => {
      const { id } = await createStarted("execcap", { args: ["sleep", "100"] });
      const res = await rt.execSync(id, ["sh", "-c", "head -c 17825792 /dev/zero; echo fine >&2"], { timeoutMs: 30_000 });
      assert.equal(res.stdout.length, 16 * 1024 * 1024);
      assert.equal(Buffer.from(res.stderr).toString(), "fine\n");
      assert.equal(res.truncated, true);
      assert.equal(res.exitCode, 0);
    });

    it("rejects ExecSync of a missing binary and in an exited container", async () => {
      const { id } = await createStarted("execerr", { args: ["sleep", "100"] });
      await assert.rejects(rt.execSync(id, ["/no/such/binary"], { timeoutMs: 5000 }), (e: unknown) => isRuntimeCommandError(e));
      await rt.stop(id);
      await assert.rejects(rt.execSync(id, ["true"], { timeoutMs: 5000 }), (e: unknown) => hasErrorCode(e, "FailedPrecondition"));
    });

    const stopCases = [
      { desc: "a process that ignores SIGTERM is killed after the grace period", script: "trap '' TERM; while true; do sleep 0.1; done", graceMs: 1500, code: 137, minMs: 1400 },
      { desc: "a process that exits on SIGTERM stops before the grace period ends", script: "trap 'exit 0' TERM; while true; do sleep 0.1; done", graceMs: 10_000, code: 0, minMs: 0 },
    ];
    for (const c of stopCases) {
      it(`stops: ${c.desc}`, async () => {
        const { id } = await createStarted("stop", { args: ["sh", "-c", c.script] });
        await new Promise((r) => setTimeout(r, 200)); // let the trap be installed
        const t0 = performance.now();
        const st = await rt.stop(id, { timeoutMs: c.graceMs });
        const took = performance.now() - t0;
        assert.equal(st.exitCode, c.code);
        assert.ok(took >= c.minMs, `stopped after ${took.toFixed(0)} ms, before the grace period`);
        assert.ok(took < c.graceMs + 15_000, `stop took ${took.toFixed(0)} ms`);
        const again = await rt.stop(id, { timeoutMs: 1000 });
        assert.equal(again.exitCode, c.code, "stopping a stopped container succeeds");
      });
    }

    it("gives up a create that exceeds its start timeout and leaves nothing behind", async () => {
      const id = newId("starttimeout");
      const bundle = await makeBundle({ args: ["sleep", "100"], cgroupsPath: `${cgroupParent}/${id}` });
      used.push({ id, bundle, pids: [] });
      await assert.rejects(rt.create({ id, bundle: bundle.dir, logPath: join(tmp, `${id}.log`), startTimeoutMs: 5 }), (e: unknown) => hasErrorCode(e, "DeadlineExceeded"));
      assert.deepEqual(await processesMatching(id), []);
      assert.equal(await pathExists(rt.containerDir(id)), false);
      await assert.rejects(rt.cli.state(id), (e: unknown) => isRuntimeCommandError(e) && e.kind === "NotFound");
    });

    it("leaves the runtime itself reporting a started container as running, and a second start refused", async () => {
      const { id, pid } = await createStarted("rtstate", { args: ["sleep", "100"] });
      const st = await rt.cli.state(id);
      assert.equal(st.status, "running");
      assert.equal(st.pid, pid);
      await assert.rejects(rt.start(id), (e: unknown) => isRuntimeCommandError(e) && e.kind === "NotRunning");
      assert.equal((await rt.cli.state(id)).status, "running");
    });

    it("removes a paused container", async () => {
      const { id, pid } = await createStarted("rmpaused", { args: ["sleep", "100"] });
      await rt.pause(id);
      await rt.remove(id);
      assert.equal(await pidAlive(pid), false);
    });

    it("kills every process of a container that shares another container's PID namespace when removing it", async () => {
      const holder = await createStarted("pidholder", { args: ["sleep", "100"] });
      const { id, pid } = await createStarted("pidjoiner", { args: ["sh", "-c", "sleep 100 & exec sleep 101"], joinNamespaces: { pid: `/proc/${holder.pid}/ns/pid` } });
      let pids: number[] = [];
      assert.ok(await waitFor(async () => (pids = await rt.cli.ps(id)).length >= 2, 5000), "the background sleep did not start");
      await rt.remove(id);
      for (const p of [pid, ...pids]) assert.equal(await pidAlive(p), false, `process ${p} survived`);
      assert.equal((await rt.status(holder.id)).state, "running");
    });

    it("removes a running container by stopping it first", async () => {
      const { id, pid } = await createStarted("rmrun", { args: ["sleep", "100"] });
      await rt.remove(id);
      assert.equal(await pidAlive(pid), false);
      await assert.rejects(rt.status(id), (e: unknown) => hasErrorCode(e, "NotFound"));
    });

    it("reopens the log after rotation", async () => {
      const { id, logPath } = await createStarted("reopen", { args: ["sh", "-c", "echo before; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo after; sleep 100"] });
      assert.ok(await waitFor(async () => (await readFile(logPath, "utf8").catch(() => "")).includes("before"), 5000));
      assert.equal((await rt.execSync(id, ["true"], { timeoutMs: 5000 })).exitCode, 0, "an exec does not disturb the monitor's control fifo");
      await rename(logPath, `${logPath}.1`);
      await rt.reopenLog(id);
      await rt.execSync(id, ["touch", "/tmp/go"], { timeoutMs: 5000 });
      assert.ok(await waitFor(async () => (await readFile(logPath, "utf8").catch(() => "")).includes("after"), 5000), "new log gets new output");
      assert.deepEqual(parseCriLog(await readFile(logPath, "utf8")).map((r) => r.content), ["after"]);
      assert.deepEqual(parseCriLog(await readFile(`${logPath}.1`, "utf8")).map((r) => r.content), ["before"]);
      await rm(`${logPath}.1`);
    });

    it("updates a container's memory limit", async () => {
      const { id } = await createStarted("update", { args: ["sleep", "100"], memoryLimit: 64 * 1024 * 1024 });
      await rt.updateResources(id, { memory: { limit: 96 * 1024 * 1024, swap: 96 * 1024 * 1024 } });
      const limit = await readFile(`/sys/fs/cgroup/memory${cgroupParent}/${id}/memory.limit_in_bytes`, "utf8");
      assert.equal(Number(limit), 96 * 1024 * 1024);
    });

    it("allocates a terminal when asked and logs its output", async () => {
      const id = newId("tty");
      const bundle = await makeBundle({ args: ["sh", "-c", "tty; echo hi"], cgroupsPath: `${cgroupParent}/${id}` });
      const cfg = JSON.parse(await readFile(join(bundle.dir, "config.json"), "utf8")) as { process: { terminal: boolean } };
      cfg.process.terminal = true;
      await writeFile(join(bundle.dir, "config.json"), JSON.stringify(cfg));
      const entry = { id, bundle, pids: [] as number[] };
      used.push(entry);
      const logPath = join(tmp, `${id}.log`);
      entry.pids.push((await rt.create({ id, bundle: bundle.dir, logPath, terminal: true })).pid);
      await rt.start(id);
      await waitExited(id);
      assert.equal((await rt.status(id)).exitCode, 0);
      const records = parseCriLog(await readFile(logPath, "utf8"));
      assert.deepEqual(records.map((r) => [r.stream, r.content.trimEnd()]), [["stdout", "/dev/pts/0"], ["stdout", "hi"]]);
    });

    it("reads processes and, with runc, statistics of a running container", async () => {
      const { id, pid } = await createStarted("stats", { args: ["sleep", "100"] });
      assert.deepEqual(await rt.cli.ps(id), [pid]);
      if (runtime.name === "runc") {
        const stats = (await rt.cli.stats(id)) as { type?: string; data?: { memory?: unknown; pids?: { current?: number } } };
        assert.equal(stats.type, "stats");
        assert.ok(stats.data?.memory);
        assert.equal(stats.data?.pids?.current, 1);
      } else {
        // crun has no `events` subcommand.
        await assert.rejects(rt.cli.stats(id), (e: unknown) => isRuntimeCommandError(e) && e.kind === "Other");
      }
    });

    it("pauses and resumes a container", async () => {
      const { id } = await createStarted("pause", { args: ["sleep", "100"] });
      await rt.pause(id);
      assert.equal((await rt.status(id)).state, "paused");
      await rt.resume(id);
      assert.equal((await rt.status(id)).state, "running");
    });

    it("clamps a negative oomScoreAdj when CAP_SYS_RESOURCE is missing", async () => {
      const status = await readFile("/proc/self/status", "utf8");
      const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0"}`);
      const hasCap = ((capEff >> 24n) & 1n) === 1n;
      const { pid } = await createStarted("oomadj", { args: ["sleep", "100"], oomScoreAdj: -500 });
      const adj = Number(await readFile(`/proc/${pid}/oom_score_adj`, "utf8"));
      assert.equal(adj, hasCap ? -500 : 0);
    });

    const errorCases = [
      { desc: "state of a missing container is NotFound", act: (c: OciRuntime) => c.cli.state("crikit-oci-missing"), kind: "NotFound", code: "NotFound" },
      { desc: "kill of a missing container is NotFound", act: (c: OciRuntime) => c.cli.kill("crikit-oci-missing", "KILL"), kind: "NotFound", code: "NotFound" },
      { desc: "delete of a missing container is NotFound", act: (c: OciRuntime) => c.cli.delete("crikit-oci-missing"), kind: "NotFound", code: "NotFound" },
    ];
    for (const c of errorCases) {
      it(`classifies runtime errors: ${c.desc}`, async () => {
        await assert.rejects(c.act(rt), (e: unknown) => isRuntimeCommandError(e) && e.kind === c.kind && e.code === c.code && e.argv.length > 1 && e.stderrTail.length > 0);
      });
    }

    it("classifies creating a duplicate as AlreadyExists and starting a started container as NotRunning", async () => {
      const { id } = await createStarted("dup", { args: ["sleep", "100"] });
      const bundle = used[used.length - 1]?.bundle.dir ?? "";
      await assert.rejects(rt.cli.create(id, { bundle }), (e: unknown) => isRuntimeCommandError(e) && e.kind === "AlreadyExists" && e.code === "AlreadyExists");
      await assert.rejects(rt.create({ id, bundle, logPath: join(tmp, "dup.log") }), (e: unknown) => hasErrorCode(e, "AlreadyExists"));
      await rt.stop(id);
      await assert.rejects(rt.cli.start(id), (e: unknown) => isRuntimeCommandError(e) && e.kind === "NotRunning" && e.code === "FailedPrecondition");
    });

    it("recovers containers started by a process that has exited: running, exited meanwhile, and vanished", async () => {
      const ids = { run: newId("rec-run"), exit: newId("rec-exit"), gone: newId("rec-gone") };
      const scripts: Record<string, string> = {
        run: "echo still here; exec sleep 100",
        exit: "echo bye; sleep 0.5; exit 7",
        gone: "exec sleep 100",
      };
      const containers = [];
      for (const [k, id] of Object.entries(ids)) {
        const bundle = await makeBundle({ args: ["sh", "-c", scripts[k] ?? ""], cgroupsPath: `${cgroupParent}/${id}` });
        used.push({ id, bundle, pids: [] });
        containers.push({ id, bundle: bundle.dir, logPath: join(tmp, `${id}.log`) });
      }
      const fixture = join(import.meta.dirname, "fixtures", "start-containers.ts");
      const { stdout } = await run(process.execPath, ["--import", "tsx", fixture, JSON.stringify({ stateDir: join(tmp, "state"), runtime: runtime.binary, runtimeRoot: join(tmp, "root"), containers })], { cwd: join(import.meta.dirname, "..", "..") });
      const started = JSON.parse(stdout) as Record<string, { pid: number; conmonPid: number }>;
      for (const u of used) u.pids.push(started[u.id]?.pid ?? 0);

      // While no daemon runs: one container exits, one vanishes with its monitor.
      await waitExited(ids.exit);
      const gone = started[ids.gone];
      assert.ok(gone);
      process.kill(gone.conmonPid, "SIGKILL");
      await waitFor(async () => !(await pidAlive(gone.conmonPid)), 5000);
      await run(runtime.binary, ["--root", join(tmp, "root"), "delete", "--force", ids.gone]);

      const fresh = new OciRuntime({ stateDir: join(tmp, "state"), runtime: runtime.binary, runtimeRoot: join(tmp, "root") });
      const rec = await fresh.recover();
      const byId = new Map(rec.containers.map((c) => [c.id, c]));
      assert.equal(byId.get(ids.run)?.state, "running");
      assert.equal(byId.get(ids.run)?.monitorAlive, true);
      assert.equal(byId.get(ids.exit)?.state, "exited");
      assert.equal(byId.get(ids.exit)?.exitCode, 7);
      assert.equal(byId.get(ids.exit)?.reason, "Error");
      assert.equal(byId.get(ids.exit)?.finishedAt?.getTime(), (await stat(fresh.exitFile(ids.exit))).mtime.getTime());
      assert.equal(byId.get(ids.gone)?.state, "exited");
      assert.equal(byId.get(ids.gone)?.exitCode, 255);
      assert.equal(byId.get(ids.gone)?.reason, "Unknown");
      assert.deepEqual(rec.orphans, []);
      assert.deepEqual(parseCriLog(await readFile(join(tmp, `${ids.run}.log`), "utf8")).map((r) => r.content), ["still here"]);
      assert.deepEqual(parseCriLog(await readFile(join(tmp, `${ids.exit}.log`), "utf8")).map((r) => r.content), ["bye"]);
      // The new instance drives the recovered container.
      const res = await fresh.execSync(ids.run, ["echo", "hi"], { timeoutMs: 5000 });
      assert.equal(Buffer.from(res.stdout).toString(), "hi\n");
      const st = await fresh.stop(ids.run, { timeoutMs: 2000 });
      assert.equal(st.state, "exited");
      for (const id of Object.values(ids)) await fresh.remove(id);
      await fresh.close();
    });
  });
}

describe("OciRuntime arguments", () => {
  it("rejects an invalid container id and relative paths", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-oci-args-"));
    const rt = new OciRuntime({ stateDir: dir });
    const cases = [
      { desc: "slash in id", input: { id: "a/b", bundle: "/b", logPath: "/l" }, field: "id" },
      { desc: "relative bundle", input: { id: "crikit-oci-x", bundle: "b", logPath: "/l" }, field: "bundle" },
      { desc: "relative log path", input: { id: "crikit-oci-x", bundle: "/b", logPath: "l" }, field: "logPath" },
    ];
    for (const c of cases) {
      await assert.rejects(rt.create(c.input), (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details["field"] === c.field, c.desc);
    }
    assert.deepEqual(await readdir(dir), []);
    await rt.close();
    await assert.rejects(rt.list(), (e: unknown) => hasErrorCode(e, "Unavailable"));
    await rm(dir, { recursive: true, force: true });
  });
});
