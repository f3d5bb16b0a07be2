/**
 * Integration tests of both sandbox modes with real runc and crun, conmon,
 * catatonit and util-linux unshare. After each test nothing may be left:
 * no process for the test's ids, no mount under the test dir, no cgroup.
 */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { OciRuntime } from "../../src/oci/index.js";
import { startSandbox, removeSandbox, stopSandbox, loadSandbox } from "../../src/sandbox/index.js";
import type { SandboxHandle, SandboxMode } from "../../src/sandbox/index.js";
import { makeBundle, testRuntimes, removeTestCgroup, leftoverCgroups, processesMatching, pidAlive, mountsMatching, pathExists } from "../helpers/bundle.js";
import type { TestBundle } from "../helpers/bundle.js";

const run = promisify(execFile);
const runtimes = await testRuntimes();
const cgroupParent = "/crikit-test-sandbox";

async function nsInode(path: string): Promise<number> {
  return (await stat(path)).ino;
}

for (const runtime of runtimes) {
  describe(`sandboxes with ${runtime.name}`, () => {
    let tmp = "";
    let rt: OciRuntime;
    let cleanups: (() => Promise<void>)[] = [];
    let ids: string[] = [];
    let pids: number[] = [];

    before(async () => {
      tmp = await mkdtemp(join(tmpdir(), `crikit-sbx-${runtime.name}-`));
      rt = new OciRuntime({ stateDir: join(tmp, "state"), runtime: runtime.binary, runtimeRoot: join(tmp, "root") });
    });
    after(async () => {
      await rt.close();
      await rm(tmp, { recursive: true, force: true });
    });
    afterEach(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      cleanups = [];
      for (const id of ids) {
        await removeTestCgroup(`${cgroupParent}/${id}`);
        assert.deepEqual(await processesMatching(id), [], `processes left for ${id}`);
        assert.deepEqual(leftoverCgroups(`${cgroupParent}/${id}`), [], `cgroups left for ${id}`);
        assert.equal(await pathExists(rt.containerDir(id)), false);
      }
      for (const pid of pids) assert.equal(await pidAlive(pid), false, `process ${pid} still alive`);
      assert.deepEqual(await mountsMatching(tmp), [], "mounts left under the test dir");
      ids = [];
      pids = [];
    });

    const newId = (what: string): string => {
      const id = `crikit-oci-${runtime.name}-sbx-${what}-${randomBytes(3).toString("hex")}`;
      ids.push(id);
      return id;
    };

    async function joinContainer(sb: SandboxHandle): Promise<{ id: string; pid: number }> {
      const id = newId("ctr");
      const bundle: TestBundle = await makeBundle({
        args: ["sleep", "100"],
        cgroupsPath: `${cgroupParent}/${id}`,
        joinNamespaces: { ipc: sb.namespaces.ipc, uts: sb.namespaces.uts, ...(sb.namespaces.pid ? { pid: sb.namespaces.pid } : {}), ...(sb.namespaces.network ? { network: sb.namespaces.network } : {}) },
        hostname: "", // the hostname comes from the joined UTS namespace
      });
      const cfg = JSON.parse(await readFile(join(bundle.dir, "config.json"), "utf8")) as Record<string, unknown>;
      delete cfg["hostname"];
      await writeFile(join(bundle.dir, "config.json"), JSON.stringify(cfg));
      cleanups.push(async () => {
        await rt.remove(id);
        await bundle.cleanup();
      });
      const { pid } = await rt.create({ id, bundle: bundle.dir, logPath: join(tmp, `${id}.log`) });
      pids.push(pid);
      await rt.start(id);
      return { id, pid };
    }

    const modes: { desc: string; mode: SandboxMode }[] = [
      { desc: "an infra process (catatonit -P) holds the namespaces", mode: "infra" },
      { desc: "bind mounts pin the namespaces with no process", mode: "pinned" },
    ];
    for (const m of modes) {
      it(`runs a container in a sandbox where ${m.desc}`, async () => {
        const id = newId(m.mode);
        const dir = join(tmp, id);
        const sb = await startSandbox(rt, { id, dir, mode: m.mode, hostname: `pod-${m.mode}`, cgroupParent });
        cleanups.push(() => removeSandbox(rt, sb));
        if (m.mode === "infra") {
          assert.ok(sb.infraPid !== undefined && (await pidAlive(sb.infraPid)));
          pids.push(sb.infraPid);
          // Start returns once runc's init was released from its exec fifo; the
          // exec of catatonit follows within moments, so wait for it (bounded).
          const cmdlineOf = async () => (await readFile(`/proc/${String(sb.infraPid)}/cmdline`, "utf8")).split("\0").filter((s) => s !== "");
          let cmdline = await cmdlineOf();
          for (let i = 0; i < 100 && cmdline[0] !== "/catatonit"; i++) {
            await new Promise((r) => setTimeout(r, 20));
            cmdline = await cmdlineOf();
          }
          assert.deepEqual(cmdline, ["/catatonit", "-P"]);
          assert.ok(sb.namespaces.pid);
        } else {
          assert.equal(sb.infraPid, undefined);
          const mounts = await mountsMatching(dir);
          assert.deepEqual(mounts.sort(), [join(dir, "ns", "ipc"), join(dir, "ns", "uts")]);
          assert.equal(sb.namespaces.pid, undefined);
        }
        assert.deepEqual(await loadSandbox(dir), sb);

        const ctr = await joinContainer(sb);
        for (const t of ["ipc", "uts"] as const) {
          assert.equal(await nsInode(`/proc/${ctr.pid}/ns/${t}`), await nsInode(sb.namespaces[t]), `${t} namespace is shared`);
        }
        if (sb.namespaces.pid) assert.equal(await nsInode(`/proc/${ctr.pid}/ns/pid`), await nsInode(sb.namespaces.pid));
        const res = await rt.execSync(ctr.id, ["hostname"], { timeoutMs: 5000 });
        assert.equal(Buffer.from(res.stdout).toString().trim(), `pod-${m.mode}`);

        await rt.remove(ctr.id);
        await stopSandbox(rt, sb);
        // A stopped pod's namespaces are gone: the infra process with them, or the pins.
        if (m.mode === "pinned") assert.deepEqual(await mountsMatching(dir), [], "stop unpins the IPC and UTS namespaces");
        await stopSandbox(rt, sb); // stopping twice is fine
        await removeSandbox(rt, sb);
        await removeSandbox(rt, sb); // removing twice is fine
        assert.equal(await pathExists(dir), false);
        assert.deepEqual(await mountsMatching(dir), []);
      });
    }

    it("joins a network namespace given by path in both modes", async () => {
      const netns = join(tmp, `netns-${randomBytes(3).toString("hex")}`);
      await writeFile(netns, "");
      await run("unshare", [`--net=${netns}`, "true"]);
      cleanups.push(async () => {
        await run("umount", ["-l", netns]);
        await rm(netns, { force: true });
      });
      for (const mode of ["infra", "pinned"] as const) {
        const id = newId(`net-${mode}`);
        const sb = await startSandbox(rt, { id, dir: join(tmp, id), mode, netns, cgroupParent });
        cleanups.push(() => removeSandbox(rt, sb));
        assert.equal(sb.namespaces.network, netns);
        if (sb.infraPid !== undefined) {
          pids.push(sb.infraPid);
          assert.equal(await nsInode(`/proc/${sb.infraPid}/ns/net`), await nsInode(netns));
        }
        const ctr = await joinContainer(sb);
        assert.equal(await nsInode(`/proc/${ctr.pid}/ns/net`), await nsInode(netns));
      }
    });
  });
}
