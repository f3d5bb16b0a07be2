/**
 * Crash consistency: crikitd killed at a named step inside a mutating RPC
 * (`CRIKIT_CRASH_AT=<rpc>.<step>`, the daemon SIGKILLs itself there), then
 * started again on the same state without the hook. Each crash point is its
 * own test case:
 *
 * 1. the daemon starts with the hook armed; what the RPC needs is made;
 * 2. crictl issues the RPC and fails, as the daemon dies at the step;
 * 3. the daemon starts again (recovery finishes or undoes the call's intent);
 * 4. the retry of the same call (the kubelet's retry) succeeds: crictl's,
 *    or the RPC alone for removals, since crictl's `rm` and `rmp` first ask
 *    for a status that is NotFound once recovery has finished the removal;
 * 5. `crictl rmp -fa` (and `crictl rmi` after a pull) leaves nothing, each
 *    checked on its own: no process, runtime container, mount, netns pin,
 *    veth on the test bridge, host-local allocation, CNI cache entry,
 *    portmap iptables rule, sandbox or container directory, record or
 *    intent file (and, after a pull, no blob, partial blob or snapshot).
 *
 * Every point in `CRASH_POINTS` is its own case, and all run. The daemon runs
 * compiled (`dist/`, as `npm test` builds it first): run `npm run build`
 * before running this file alone.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { CRASH_POINTS } from "../../src/crash-points.js";
import { filesUnder, leakedMounts, netnsPins, pidsMentioning, setupE2e, type E2eEnv } from "./harness.js";

const sharedCrictl = fileURLToPath(new URL("../../../shared/bin/crictl", import.meta.url));
const crictlBin = existsSync(sharedCrictl) ? sharedCrictl : "/usr/local/bin/crictl";

describe("crash consistency", { timeout: 900_000 }, () => {
  let env: E2eEnv;
  let podJson = "";
  let ctrJson = "";
  let n = 0;

  const crictl = (args: string[]) =>
    execa(crictlBin, args, { reject: false, env: { CRI_CONFIG_FILE: join(env.dir, "crictl.yaml") }, extendEnv: true, timeout: 60_000 });
  const ok = async (args: string[]): Promise<string> => {
    const r = await crictl(args);
    assert.equal(r.exitCode, 0, `crictl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout.trim();
  };

  /** Pod and container configs in crictl's JSON; `infra`: a shared PID namespace (catatonit holds it), else pinned namespaces. */
  async function writeConfigs(infra: boolean): Promise<void> {
    n++;
    const name = `crash${n}`;
    podJson = join(env.dir, `${name}-pod.json`);
    ctrJson = join(env.dir, `${name}-ctr.json`);
    await writeFile(
      podJson,
      JSON.stringify({
        metadata: { name, namespace: "crash", uid: `uid-${name}`, attempt: 0 },
        log_directory: join(env.logDir, name),
        port_mappings: [{ container_port: 80, host_port: 31000 + n }],
        linux: { security_context: { namespace_options: { network: 0, pid: infra ? 0 : 1, ipc: 0 } } },
      }),
    );
    await writeFile(
      ctrJson,
      JSON.stringify({ metadata: { name: "c" }, image: { image: env.image }, command: ["/bin/sh", "-c", "sleep 600"], log_path: "c.log", linux: {} }),
    );
  }

  /** Starts the daemon with the crash point armed (the last case's daemon is killed first). */
  async function arm(point: string): Promise<void> {
    if (env.daemon.proc.exitCode === null && env.daemon.proc.signalCode === null) await env.kill9();
    await env.start({ CRIKIT_CRASH_AT: point });
  }

  /** Runs the call that must crash the daemon at `point`, then starts the daemon again without the hook. */
  async function crashAndRestart(point: string, args: string[], whileDown?: () => Promise<void>): Promise<void> {
    const r = await crictl(args);
    assert.notEqual(r.exitCode, 0, `crictl ${args.join(" ")} should fail when the daemon dies`);
    await env.daemon.exited;
    assert.match(env.daemon.how(), /signal SIGKILL/, "the daemon killed itself");
    assert.match(await readFile(env.daemon.logFile, "utf8"), new RegExp(`crash point ${point.replace(".", "\\.")} reached`));
    await whileDown?.();
    await env.start();
  }

  async function podIn(): Promise<string> {
    return ok(["runp", podJson]);
  }
  async function ctrIn(pod: string, start = true): Promise<string> {
    const id = await ok(["create", "--no-pull", pod, ctrJson, podJson]);
    if (start) await ok(["start", id]);
    return id;
  }

  /** The pod network's host state that a pod holds: veths on the test bridge, host-local allocations, CNI cache entries, portmap rules, netns pins. */
  async function networkState(): Promise<{ veths: string[]; ipam: string[]; cniCache: string[]; libcniCache: string[]; nat: string[]; netns: string[] }> {
    const veths = await execa("ip", ["-o", "link", "show", "master", env.net.bridge], { reject: false });
    const ipam = await readdir(join("/var/lib/cni/networks", env.net.network)).catch(() => [] as string[]);
    const results = await readdir("/var/lib/cni/results").catch(() => [] as string[]);
    const nat = await execa("iptables-save", ["-t", "nat"], { reject: false });
    return {
      veths: veths.exitCode === 0 ? veths.stdout.split("\n").filter((l) => l.trim() !== "") : [],
      ipam: ipam.filter((f) => !/^(lock|last_reserved_ip\.\d+)$/.test(f)),
      cniCache: await filesUnder(join(env.root, "cni-cache")),
      libcniCache: results.filter((f) => f.startsWith(`${env.net.network}-`)),
      nat: nat.stdout.split("\n").filter((l) => l.includes(env.net.network)),
      netns: await netnsPins(env, []),
    };
  }

  /** Each kind of leftover, checked on its own. */
  async function assertNothingLeft(opts: { images?: boolean } = {}): Promise<void> {
    assert.deepEqual(await pidsMentioning(env.state), [], "no conmon or container process");
    const runc = await execa("runc", ["--root", join(env.state, "runtimes", "runc"), "list", "-q"], { reject: false });
    assert.equal(runc.stdout.trim(), "", "no runc container");
    assert.deepEqual(await leakedMounts(env), [], "no mount (rootfs, shm, pinned namespaces)");
    const net = await networkState();
    assert.deepEqual(net.netns, [], "no netns pin");
    assert.deepEqual(net.veths, [], "no veth on the pod bridge");
    assert.deepEqual(net.ipam, [], "no host-local address allocated");
    assert.deepEqual(net.cniCache, [], "no CNI cache entry in the daemon's cache dir");
    assert.deepEqual(net.libcniCache, [], "no libcni result cache entry for the test network");
    assert.deepEqual(net.nat, [], "no portmap iptables rule");
    for (const d of [join(env.state, "sandboxes"), join(env.state, "containers"), join(env.root, "sandboxes"), join(env.root, "containers")]) {
      assert.deepEqual(await readdir(d).catch(() => [] as string[]), [], `nothing left in ${d}`);
    }
    assert.deepEqual(await filesUnder(join(env.root, "records")), [], "no record or intent file");
    if (opts.images === true) {
      const images = join(env.root, "images");
      assert.deepEqual(await filesUnder(join(images, "content")), [], "no blob and no partial blob");
      assert.deepEqual(await readdir(join(images, "snapshots")).catch(() => [] as string[]), [], "no snapshot");
    }
  }

  before(async () => {
    env = await setupE2e({ logLevel: "info", compiled: true });
    await writeFile(join(env.dir, "crictl.yaml"), `runtime-endpoint: unix://${env.socket}\nimage-endpoint: unix://${env.socket}\ntimeout: 30\n`);
    await env.client.unary("PullImage", { image: { image: env.image } });
  });
  after(async () => {
    await env?.cleanup();
  });

  const cases: Record<keyof typeof CRASH_POINTS, (point: string, step: string) => Promise<void>> = {
    async RunPodSandbox(point, step) {
      await writeConfigs(step === "after-sandbox-start");
      await arm(point);
      await crashAndRestart(point, ["runp", podJson], async () => {
        // What the crash left for recovery to undo.
        const left = await networkState();
        if (step !== "after-intent") assert.equal(left.netns.length, 1, "the crash left the netns pin");
        if (["mid-cni-add", "after-cni-add", "after-files", "after-record"].includes(step)) {
          assert.equal(left.veths.length, 1, "the crash left the veth");
          assert.equal(left.ipam.length, 1, "the crash left the address");
          assert.equal(left.cniCache.length, 1, "the crash left the CNI cache entry");
        }
      });
      const id = await podIn();
      const st = JSON.parse(await ok(["inspectp", id])) as { status: { state: string; network: { ip: string } } };
      assert.equal(st.status.state, "SANDBOX_READY");
      assert.match(st.status.network.ip, /^10\.203\./, "the retry's pod has its address");
      // The checks below see what a pod holds: each finds it while the pod runs.
      const live = await networkState();
      assert.equal(live.netns.length, 1, "a running pod has its netns pin");
      assert.equal(live.veths.length, 1, "a running pod has its veth");
      assert.equal(live.ipam.length, 1, "a running pod has its address");
      assert.equal(live.cniCache.length, 1, "a running pod has its CNI cache entry");
      assert.ok(live.nat.length > 0, "a running pod with a host port has its portmap rules");
      await ok(["rmp", "-fa"]);
      await assertNothingLeft();
    },
    async CreateContainer(point, step) {
      await writeConfigs(false);
      await arm(point);
      const pod = await podIn();
      await crashAndRestart(point, ["create", "--no-pull", pod, ctrJson, podJson], async () => {
        // The bundle's copy of the rootfs is mounted from after-rootfs-mount on (the runtime's create, which holds its own, comes at start).
        const mounted = step !== "after-intent" ? 1 : 0;
        assert.equal((await leakedMounts(env)).filter((m) => m.endsWith("/rootfs")).length, mounted, mounted ? "the crash left the rootfs mounted" : "no rootfs copy mounted");
      });
      const id = await ctrIn(pod);
      assert.match(await ok(["inspect", "-o", "go-template", "--template", "{{.status.state}}", id]), /CONTAINER_RUNNING/);
      await ok(["rmp", "-fa"]);
      await assertNothingLeft();
    },
    async StartContainer(point, step) {
      await writeConfigs(false);
      await arm(point);
      const pod = await podIn();
      const id = await ctrIn(pod, false);
      assert.deepEqual(await pidsMentioning(env.state), [], "a created container has no process before its start");
      await crashAndRestart(point, ["start", id], async () => {
        // The runtime's create runs at start: from after-runtime-create on, conmon and the container's init are there.
        const procs = await pidsMentioning(env.state);
        if (step === "after-intent") assert.deepEqual(procs, [], "no process before the runtime's create");
        else assert.ok(procs.length > 0, "the crash left the runtime's container");
      });
      await ok(["start", id]);
      assert.match(await ok(["inspect", "-o", "go-template", "--template", "{{.status.state}}", id]), /CONTAINER_RUNNING/);
      await ok(["rmp", "-fa"]);
      await assertNothingLeft();
    },
    async StopPodSandbox(point) {
      await writeConfigs(false);
      await arm(point);
      const pod = await podIn();
      await ctrIn(pod);
      await crashAndRestart(point, ["stopp", pod]);
      await ok(["stopp", pod]);
      assert.match(await ok(["inspectp", "-o", "go-template", "--template", "{{.status.state}}", pod]), /SANDBOX_NOTREADY/);
      await ok(["rmp", "-fa"]);
      await assertNothingLeft();
    },
    async RemovePodSandbox(point) {
      await writeConfigs(false);
      await arm(point);
      const pod = await podIn();
      await ctrIn(pod);
      await ok(["stopp", pod]);
      await crashAndRestart(point, ["rmp", pod]);
      // The kubelet's retry is the RPC itself (crictl asks for the status first, NotFound once recovery finished the removal).
      await env.client.unary("RemovePodSandbox", { pod_sandbox_id: pod });
      assert.equal(await ok(["pods", "-q"]), "", "the pod is gone");
      await ok(["rmp", "-fa"]);
      await assertNothingLeft();
    },
    async RemoveContainer(point) {
      await writeConfigs(false);
      await arm(point);
      const pod = await podIn();
      const id = await ctrIn(pod);
      await ok(["stop", "-t", "0", id]);
      await crashAndRestart(point, ["rm", id]);
      // The kubelet's retry is the RPC itself (crictl asks for the status first, NotFound once recovery finished the removal).
      await env.client.unary("RemoveContainer", { container_id: id });
      assert.equal(await ok(["ps", "-aq"]), "", "the container is gone");
      await ok(["rmp", "-fa"]);
      await assertNothingLeft();
    },
    async PullImage(point) {
      await arm(point);
      await ok(["rmi", "--all"]);
      await crashAndRestart(point, ["pull", env.image]);
      await ok(["pull", env.image]);
      assert.notEqual(await ok(["images", "-q"]), "", "the retry's image is listed");
      await ok(["rmp", "-fa"]);
      await ok(["rmi", env.image]);
      await assertNothingLeft({ images: true });
      // The other RPCs' cases need the image.
      await env.client.unary("PullImage", { image: { image: env.image } });
    },
  };

  for (const [rpc, steps] of Object.entries(CRASH_POINTS) as Array<[keyof typeof CRASH_POINTS, readonly string[]]>) {
    for (const step of steps) {
      const point = `${rpc}.${step}`;
      it(point, () => cases[rpc](point, step));
    }
  }
});
