/**
 * runExecSync through conmon, with conmon started by each process runner:
 * a spawner process (as the daemon does) and the in-process runner. Real
 * runc and crun, conmon and a busybox-static rootfs. Each test checks that
 * the call leaves no process behind: no process of the command, no conmon
 * or runtime of the exec (their argv name the exec's scratch dir), and no
 * scratch dir.
 */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { OciRuntime, runExecSync, type ExecSyncInput } from "../../src/oci/index.js";
import { createSpawner, directRunner, type ProcessRunner, type RunRequest, type Spawner } from "../../src/process/index.js";
import { hasErrorCode } from "../../src/errors.js";
import { makeBundle, testRuntimes, removeTestCgroup, processesMatching, type TestBundle } from "../helpers/bundle.js";

const run = promisify(execFile);

/** Live processes whose whole command line is `cmd` (a substring match would also find `sleep 4200` for `sleep 42`). */
async function running(cmd: string): Promise<{ pid: number; cmdline: string }[]> {
  return (await processesMatching(cmd)).filter((p) => p.cmdline === cmd);
}
const runtimes = await testRuntimes();
const cgroupParent = "/crikit-test-execsync";

for (const runtime of runtimes) {
  for (const via of ["spawner", "in-process runner"] as const) {
    describe(`ExecSync through conmon with ${runtime.name}, conmon started by the ${via}`, () => {
      let tmp = "";
      let rt: OciRuntime;
      let spawner: Spawner | undefined;
      let runtimePath = "";
      /** What the runner was asked to start, in order. */
      let started: RunRequest[] = [];
      let runner: ProcessRunner;
      const made: { id: string; bundle: TestBundle }[] = [];

      before(async () => {
        tmp = await mkdtemp(join(tmpdir(), `crikit-execsync-${runtime.name}-`));
        rt = new OciRuntime({ stateDir: join(tmp, "state"), runtime: runtime.binary, runtimeRoot: join(tmp, "root") });
        runtimePath = runtime.binary.startsWith("/") ? runtime.binary : (await run("which", [runtime.binary])).stdout.trim();
        spawner = via === "spawner" ? createSpawner() : undefined;
        const inner = spawner ?? directRunner;
        runner = {
          run: (r) => {
            started.push(r);
            return inner.run(r);
          },
        };
      });

      after(async () => {
        for (const m of made) {
          await rt.remove(m.id).catch(() => undefined);
          await removeTestCgroup(`${cgroupParent}/${m.id}`);
          await m.bundle.cleanup();
        }
        await rt.close();
        await spawner?.close();
        await rm(tmp, { recursive: true, force: true });
      });

      let current = "";
      afterEach(async () => {
        if (current === "") return;
        // Nothing of the exec is left: its scratch dirs are named exec-<tag> in the container's dir.
        const execDir = join(rt.containerDir(current), "exec-");
        assert.deepEqual(await processesMatching(execDir), [], "no conmon or runtime of an exec left");
        assert.deepEqual((await readdir(rt.containerDir(current))).filter((n) => n.startsWith("exec-")), [], "no scratch dir left");
        const ps = await rt.cli.ps(current);
        assert.equal(ps.length, 1, `only the container's init is left, found ${ps.join(", ")}`);
      });

      async function container(): Promise<string> {
        const id = `crikit-execsync-${runtime.name}-${randomBytes(3).toString("hex")}`;
        const bundle = await makeBundle({ args: ["sleep", "1000"], cgroupsPath: `${cgroupParent}/${id}` });
        made.push({ id, bundle });
        await rt.create({ id, bundle: bundle.dir, logPath: join(tmp, `${id}.log`) });
        await rt.start(id);
        current = id;
        return id;
      }

      function input(id: string, args: string[], more: Partial<ExecSyncInput> = {}): ExecSyncInput {
        started = [];
        return {
          binary: rt.cli.binary,
          globalArgs: rt.cli.globalArgs,
          id,
          process: { args, env: ["PATH=/bin:/usr/bin"], cwd: "/", user: { uid: 0, gid: 0 } },
          workDir: rt.containerDir(id),
          timeoutMs: 10_000,
          conmon: { path: "conmon", runtimePath },
          runner,
          ...more,
        };
      }

      it("starts conmon through the runner and returns both streams and the exit code", async () => {
        const id = await container();
        const res = await runExecSync(input(id, ["sh", "-c", "echo out; printf 'no newline' >&2; exit 7"]));
        assert.equal(Buffer.from(res.stdout).toString(), "out\n");
        assert.equal(Buffer.from(res.stderr).toString(), "no newline");
        assert.equal(res.exitCode, 7);
        assert.equal(res.truncated, false);
        assert.deepEqual(
          started.map((r) => [r.file, r.syncFd3]),
          [["conmon", true]],
          "conmon, and nothing else, went through the runner",
        );
      });

      it("reports a command killed by a signal as 128+N and keeps the output cap", async () => {
        const id = await container();
        const killed = await runExecSync(input(id, ["sh", "-c", "echo before; kill -9 $$"]));
        assert.equal(killed.exitCode, 137);
        assert.equal(Buffer.from(killed.stdout).toString(), "before\n");
        const capped = await runExecSync(input(id, ["sh", "-c", "head -c 100000 /dev/zero; echo tail >&2"], { maxOutputBytes: 4096 }));
        assert.equal(capped.stdout.length, 4096);
        assert.equal(Buffer.from(capped.stderr).toString(), "tail\n");
        assert.equal(capped.truncated, true);
      });

      it("kills the command and its children when the client goes away mid-command", async () => {
        const id = await container();
        const ac = new AbortController();
        const call = runExecSync(input(id, ["sh", "-c", "sleep 4141 & sleep 4242"], { timeoutMs: 0, signal: ac.signal }));
        // Abort once the command runs (both sleeps are up).
        for (let i = 0; i < 500 && (await running("sleep 4242")).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal((await running("sleep 4141")).length, 1, "the background child runs");
        ac.abort(new Error("client went away"));
        await assert.rejects(call, (e: unknown) => hasErrorCode(e, "Canceled"));
        assert.deepEqual([...(await running("sleep 4141")), ...(await running("sleep 4242"))], []);
      });

      it("kills the command when the client goes away while the runtime is still starting it", async () => {
        const id = await container();
        const ac = new AbortController();
        const call = runExecSync(input(id, ["sleep", "4343"], { timeoutMs: 0, signal: ac.signal }));
        // Right after the runner was asked to start conmon: the runtime has not written the pid file yet.
        for (const until = Date.now() + 5000; started.length === 0 && Date.now() < until; ) await new Promise((r) => setImmediate(r));
        assert.equal(started.length, 1, "conmon was being started when the client went away");
        ac.abort(new Error("client went away"));
        await assert.rejects(call, (e: unknown) => hasErrorCode(e, "Canceled"));
        assert.deepEqual(await running("sleep 4343"), []);
      });

      it("kills the command at its timeout and rejects with DeadlineExceeded", async () => {
        const id = await container();
        await assert.rejects(runExecSync(input(id, ["sh", "-c", "sleep 4444 & sleep 4545"], { timeoutMs: 400 })), (e: unknown) => hasErrorCode(e, "DeadlineExceeded"));
        assert.deepEqual([...(await running("sleep 4444")), ...(await running("sleep 4545"))], []);
      });

      it("rejects a command the runtime cannot start with the runtime's error", async () => {
        const id = await container();
        await assert.rejects(runExecSync(input(id, ["/no/such/binary"])), (e: unknown) => e instanceof Error && e.name === "RuntimeCommandError");
      });
    });
  }
}
