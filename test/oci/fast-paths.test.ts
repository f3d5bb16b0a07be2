/**
 * Tests of the adapter's latency shortcuts that do not need a container:
 * waiting for a file through inotify, and signalling only a child of a
 * given parent. The exec-fifo start is covered by oci-runtime.test.ts with
 * real runc.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isLiveChildOf, signalChildOf, waitForFile } from "../../src/oci/fast-paths.js";
import { pidAlive, waitFor } from "../helpers/bundle.js";

const read = (file: string) => async (): Promise<string | undefined> => {
  try {
    const t = (await readFile(file, "utf8")).trim();
    return t === "" ? undefined : t;
  } catch {
    return undefined;
  }
};

describe("waitForFile", async () => {
  const dir = await mkdtemp(join(tmpdir(), "crikit-fast-paths-"));
  after(() => rm(dir, { recursive: true, force: true }));

  const cases = [
    { desc: "a file that is already there is read at once", pre: "7", later: undefined, timeoutMs: 0, want: "7" },
    { desc: "a file written after the wait began wakes it", pre: undefined, later: "42", timeoutMs: 10_000, want: "42" },
    { desc: "an empty file, then its content, counts only once it has content", pre: "", later: "3", timeoutMs: 10_000, want: "3" },
    { desc: "no file within the time limit answers undefined", pre: undefined, later: undefined, timeoutMs: 50, want: undefined },
  ];
  for (const [i, c] of cases.entries()) {
    it(c.desc, async () => {
      const file = join(dir, `f${i}`);
      if (c.pre !== undefined) await writeFile(file, c.pre);
      const p = waitForFile(file, read(file), c.timeoutMs, undefined);
      if (c.later !== undefined) setTimeout(() => void writeFile(file, c.later ?? ""), 20);
      assert.equal(await p, c.want);
    });
  }

  it("rejects when the signal aborts", async () => {
    const ac = new AbortController();
    const p = waitForFile(join(dir, "never"), read(join(dir, "never")), 60_000, ac.signal);
    ac.abort(new Error("stop waiting"));
    await assert.rejects(p, /stop waiting/);
  });

  it("keeps waiting when the timeout is past what a Node timer holds (a stop timeout of 2^63-1 s)", async () => {
    const ac = new AbortController();
    const p = waitForFile(join(dir, "never2"), read(join(dir, "never2")), Number((1n << 63n) - 1n) * 1000, ac.signal);
    const early = await Promise.race([p.then(() => "resolved"), new Promise((r) => setTimeout(() => r("waiting"), 100))]);
    assert.equal(early, "waiting");
    ac.abort(new Error("done"));
    await assert.rejects(p, /done/);
  });
});

describe("signalChildOf and isLiveChildOf", () => {
  it("signals a child of the given parent and refuses any other pid", async () => {
    const child = spawn("sleep", ["100"], { stdio: "ignore" });
    const pid = child.pid ?? 0;
    assert.ok(pid > 0, "sleep did not start");
    try {
      assert.equal(await isLiveChildOf(pid, process.pid), true);
      // Not the parent: refused, and the process lives on.
      assert.equal(await signalChildOf(pid, process.ppid, "SIGKILL"), "not-child");
      assert.equal(await pidAlive(pid), true);
      assert.equal(await signalChildOf(pid, process.pid, "SIGKILL"), "sent");
      await new Promise((r) => child.once("exit", r));
      assert.equal(await isLiveChildOf(pid, process.pid), false);
      assert.equal(await signalChildOf(pid, process.pid, "SIGKILL"), "not-child");
    } finally {
      if (await pidAlive(pid)) process.kill(pid, "SIGKILL");
    }
    assert.ok(await waitFor(async () => !(await pidAlive(pid)), 5000));
  });
});
