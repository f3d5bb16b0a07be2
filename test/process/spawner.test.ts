import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { acquireSharedSpawner, createSpawner, defaultRunner, directRunner, runCommand, type ProcessRunner } from "../../src/process/index.js";
import { isCrikitError } from "../../src/errors.js";
import { isRuntimeCommandError } from "../../src/oci/index.js";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  return !alive(pid);
}

const spawner = createSpawner();
after(() => spawner.close());

for (const [name, runner] of [["spawner", spawner], ["direct", directRunner]] as Array<[string, ProcessRunner]>) {
  describe(`${name} runner`, () => {
    it("returns exit code, stdout and stderr, with env, cwd and stdin", async () => {
      const dir = await mkdtemp(join(tmpdir(), "crikit-spawner-"));
      try {
        const r = await runner.run({ file: "sh", args: ["-c", 'cat; echo "$FOO $(pwd)"; echo err >&2; exit 3'], env: { FOO: "bar" }, cwd: dir, input: "in\n" });
        assert.equal(r.exitCode, 3);
        assert.equal(r.stdout, `in\nbar ${dir}\n`);
        assert.equal(r.stderr, "err\n");
        assert.equal(r.timedOut, false);
        assert.equal(r.canceled, false);
        assert.ok((r.pid ?? 0) > 0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("without extendEnv passes only the given environment", async () => {
      const r = await runner.run({ file: "/usr/bin/env", env: { ONLY: "1" }, extendEnv: false });
      assert.equal(r.stdout, "ONLY=1\n");
    });

    it("reports a binary that cannot be started", async () => {
      const r = await runner.run({ file: "/nonexistent/crikit-nothing" });
      assert.equal(r.spawnError?.code, "ENOENT");
      assert.equal(r.exitCode, undefined);
    });

    it("kills the whole process group on timeout", async () => {
      const dir = await mkdtemp(join(tmpdir(), "crikit-spawner-"));
      try {
        const file = join(dir, "pid");
        const r = await runner.run({ file: "sh", args: ["-c", `sleep 30 & echo $! > ${file}; wait`], timeoutMs: 300, processGroup: true, killSignal: "SIGKILL" });
        assert.equal(r.timedOut, true);
        assert.equal(r.signal, "SIGKILL");
        assert.ok(await gone(Number(await readFile(file, "utf8"))), "the grandchild is killed with its group");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("kills the command when the signal aborts", async () => {
      const ac = new AbortController();
      const p = runner.run({ file: "sleep", args: ["30"], signal: ac.signal });
      await sleep(100);
      ac.abort();
      const r = await p;
      assert.equal(r.canceled, true);
      assert.equal(r.signal, "SIGTERM");
      if (r.pid !== undefined) assert.ok(await gone(r.pid));
    });

    it("syncFd3 answers with the first line on fd 3 without waiting for the command", async () => {
      const t0 = performance.now();
      const r = await runner.run({ file: "sh", args: ["-c", 'echo \'{"data": 42}\' >&3; exec sleep 30'], syncFd3: true, processGroup: true });
      assert.equal(r.syncLine, '{"data": 42}');
      assert.ok(performance.now() - t0 < 10_000);
      assert.ok(r.pid !== undefined && alive(r.pid), "the command runs on");
      process.kill(r.pid, "SIGKILL");
      assert.ok(await gone(r.pid));
    });

    it("syncFd3 reports a command that closed fd 3 without a line", async () => {
      const r = await runner.run({ file: "sh", args: ["-c", "echo failed >&2; exit 1"], syncFd3: true });
      assert.equal(r.syncLine, undefined);
      assert.equal(r.exitCode, 1);
      assert.equal(r.stderr, "failed\n");
    });
  });
}

describe("spawner process", () => {
  it("runs calls concurrently", async () => {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => spawner.run({ file: "sh", args: ["-c", `sleep 0.3; echo ${i}`] })));
    assert.deepEqual(rs.map((r) => r.stdout), Array.from({ length: 8 }, (_, i) => `${i}\n`));
    assert.ok(performance.now() - t0 < 2400, "not one after the other");
  });

  it("fails calls in flight when it dies, and starts again on the next call", async () => {
    const sp = createSpawner();
    try {
      await sp.run({ file: "true" });
      const pid = sp.pid;
      assert.ok(pid !== undefined);
      const inFlight = sp.run({ file: "sleep", args: ["5"] });
      await sleep(100);
      process.kill(pid, "SIGKILL");
      await assert.rejects(inFlight, (e: unknown) => isCrikitError(e) && e.code === "Unavailable" && /spawner process was killed by SIGKILL.*unknown/.test(e.message));
      const r = await sp.run({ file: "echo", args: ["again"] });
      assert.equal(r.stdout, "again\n");
      assert.equal(sp.starts, 2);
      assert.notEqual(sp.pid, pid);
    } finally {
      await sp.close();
    }
  });

  it("close lets calls in flight finish, then the process is gone", async () => {
    const sp = createSpawner();
    const p = sp.run({ file: "sh", args: ["-c", "sleep 0.2; echo done"] });
    await sleep(50);
    const pid = sp.pid;
    assert.ok(pid !== undefined);
    await sp.close();
    assert.equal((await p).stdout, "done\n");
    assert.ok(await gone(pid));
    assert.equal(sp.pid, undefined);
  });

  it("the shared spawner runs the default runner's calls while held, and closes with its last holder", async () => {
    const a = acquireSharedSpawner();
    const b = acquireSharedSpawner();
    assert.equal(a.spawner, b.spawner);
    const r = await defaultRunner.run({ file: "sh", args: ["-c", "echo $PPID"] });
    const pid = a.spawner.pid;
    assert.equal(r.stdout, `${pid}\n`);
    await a.close();
    await a.close();
    assert.equal(a.spawner.pid, pid, "still held by b");
    await b.close();
    assert.ok(pid !== undefined && (await gone(pid)));
    const direct = await defaultRunner.run({ file: "sh", args: ["-c", "echo $PPID"] });
    assert.equal(direct.stdout, `${process.pid}\n`);
  });
});

describe("runCommand", () => {
  it("throws a RuntimeCommandError on failure, unless stderr matches okStderr", async () => {
    await assert.rejects(runCommand(["sh", "-c", "echo nope >&2; exit 2"]), (e: unknown) => isRuntimeCommandError(e) && e.exitCode === 2 && e.stderrTail === "nope\n");
    const r = await runCommand(["sh", "-c", "echo not mounted >&2; exit 32"], { okStderr: /not mounted/ });
    assert.equal(r.exitCode, 32);
  });

  it("rejects with Canceled when aborted", async () => {
    const ac = new AbortController();
    const p = runCommand(["sleep", "30"], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, (e: unknown) => isCrikitError(e) && e.code === "Canceled");
  });
});

describe("spawner and the owner's event loop", () => {
  it("an idle spawner does not keep its owner alive, and awaiting close does", async () => {
    const script = `
      import { createSpawner } from "./src/process/index.ts";
      const sp = createSpawner();
      await sp.run({ file: "true" });
      setTimeout(async () => { await sp.close(); console.log("closed"); }, 50);
    `;
    const { execFileSync } = await import("node:child_process");
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: new URL("../..", import.meta.url).pathname, encoding: "utf8", timeout: 30_000 });
    assert.equal(out, "closed\n");
  });
});
