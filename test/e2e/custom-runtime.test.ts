/**
 * The custom runtime example (examples/custom-runtime): crun as the default
 * handler, runc as RuntimeClass `runc`, served in-process and driven over
 * its socket with the grpc-js client. Shows that the pieces compose with one
 * of them swapped.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { startCustomRuntime, type CustomRuntime } from "../../examples/custom-runtime/main.js";
import { createCriClient, type CriClient } from "../helpers/cri-client.js";
import { buildOciLayout } from "../helpers/oci-layout.js";
import { pushLayout, startRegistry, type TestRegistry } from "../helpers/registry.js";
import { e2eConflist, e2eImage, e2eNetwork, mountsUnder, pidsMentioning, removeE2eNetwork } from "./harness.js";

describe("the custom runtime example", { timeout: 180_000 }, () => {
  let dir = "";
  let registry: TestRegistry;
  let rt: CustomRuntime;
  let client: CriClient;
  let image = "";
  const net = e2eNetwork();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-custom-"));
    const conf = join(dir, "net.d");
    await mkdir(conf);
    await writeFile(join(conf, "10-e2e.conflist"), e2eConflist(net));
    registry = await startRegistry();
    await buildOciLayout(join(dir, "layout"), [{ tag: "1", image: e2eImage() }]);
    image = `${registry.host}/e2e/busybox:1`;
    await pushLayout(join(dir, "layout"), "1", image);
    rt = await startCustomRuntime({ root: join(dir, "root"), state: join(dir, "state"), socket: join(dir, "crun.sock"), cniConfDir: conf, netnsDir: join(dir, "netns"), insecureRegistries: [registry.host] });
    client = createCriClient(join(dir, "crun.sock"));
  });
  after(async () => {
    client?.close();
    await rt?.close();
    for (const pid of await pidsMentioning(join(dir, "state"))) process.kill(pid, "SIGKILL");
    for (const m of (await mountsUnder(dir)).reverse()) await execa("umount", ["-l", m], { reject: false });
    await registry?.stop();
    await removeE2eNetwork(net);
    await rm(dir, { recursive: true, force: true });
  });

  it("runs containers under crun by default and under runc by RuntimeClass", async () => {
    const v = await client.unary("Version", {});
    assert.equal(v["runtime_version"], "0.1.0-crun");
    await client.unary("PullImage", { image: { image } });
    for (const handler of ["", "runc"]) {
      const name = `custom-${handler || "default"}`;
      const pod = { metadata: { name, namespace: "e2e", uid: name, attempt: 0 }, linux: { security_context: { namespace_options: { pid: "CONTAINER" } } } };
      const { pod_sandbox_id: podId } = await client.unary("RunPodSandbox", { config: pod, runtime_handler: handler });
      const c = await client.unary("CreateContainer", { pod_sandbox_id: podId, config: { metadata: { name: "s", attempt: 0 }, image: { image }, command: ["/bin/sleep", "600"] }, sandbox_config: pod });
      await client.unary("StartContainer", { container_id: c["container_id"] });
      const binary = handler === "runc" ? "runc" : "crun";
      const listed = await execa(binary, ["--root", join(dir, "state", "runtimes", binary), "list"]);
      assert.match(String(listed.stdout), new RegExp(c["container_id"]), `the container runs under ${binary}`);
      const ex = await client.unary("ExecSync", { container_id: c["container_id"], cmd: ["/bin/echo", "ok"], timeout: 10 });
      assert.equal(Buffer.from(ex["stdout"]).toString(), "ok\n");
      await client.unary("RemovePodSandbox", { pod_sandbox_id: podId });
    }
    assert.equal((await client.unary("ListContainers", {}))["containers"].length, 0);
  });
});
