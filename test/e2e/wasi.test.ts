/**
 * The `wasi` runtime handler in crikitd, driven by crictl: an ordinary OCI
 * image whose entrypoint is a `.wasm` file (a WASI command built here from
 * C) pulled from the harness's registry, a pod run with `--runtime wasi`,
 * the module's output in `crictl logs`, its exit code in `crictl inspect`;
 * a pod does not mix handlers, and a wrong one is a clear error.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { buildOciLayout } from "../helpers/oci-layout.js";
import { pushLayout } from "../helpers/registry.js";
import { clangWasi } from "../helpers/wasm.js";
import { eventually, leakedMounts, setupE2e, type E2eEnv } from "./harness.js";

const sharedCrictl = fileURLToPath(new URL("../../../shared/bin/crictl", import.meta.url));
const crictl = existsSync(sharedCrictl) ? sharedCrictl : "crictl";

const helloC = `
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  printf("hello from %s, GREETING=%s\\n", argv[0], getenv("GREETING"));
  for (int i = 1; i < argc; i++) printf("arg %d: %s\\n", i, argv[i]);
  fprintf(stderr, "a warning on stderr\\n");
  return 3;
}`;

describe("the wasi runtime handler under crictl", { timeout: 240_000 }, () => {
  let env: E2eEnv;
  let work = "";
  let image = "";
  const run = async (...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
    const r = await execa(crictl, args, { cwd: work, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", CRI_CONFIG_FILE: join(work, "crictl.yaml") }, extendEnv: false, reject: false, timeout: 60_000 });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout).trim(), stderr: String(r.stderr) };
  };
  const ok = async (...args: string[]): Promise<string> => {
    const r = await run(...args);
    assert.equal(r.exitCode, 0, `crictl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const pod = (name: string): Record<string, unknown> => ({ metadata: { name, namespace: "wasi", uid: `uid-${name}`, attempt: 0 }, log_directory: join(work, "logs", name), linux: {} });

  before(async () => {
    env = await setupE2e({ logLevel: "info" });
    work = join(env.dir, "crictl-wasi");
    await mkdir(work, { recursive: true });
    const layout = join(env.dir, "wasi-layout");
    const config = { Entrypoint: ["/app/hello.wasm"], Cmd: ["from-the-image"], Env: ["PATH=/app", "GREETING=image"], WorkingDir: "/app" };
    await buildOciLayout(layout, [{ tag: "1", image: { config, layers: [{ entries: [{ path: "app/", type: "dir" }, { path: "app/hello.wasm", content: clangWasi(helloC), mode: 0o755 }] }] } }]);
    image = `${env.registry.host}/e2e/wasi-hello:1`;
    await pushLayout(layout, "1", image);
    await writeFile(join(work, "crictl.yaml"), `runtime-endpoint: unix://${env.socket}\nimage-endpoint: unix://${env.socket}\ntimeout: 20\n`);
    await writeFile(join(work, "pod.json"), JSON.stringify(pod("wasm-pod")));
    await writeFile(join(work, "runc-pod.json"), JSON.stringify(pod("runc-pod")));
    await writeFile(join(work, "wrong-pod.json"), JSON.stringify(pod("wrong-pod")));
    const ctr = (name: string, img: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ metadata: { name }, image: { image: img }, log_path: `${name}.0.log`, linux: {}, ...extra });
    await writeFile(join(work, "wasm.json"), ctr("hello", image, { args: ["one", "two"], envs: [{ key: "GREETING", value: "pod" }] }));
    await writeFile(join(work, "busybox.json"), ctr("busybox", env.image, { command: ["/bin/sh", "-c", "echo hi"] }));
  });
  after(async () => {
    await env?.cleanup();
  });

  it("runs a WASI image in a pod run with --runtime wasi: logs, exit code, statuses", async () => {
    await ok("pull", image);
    const podId = await ok("runp", "--runtime", "wasi", "pod.json");
    const info = JSON.parse(await ok("inspectp", podId)) as { status: { state: string }; info: { runtimeHandler: string; runtimeType: string } };
    assert.deepEqual([info.status.state, info.info.runtimeHandler, info.info.runtimeType], ["SANDBOX_READY", "wasi", "io.crikit.wasi.v1"]);
    const ctrId = await ok("create", podId, "wasm.json", "pod.json");
    await ok("start", ctrId);
    const st = await eventually(async () => {
      const s = JSON.parse(await ok("inspect", ctrId)) as { status: { state: string; exitCode: number; reason: string; logPath: string } };
      return s.status.state === "CONTAINER_EXITED" && s.status;
    }, 20_000, "the module to exit");
    assert.deepEqual([st.exitCode, st.reason], [3, "Error"]);
    assert.equal(st.logPath, join(work, "logs", "wasm-pod", "hello.0.log"));
    const logs = await run("logs", ctrId);
    assert.equal(logs.exitCode, 0, logs.stderr);
    assert.equal(logs.stdout, "hello from /app/hello.wasm, GREETING=pod\narg 1: one\narg 2: two");
    assert.equal(logs.stderr.trim(), "a warning on stderr");
    assert.match(await ok("ps", "-a", "--pod", podId), /hello\s/);
    await ok("rm", ctrId);
    await ok("stopp", podId);
    await ok("rmp", podId);
  });

  it("refuses what would mix handlers, each with what to do", async () => {
    const wrong = await run("runp", "--runtime", "nope", "wrong-pod.json");
    assert.equal(wrong.exitCode, 1);
    assert.match(wrong.stderr, /InvalidArgument desc = runtime_handler \\"nope\\" is not configured \(known: runc, wasi\)/);

    await ok("pull", env.image);
    const wasmPod = await ok("runp", "--runtime", "wasi", "pod.json");
    const notWasm = await run("create", wasmPod, "busybox.json", "pod.json");
    assert.equal(notWasm.exitCode, 1);
    assert.match(notWasm.stderr, /InvalidArgument desc = \\"\/bin\/sh\\" is not a WebAssembly module: the wasi handler runs \.wasm entrypoints only/);

    const runcPod = await ok("runp", "runc-pod.json");
    const wasmInRunc = await run("create", runcPod, "wasm.json", "runc-pod.json");
    assert.equal(wasmInRunc.exitCode, 1);
    assert.match(wasmInRunc.stderr, /InvalidArgument desc = the image's entrypoint is a WebAssembly module, which runtime handler \\"runc\\" cannot run: run its pod with runtime_handler \\"wasi\\"/);

    for (const id of [wasmPod, runcPod]) {
      await ok("stopp", id);
      await ok("rmp", id);
    }
    assert.deepEqual(await leakedMounts(env), [], "every rootfs and pod mount is gone");
  });
});
