/**
 * OCI adapter benchmarks: container create+start and stop+remove through
 * OciRuntime (conmon + runtime) against `RUNTIME run -d` / `delete -f` of
 * the same bundle, for runc and crun; sandbox start and start+stop+remove in
 * both modes; conmon's resident memory per container.
 *
 * What the profile showed (strace -f -tt of the processes, --cpu-prof of
 * Node, runc 1.1.5, conmon 2.1.6, 2 vCPUs at load 5-10): create is conmon's
 * start-up (exec, glib, double fork, fifos, fork of the runtime: 15-25 ms
 * before `runc create` even starts) plus `runc create` itself (about `run -d`;
 * its CVE-2019-5736 guard runs only in `runc init`, once per create: as root
 * a read-only bind mount of /proc/self/exe, not a memfd copy; `runc
 * --version` and `state` do neither, and 1.1.5 has no RUNC_DMZ switch, which
 * came with 1.2); conmon answers on the sync pipe within 1 ms
 * of `runc create` exiting, and no `state` call follows. The rest was extra
 * processes and sleeps: `runc start` was a full runc process (20-40 ms; any
 * runc subcommand that loads a container also parses /proc/self/mountinfo,
 * 500+ mounts here) for what is "read the exec fifo, delete it"; stop ran
 * `runc kill --all`, polled the exit file with a 2-25 ms backoff, then ran
 * `delete` and polled conmon every 5 ms one after the other. Each process
 * spawn also blocks Node's main thread 5-8 ms (libuv forks the daemon).
 * There were no fsyncs to remove. Now: start reads runc's exec fifo itself
 * (runc, no poststart hooks; crun keeps `crun start`), SIGKILL goes straight
 * to an init that has its own PID namespace (checked to still be conmon's
 * child), inotify wakes the exit wait, and `delete` runs alongside the
 * conmon wait; create+start is conmon + `runc create`, stop+remove is one
 * `runc delete`. crun here runs through a wrapper (unshare + sh, see
 * test/helpers/bundle.ts) that adds a few ms to every crun call.
 *
 * Before and after, p50 ms, four alternating runs of this module with the
 * old and new code at load average 4-8 (other work on the 2 vCPUs): runc
 * create+start 67/81/154/84 -> 64/100/91/51, ratio to `runc run -d` in the
 * same run 1.48-1.91x -> 1.24-1.72x; runc stop+remove 33/45/68/48 ->
 * 26/29/37/26; status of a running container 20-43 -> 0.5-0.7 (both
 * runtimes); infra sandbox start+stop+remove (runc) 171/113/170/126 ->
 * 123/155/121/104; crun stop+remove 49/48/90/43 -> 39/47/31/33.
 */
import { execa } from "execa";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OciRuntime } from "../src/oci/index.js";
import { startSandbox, stopSandbox, removeSandbox } from "../src/sandbox/index.js";
import { makeBundle, testRuntimes, removeTestCgroup } from "../test/helpers/bundle.js";
import { summarize } from "./harness.js";
import type { BenchRow } from "./harness.js";

export const title = "oci runtime adapter (conmon + runc/crun)";

const cgroupParent = "/crikit-bench-oci";

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const n = quick ? 5 : 20;
  const rows: BenchRow[] = [];
  const tmp = await mkdtemp(join(tmpdir(), "crikit-bench-oci-"));
  try {
    for (const runtime of await testRuntimes()) {
      const root = join(tmp, `root-${runtime.name}`);
      const rt = new OciRuntime({ stateDir: join(tmp, `state-${runtime.name}`), runtime: runtime.binary, runtimeRoot: root });
      const cg = `${cgroupParent}/${runtime.name}`;
      const bundle = await makeBundle({ args: ["sleep", "1000"], cgroupsPath: cg }, tmp);
      const id = (i: number): string => `crikit-bench-${runtime.name}-${i}`;

      // Adapter: create+start, then stop+remove, alternating so one container exists at a time.
      const createStart: number[] = [];
      const stopRemove: number[] = [];
      for (let i = -2; i < n; i++) {
        const t0 = performance.now();
        await rt.create({ id: id(i + 100), bundle: bundle.dir, logPath: join(tmp, `${runtime.name}.log`) });
        await rt.start(id(i + 100));
        const t1 = performance.now();
        await rt.remove(id(i + 100), { timeoutMs: 0 });
        const t2 = performance.now();
        if (i >= 0) {
          createStart.push(t1 - t0);
          stopRemove.push(t2 - t1);
        }
      }
      // Bare runtime: run -d, then delete -f, same bundle.
      const runD: number[] = [];
      const delF: number[] = [];
      for (let i = -2; i < n; i++) {
        const t0 = performance.now();
        await execa(runtime.binary, ["--root", root, "run", "-d", "--bundle", bundle.dir, id(i + 200)], { stdio: "ignore" });
        const t1 = performance.now();
        await execa(runtime.binary, ["--root", root, "delete", "-f", id(i + 200)], { stdio: "ignore" });
        const t2 = performance.now();
        if (i >= 0) {
          runD.push(t1 - t0);
          delF.push(t2 - t1);
        }
      }
      // Bare runtime: create then start (the two calls the adapter makes), then delete -f.
      const createThenStart: number[] = [];
      for (let i = -2; i < n; i++) {
        const t0 = performance.now();
        await execa(runtime.binary, ["--root", root, "create", "--bundle", bundle.dir, id(i + 400)], { stdio: "ignore" });
        await execa(runtime.binary, ["--root", root, "start", id(i + 400)], { stdio: "ignore" });
        if (i >= 0) createThenStart.push(performance.now() - t0);
        await execa(runtime.binary, ["--root", root, "delete", "-f", id(i + 400)], { stdio: "ignore" });
      }
      const cs = summarize(`${runtime.name}: adapter create+start`, "ms", createStart);
      const rd = summarize(`${runtime.name}: \`${runtime.name} run -d\` (same bundle)`, "ms", runD);
      cs.note = `ratio to run -d: ${(cs.p50 / rd.p50).toFixed(2)}x (p50)`;
      const sr = summarize(`${runtime.name}: adapter stop+remove (SIGKILL, grace 0)`, "ms", stopRemove);
      const df = summarize(`${runtime.name}: \`${runtime.name} delete -f\``, "ms", delF);
      sr.note = `ratio to delete -f: ${(sr.p50 / df.p50).toFixed(2)}x (p50)`;
      const cts = summarize(`${runtime.name}: \`${runtime.name} create\` + \`start\` (same bundle)`, "ms", createThenStart);
      cs.note += `, to create+start: ${(cs.p50 / cts.p50).toFixed(2)}x`;
      rows.push(cs, rd, cts, sr, df);

      // conmon RSS per container, with 5 containers up.
      const rss: number[] = [];
      const up: string[] = [];
      for (let i = 0; i < 5; i++) {
        const cid = id(300 + i);
        const { conmonPid } = await rt.create({ id: cid, bundle: bundle.dir, logPath: join(tmp, `${cid}.log`) });
        await rt.start(cid);
        up.push(cid);
        const status = await readFile(`/proc/${conmonPid}/status`, "utf8");
        rss.push(Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN));
      }
      // Status of a running container (ContainerStatus / ListContainers read this).
      const statusMs: number[] = [];
      for (let i = -2; i < n; i++) {
        const t0 = performance.now();
        await rt.status(up[(i + 2) % up.length] ?? "");
        if (i >= 0) statusMs.push(performance.now() - t0);
      }
      for (const cid of up) await rt.remove(cid);
      rows.push(summarize(`${runtime.name}: conmon RSS per container`, "KiB", rss));
      rows.push(summarize(`${runtime.name}: status of a running container`, "ms", statusMs));

      // Sandboxes: start latency (removal not measured).
      for (const mode of ["infra", "pinned"] as const) {
        if (mode === "pinned" && runtime.name !== "runc") continue; // no runtime involved
        const starts: number[] = [];
        const lifecycles: number[] = [];
        for (let i = -2; i < n; i++) {
          const sid = `crikit-bench-sbx-${runtime.name}-${mode}-${i + 2}`;
          const t0 = performance.now();
          const sb = await startSandbox(rt, { id: sid, dir: join(tmp, sid), mode, hostname: "bench", cgroupParent: `${cgroupParent}-sbx` });
          const t1 = performance.now();
          await stopSandbox(rt, sb);
          await removeSandbox(rt, sb);
          if (i >= 0) {
            starts.push(t1 - t0);
            lifecycles.push(performance.now() - t0);
          }
          await removeTestCgroup(`${cgroupParent}-sbx/${sid}`);
        }
        const what = mode === "infra" ? `${runtime.name}: sandbox, infra (catatonit -P)` : "sandbox, pinned ipc+uts (no process, no runtime)";
        rows.push(summarize(`${what}: start`, "ms", starts), summarize(`${what}: start+stop+remove`, "ms", lifecycles));
      }
      await rt.close();
      await bundle.cleanup();
      await removeTestCgroup(cg);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await removeTestCgroup(`${cgroupParent}-sbx`);
    await removeTestCgroup(cgroupParent);
  }
  return rows;
}
