/**
 * Component faults, OCI runtime and monitor: a runtime handler whose
 * `binary` does not exist, one whose runtime fails every `create`, conmon
 * missing from the daemon's PATH and a conmon that fails at once. Each call
 * that runs them (RunPodSandbox of a pod with an infra process, a
 * container's first StartContainer) answers a specific gRPC code (FailedPrecondition for a missing binary,
 * Unavailable for one that fails), leaves no container, record, state dir,
 * mount or process behind, the daemon then runs the next pod with the good
 * handler, and a restart recovers cleanly.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GrpcStatus } from "../../helpers/cri-client.js";
import { containerConfig, podConfig, rejectsWith, setupE2e, type E2eEnv } from "../harness.js";
import { assertNoLeftovers, podRoundTrip, restartRecoversCleanly } from "./fault-env.js";

const binDir = join("/tmp", `crikit-faulty-oci-${process.pid}`);

/** A pod whose containers share its PID namespace: it needs an infra process, so its handler's runtime runs at RunPodSandbox. */
function sharedPidPod(env: E2eEnv, name: string): Record<string, unknown> {
  return podConfig(env, name, { linux: { security_context: { namespace_options: { network: "POD", pid: "POD", ipc: "POD" } } } });
}

/**
 * CreateContainer succeeds (the runtime's create comes at start); the first
 * StartContainer answers `code`, the container is then exited with reason
 * StartError, and RemoveContainer removes it.
 */
async function createThenFailedStart(env: E2eEnv, podId: string, pod: Record<string, unknown>, code: number, match: RegExp): Promise<void> {
  const c = await env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "c", ["/bin/sleep", "30"]), sandbox_config: pod });
  const cid = c["container_id"];
  await rejectsWith(env.client.unary("StartContainer", { container_id: cid }), code, match);
  const st = (await env.client.unary("ContainerStatus", { container_id: cid }))["status"];
  assert.equal(st?.["state"], "CONTAINER_EXITED");
  assert.equal(st?.["reason"], "StartError");
  assert.match(String(st?.["message"]), match, "the status says why it did not start");
  await env.client.unary("RemoveContainer", { container_id: cid });
  assert.deepEqual((await env.client.unary("ListContainers", {}))["containers"], []);
}

describe("component faults: OCI runtime and conmon", { timeout: 300_000 }, () => {
  let env: E2eEnv;

  before(async () => {
    await mkdir(binDir, { recursive: true });
    // A runtime that refuses every create and passes everything else to runc.
    await writeFile(join(binDir, "failing-runc"), `#!/bin/sh\nfor a in "$@"; do if [ "$a" = create ]; then echo "failing-runc: simulated create failure" >&2; exit 1; fi; done\nexec /usr/sbin/runc "$@"\n`);
    await chmod(join(binDir, "failing-runc"), 0o755);
    env = await setupE2e({
      logLevel: "info",
      extraToml: `
[runtimes.missing]
binary = "${binDir}/no-such-runc"

[runtimes.failing]
binary = "${binDir}/failing-runc"
`,
    });
    await env.client.unary("PullImage", { image: { image: env.image } });
  });
  after(async () => {
    await env?.cleanup();
    await rm(binDir, { recursive: true, force: true });
  });

  for (const handler of ["missing", "failing"] as const) {
    const code = handler === "missing" ? GrpcStatus.FAILED_PRECONDITION : GrpcStatus.UNAVAILABLE;
    const match = handler === "missing" ? /no-such-runc|not found/i : /simulated create failure|failing-runc/;

    it(`runtime ${handler}: RunPodSandbox of a pod that needs an infra process answers ${GrpcStatus[code] ?? code}, rolled back`, async () => {
      await rejectsWith(env.client.unary("RunPodSandbox", { config: sharedPidPod(env, `infra-${handler}`), runtime_handler: handler }), code, match);
      assert.deepEqual((await env.client.unary("ListPodSandbox", {}))["items"], []);
      await assertNoLeftovers(env, `infra with runtime ${handler}`);
      await podRoundTrip(env, `after-infra-${handler}`);
      await assertNoLeftovers(env, `next pod after runtime ${handler}`);
    });

    it(`runtime ${handler}: the container's StartContainer answers ${GrpcStatus[code] ?? code}, RemoveContainer leaves nothing, the pod goes on`, async () => {
      const pod = podConfig(env, `ctr-${handler}`);
      let id = "";
      try {
        // A pod without an infra process may not run the runtime at all: then the container's create does.
        id = (await env.client.unary("RunPodSandbox", { config: pod, runtime_handler: handler }))["pod_sandbox_id"];
      } catch (err) {
        assert.equal((err as { code: number }).code, code, String(err));
        await assertNoLeftovers(env, `pod with runtime ${handler}`);
        return;
      }
      await createThenFailedStart(env, id, pod, code, match);
      await assertNoLeftovers(env, `container with runtime ${handler}`, [id]);
      await env.client.unary("StopPodSandbox", { pod_sandbox_id: id });
      await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
      await assertNoLeftovers(env, `pod with runtime ${handler} removed`);
    });
  }

  it("conmon failing or missing: RunPodSandbox and the container's StartContainer answer a specific code, rolled back", async () => {
    // conmon that fails at once, found first on PATH.
    const failingDir = join(binDir, "failing-conmon");
    await mkdir(failingDir, { recursive: true });
    await writeFile(join(failingDir, "conmon"), `#!/bin/sh\necho "conmon: simulated failure" >&2\nexit 1\n`);
    await chmod(join(failingDir, "conmon"), 0o755);
    // A PATH with everything of /usr/bin but conmon.
    const noConmonDir = join(binDir, "no-conmon");
    await mkdir(noConmonDir, { recursive: true });
    for (const f of await readdir("/usr/bin")) if (f !== "conmon") await symlink(join("/usr/bin", f), join(noConmonDir, f));
    const basePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin";
    const cases = [
      { what: "failing", path: `${failingDir}:${basePath}:/usr/bin:/bin`, code: GrpcStatus.UNAVAILABLE, match: /conmon/ },
      { what: "missing", path: `${noConmonDir}:${basePath}`, code: GrpcStatus.FAILED_PRECONDITION, match: /conmon/ },
    ];
    for (const c of cases) {
      env.daemonEnv = { ...process.env, PATH: c.path };
      await env.stop();
      await env.start();
      await rejectsWith(env.client.unary("RunPodSandbox", { config: sharedPidPod(env, `conmon-${c.what}`) }), c.code, c.match);
      await assertNoLeftovers(env, `infra with conmon ${c.what}`);
      const pod = podConfig(env, `conmon-ctr-${c.what}`);
      const id = (await env.client.unary("RunPodSandbox", { config: pod }))["pod_sandbox_id"];
      await createThenFailedStart(env, id, pod, c.code, c.match);
      await assertNoLeftovers(env, `container with conmon ${c.what}`, [id]);
      await env.client.unary("StopPodSandbox", { pod_sandbox_id: id });
      await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
      await assertNoLeftovers(env, `pod with conmon ${c.what} removed`);
    }
    env.daemonEnv = undefined;
    await env.stop();
    await env.start();
    await podRoundTrip(env, "conmon-back");
  });

  it("a restart after the faults recovers cleanly", async () => {
    // The handler whose binary is missing cannot list its containers: that, and only that, is logged as an error.
    await restartRecoversCleanly(env, [], /"handler":"missing".*no-such-runc/);
    await podRoundTrip(env, "after-restart");
    await assertNoLeftovers(env, "after restart");
  });
});
