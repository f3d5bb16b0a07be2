import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CniPluginError, createCniExec, isCniPluginError } from "../../src/network/index.js";
import { debianCniDir, fixturesDir, removeTree, tempDir } from "./net-helpers.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); look at its state.
  return true;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    try {
      const st = await readFile(`/proc/${pid}/stat`, "utf8");
      if (/^\d+ \(.*\) Z/.test(st)) return true;
    } catch {
      return true;
    }
    await sleep(20);
  }
  return false;
}

describe("createCniExec", () => {
  const exec = createCniExec();
  let dir = "";
  before(async () => {
    dir = await tempDir("exec");
  });
  after(async () => {
    await removeTree(dir);
  });

  it("finds plugins in the first directory that has them", async () => {
    assert.equal(await exec.findPlugin("crkt-fail", [debianCniDir, fixturesDir]), join(fixturesDir, "crkt-fail"));
    assert.equal(await exec.findPlugin("bridge", [fixturesDir, debianCniDir]), join(debianCniDir, "bridge"));
    assert.equal(await exec.findPlugin("no-such-plugin", [fixturesDir, debianCniDir]), undefined);
  });

  it("runs VERSION on a real plugin with the config on stdin", async () => {
    const out = await exec.exec({
      pluginPath: join(debianCniDir, "bridge"),
      plugin: "bridge",
      network: "n",
      command: "VERSION",
      env: { CNI_COMMAND: "VERSION" },
      stdin: '{"cniVersion":"1.0.0"}',
      timeoutMs: 10_000,
    });
    const v = JSON.parse(out.stdout) as { supportedVersions: string[] };
    assert.ok(v.supportedVersions.includes("1.0.0"), out.stdout);
  });

  it("hands the plugin's CNI error and stderr to the caller in a typed error", async () => {
    const err = await exec
      .exec({
        pluginPath: join(fixturesDir, "crkt-fail"),
        plugin: "crkt-fail",
        network: "crkt-net",
        command: "ADD",
        env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "pod1" },
        stdin: "{}",
        timeoutMs: 10_000,
      })
      .then(
        () => assert.fail("the plugin should fail"),
        (e: unknown) => e,
      );
    assert.ok(isCniPluginError(err));
    assert.ok(err instanceof CniPluginError);
    assert.deepEqual(err.cniError, { code: 7, msg: "crkt-fail refuses every call", details: "command ADD", cniVersion: "1.0.0" });
    assert.equal(err.exitCode, 1);
    assert.match(err.stderr, /crkt-fail: refusing ADD for pod1/);
    assert.equal(err.code, "FailedPrecondition", "CNI code 7: the network config is wrong");
    assert.match(err.message, /CNI plugin "crkt-fail" ADD for network "crkt-net" failed: crkt-fail refuses every call: command ADD \(CNI error code 7\)/);
    assert.equal(err.containerId, "pod1");
  });

  it("kills a hung plugin and its children at the timeout", async () => {
    const pidFile = join(dir, "hang.pid");
    const t0 = Date.now();
    const err = await exec
      .exec({
        pluginPath: join(fixturesDir, "crkt-hang"),
        plugin: "crkt-hang",
        network: "n",
        command: "ADD",
        env: { CNI_COMMAND: "ADD" },
        stdin: JSON.stringify({ pidFile }),
        timeoutMs: 300,
      })
      .then(
        () => assert.fail("the plugin should time out"),
        (e: unknown) => e,
      );
    const took = Date.now() - t0;
    assert.ok(isCniPluginError(err));
    assert.equal(err.timedOut, true);
    assert.equal(err.code, "DeadlineExceeded");
    assert.match(err.message, /timed out and was killed/);
    assert.ok(took < 60_000, `returned after ${took} ms, not after the plugin's 300 s sleep`);
    const child = Number((await readFile(pidFile, "utf8")).trim());
    assert.ok(child > 0);
    assert.ok(await waitGone(child, 3000), `the plugin's child ${child} was killed too`);
  });

  it("kills a hung plugin when the caller aborts", async () => {
    const pidFile = join(dir, "abort.pid");
    const ctl = new AbortController();
    const p = exec.exec({
      pluginPath: join(fixturesDir, "crkt-hang"),
      plugin: "crkt-hang",
      network: "n",
      command: "DEL",
      env: { CNI_COMMAND: "DEL" },
      stdin: JSON.stringify({ pidFile }),
      timeoutMs: 60_000,
      signal: ctl.signal,
    });
    setTimeout(() => ctl.abort(new Error("caller gave up")), 200);
    const err = await p.then(
      () => assert.fail("should be canceled"),
      (e: unknown) => e,
    );
    assert.ok(isCniPluginError(err));
    assert.equal(err.canceled, true);
    assert.equal(err.timedOut, false);
    assert.equal(err.code, "Canceled");
    const child = Number((await readFile(pidFile, "utf8")).trim());
    assert.ok(await waitGone(child, 3000), `the plugin's child ${child} was killed too`);
  });

  it("refuses to start when the signal is already aborted", async () => {
    await assert.rejects(
      exec.exec({ pluginPath: join(fixturesDir, "crkt-fail"), plugin: "crkt-fail", network: "n", command: "ADD", env: {}, stdin: "{}", timeoutMs: 1000, signal: AbortSignal.abort() }),
      { code: "Canceled" },
    );
  });

  it("reports a plugin path that does not exist", async () => {
    await assert.rejects(
      exec.exec({ pluginPath: join(dir, "missing"), plugin: "missing", network: "n", command: "ADD", env: {}, stdin: "{}", timeoutMs: 1000 }),
      (e: unknown) => isCniPluginError(e) && e.code === "FailedPrecondition",
    );
  });
});
