/**
 * crikitd with the configs real clients send, where the CRI leaves fields
 * empty: crictl's documented minimal `pod.json` and `container.json` (no
 * hostname, no security context, `"linux": {}`), a pod whose name is past
 * 64 bytes, configs with no `linux` section and no log directory or log
 * path at all; what the container sees (the node's hostname, the node's
 * resolv.conf) is checked from inside. Also: PID-namespace TARGET checks,
 * and a handler whose `[runtimes.<handler>.options]` set the binary, the
 * root and the create flags.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { hostname as osHostname, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { GrpcStatus, type Msg } from "../helpers/cri-client.js";
import { buildOciLayout } from "../helpers/oci-layout.js";
import { pushLayout } from "../helpers/registry.js";
import { containerConfig, e2eImage, eventually, podConfig, rejectsWith, setupE2e, type E2eEnv } from "./harness.js";


describe("crikitd defaults for what a minimal config leaves empty", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  /** Holds the runtime wrapper, its argv log and the handler's runtime root. */
  let optsDir = "";
  /** The e2e busybox with a `top` applet, as crictl's container.json runs it. */
  let image = "";
  const node = osHostname();

  before(async () => {
    optsDir = await mkdtemp(join(tmpdir(), "crikit-e2e-opts-"));
    const wrapper = join(optsDir, "runc-logged");
    await writeFile(wrapper, `#!/bin/sh\necho "$*" >> ${join(optsDir, "argv.log")}\nexec runc "$@"\n`);
    await chmod(wrapper, 0o755);
    env = await setupE2e({
      extraToml: `
[runtimes.opts]
[runtimes.opts.options]
BinaryName = "${wrapper}"
Root = "${join(optsDir, "root")}"
NoPivotRoot = true
NoNewKeyring = true
`,
    });
    const base = e2eImage();
    const layer = base.layers[0] as (typeof base.layers)[number];
    const withTop = { ...base, layers: [{ entries: [...layer.entries, { path: "bin/top", type: "symlink" as const, target: "busybox" }] }] };
    await buildOciLayout(join(optsDir, "layout"), [{ tag: "1", image: withTop }]);
    image = `${env.registry.host}/e2e/busybox-top:1`;
    await pushLayout(join(optsDir, "layout"), "1", image);
    await env.client.unary("PullImage", { image: { image } });
    await env.client.unary("PullImage", { image: { image: env.image } });
  });

  after(async () => {
    await env?.cleanup();
    const root = join(optsDir, "root");
    const r = await execa("runc", ["--root", root, "list", "-q"], { reject: false });
    for (const id of String(r.stdout).split("\n").filter(Boolean)) await execa("runc", ["--root", root, "delete", "--force", id], { reject: false });
    await rm(optsDir, { recursive: true, force: true });
  });

  async function exec(id: string, cmd: string[]): Promise<string> {
    const r = await env.client.unary("ExecSync", { container_id: id, cmd, timeout: 10 });
    assert.equal(r["exit_code"], 0, `${cmd.join(" ")}: ${Buffer.from(r["stderr"]).toString()}`);
    return Buffer.from(r["stdout"]).toString();
  }

  /** Runs `pod` and `ctr` in it, waits for the container to run, returns both IDs. */
  async function runPair(pod: Msg, ctr: Msg, runtimeHandler = ""): Promise<{ podId: string; ctrId: string }> {
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod, runtime_handler: runtimeHandler });
    const { container_id: ctrId } = await env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: ctr, sandbox_config: pod });
    await env.client.unary("StartContainer", { container_id: ctrId });
    const st = await env.client.unary("ContainerStatus", { container_id: ctrId });
    assert.equal(st["status"]["state"], "CONTAINER_RUNNING", JSON.stringify(st["status"]));
    return { podId, ctrId };
  }

  async function removePod(podId: string): Promise<void> {
    await env.client.unary("StopPodSandbox", { pod_sandbox_id: podId });
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
  }

  /** What the container sees of the defaults: the node's hostname (UTS, $HOSTNAME, /etc/hostname) and resolv.conf. */
  async function assertNodeDefaults(ctrId: string): Promise<void> {
    assert.equal(await exec(ctrId, ["hostname"]), `${node}\n`, "the hostname applet reports the node's hostname");
    assert.equal(await exec(ctrId, ["/bin/sh", "-c", 'echo "$HOSTNAME"']), `${node}\n`);
    assert.equal(await exec(ctrId, ["cat", "/etc/hostname"]), `${node}\n`);
    assert.equal(await exec(ctrId, ["cat", "/etc/resolv.conf"]), await readFile("/etc/resolv.conf", "utf8"), "no DNS config: the node's resolv.conf");
  }

  it("runs crictl's minimal pod.json and container.json", async () => {
    // crictl's documented files, as its JSON decodes into the CRI messages;
    // two changes: the image is the local registry's, and log_directory is
    // this test's own directory rather than /tmp, where another test running
    // the same files at the same time would write the same busybox.0.log.
    const logDir = join(env.logDir, "crictl-minimal");
    const pod = { metadata: { name: "nginx-sandbox", namespace: "default", attempt: 1, uid: "hdishd83djaidwnduwk28bcsb" }, log_directory: logDir, linux: {} };
    const ctr = { metadata: { name: "busybox" }, image: { image }, command: ["top"], log_path: "busybox.0.log", linux: {} };
    const { podId, ctrId } = await runPair(pod, ctr);
    await assertNodeDefaults(ctrId);
    const ps = await env.client.unary("PodSandboxStatus", { pod_sandbox_id: podId, verbose: true });
    assert.equal(ps["status"]["metadata"]["attempt"], 1);
    assert.equal(ps["status"]["linux"]["namespaces"]["options"]["pid"], "POD", "an empty linux section means the CRI's zero values: one PID namespace for the pod");
    assert.equal(JSON.parse(ps["info"]["info"]).sandboxMode, "infra", "a shared PID namespace needs the infra process to reap");
    const st = await env.client.unary("ContainerStatus", { container_id: ctrId });
    assert.equal(st["status"]["log_path"], join(logDir, "busybox.0.log"));
    assert.equal(st["status"]["metadata"]["attempt"], 0);
    await eventually(async () => (await readFile(join(logDir, "busybox.0.log"), "utf8").catch(() => "")).includes(" stdout "), 15_000, "top's output in the log");
    await removePod(podId);
  });

  it("runs a pod whose name is 100 bytes long and that names no hostname", async () => {
    const name = "n".repeat(100);
    const pod = { metadata: { name, namespace: "default", uid: "uid-long-name", attempt: 0 }, log_directory: join(env.logDir, "long"), linux: {} };
    const { podId, ctrId } = await runPair(pod, containerConfig(env, "sleeper", ["/bin/sleep", "600"]));
    await assertNodeDefaults(ctrId);
    await removePod(podId);
  });

  it("refuses what it cannot honour, saying what to do: a long hostname, a relative log directory, a bare seccomp path, CDI devices", async () => {
    const meta = { name: "refused", namespace: "default", uid: "uid-refused" };
    await rejectsWith(
      env.client.unary("RunPodSandbox", { config: { metadata: meta, hostname: "h".repeat(65) } }),
      GrpcStatus.INVALID_ARGUMENT,
      /config\.hostname is 65 bytes long; Linux allows at most 64: shorten it, or leave it empty/,
    );
    await rejectsWith(
      env.client.unary("RunPodSandbox", { config: { metadata: meta, log_directory: "pod-logs" } }),
      GrpcStatus.INVALID_ARGUMENT,
      /config\.log_directory "pod-logs" must be an absolute path/,
    );
    await rejectsWith(
      env.client.unary("RunPodSandbox", { config: { metadata: meta, linux: { security_context: { seccomp_profile_path: "/var/lib/kubelet/seccomp/audit.json" } } } }),
      GrpcStatus.INVALID_ARGUMENT,
      /seccomp_profile_path "\/var\/lib\/kubelet\/seccomp\/audit\.json" is not a valid profile: use "unconfined", "runtime\/default", "docker\/default" or "localhost\/<profile>"/,
    );
    const pod = podConfig(env, "cdi");
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod });
    await rejectsWith(
      env.client.unary("CreateContainer", {
        pod_sandbox_id: podId,
        config: containerConfig(env, "bare-path", ["/bin/true"], { linux: { security_context: { seccomp_profile_path: "/var/lib/kubelet/seccomp/audit.json" } } }),
        sandbox_config: pod,
      }),
      GrpcStatus.INVALID_ARGUMENT,
      /linux\.security_context\.seccomp_profile_path "\/var\/lib\/kubelet\/seccomp\/audit\.json" is not a valid profile: .*\(for example "localhost\/\/var\/lib\/kubelet\/seccomp\/audit\.json"\)/,
    );
    await rejectsWith(
      env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "cdi", ["/bin/true"], { CDI_devices: [{ name: "vendor.com/gpu=0" }] }), sandbox_config: pod }),
      GrpcStatus.INVALID_ARGUMENT,
      /config\.CDI_devices names "vendor\.com\/gpu=0", but crikit does not resolve CDI devices: pass the device nodes in config\.devices instead/,
    );
    await removePod(podId);
  });

  it("runs configs with no linux section, no log directory and no log path", async () => {
    const pod = { metadata: { name: "bare", namespace: "default", uid: "uid-bare" } };
    const ctr = { metadata: { name: "bare" }, image: { image }, command: ["/bin/sleep", "600"] };
    const { podId, ctrId } = await runPair(pod, ctr);
    await assertNodeDefaults(ctrId);
    const st = await env.client.unary("ContainerStatus", { container_id: ctrId });
    assert.equal(st["status"]["log_path"], "", "no log directory: the log path stays empty as requested");
    assert.equal(st["status"]["stop_signal"], "SIGTERM");
    const status = await exec(ctrId, ["cat", "/proc/self/status"]);
    assert.match(status, /^Uid:\s+0\s/m, "the image's user (root)");
    assert.match(status, /^Seccomp:\s+0$/m, "no seccomp profile asked for: unconfined, as containerd's default");
    assert.match(status, /^NoNewPrivs:\s+0$/m);
    await removePod(podId);
  });

  it("checks a PID-namespace TARGET: unknown, not running, in another pod, empty; joins a running one", async () => {
    const pod = podConfig(env, "targets");
    const { pod_sandbox_id: podId } = await env.client.unary("RunPodSandbox", { config: pod });
    const other = podConfig(env, "targets-other");
    const { pod_sandbox_id: otherPodId } = await env.client.unary("RunPodSandbox", { config: other });
    const { container_id: outsider } = await env.client.unary("CreateContainer", { pod_sandbox_id: otherPodId, config: containerConfig(env, "outsider", ["/bin/sleep", "600"]), sandbox_config: other });
    const { container_id: target } = await env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "target", ["/bin/sleep", "600"]), sandbox_config: pod });
    const joiner = (targetId: string) =>
      env.client.unary("CreateContainer", {
        pod_sandbox_id: podId,
        config: containerConfig(env, "joiner", ["/bin/sleep", "600"], { linux: { security_context: { namespace_options: { network: "POD", ipc: "POD", pid: "TARGET", target_id: targetId } } } }),
        sandbox_config: pod,
      });
    await rejectsWith(joiner(target), GrpcStatus.FAILED_PRECONDITION, /is not running: start it first, then create this container/);
    await rejectsWith(joiner("0123456789abcdef"), GrpcStatus.NOT_FOUND, /does not exist: create and start that container in the same pod first/);
    await rejectsWith(joiner(outsider), GrpcStatus.FAILED_PRECONDITION, /belongs to sandbox .* a container can only join the PID namespace of a container of its own pod/);
    await rejectsWith(joiner(""), GrpcStatus.INVALID_ARGUMENT, /target_id is empty: set it to the ID of a running container of the same pod/);
    await env.client.unary("StartContainer", { container_id: target });
    const { container_id: joined } = await joiner(target);
    await env.client.unary("StartContainer", { container_id: joined });
    assert.equal(await exec(joined, ["cat", "/proc/1/cmdline"]), "/bin/sleep\u0000600\u0000", "PID 1 of the joined namespace is the target's init");
    await removePod(podId);
    await removePod(otherPodId);
  });

  it("runs a handler with the binary, root and create flags its options set", async () => {
    const root = join(optsDir, "root");
    const { podId, ctrId } = await runPair(podConfig(env, "opts"), containerConfig(env, "opts", ["/bin/sleep", "600"]), "opts");
    assert.ok((await readdir(root)).includes(ctrId), "the options' Root holds the container's state");
    await readFile(join(root, ctrId, "state.json"));
    const argv = (await readFile(join(optsDir, "argv.log"), "utf8")).split("\n");
    const create = argv.find((l) => l.includes(" create ") && l.includes(ctrId));
    assert.ok(create, `BinaryName ran the create:\n${argv.join("\n")}`);
    assert.match(create, new RegExp(`^--root ${root} create .*--no-pivot`));
    assert.match(create, /--no-new-keyring/);
    assert.equal(await exec(ctrId, ["echo", "ok"]), "ok\n");
    await removePod(podId);
    assert.ok(!(await readdir(root)).includes(ctrId), "removed from the options' Root");
  });
});
