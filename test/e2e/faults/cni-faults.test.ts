/**
 * Component faults, CNI: a plugin chained after `bridge` that fails (a CNI
 * error on stdout), hangs (longer than the configured `plugin_timeout_ms`)
 * or crashes (SIGSEGV) in the middle of ADD. Each RunPodSandbox answers a
 * specific gRPC code, the bridge's veth and address, the netns pin, the
 * CNI cache entry, the records and state dirs are all gone again, the
 * daemon serves the next pod, and a restart recovers without complaint.
 *
 * The plugin is a script of the test's own in a bin dir searched before
 * /usr/lib/cni; what it does is read from a mode file at each call.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GrpcStatus } from "../../helpers/cri-client.js";
import { podConfig, pidsMentioning, rejectsWith, setupE2e, type E2eEnv } from "../harness.js";
import { assertNoLeftovers, podRoundTrip, restartRecoversCleanly } from "./fault-env.js";

const PLUGIN_TIMEOUT_MS = 2000;

/** A CNI plugin that passes prevResult through, or fails, hangs or crashes on ADD, as MODE_FILE says. */
function faultyPlugin(modeFile: string): string {
  return `#!${process.execPath}
const fs = require("node:fs");
const cmd = process.env.CNI_COMMAND;
const conf = JSON.parse(fs.readFileSync(0, "utf8") || "{}");
if (cmd === "VERSION") { process.stdout.write(JSON.stringify({ cniVersion: "1.0.0", supportedVersions: ["0.4.0", "1.0.0"] })); process.exit(0); }
if (cmd !== "ADD") process.exit(0);
const mode = fs.readFileSync(${JSON.stringify(modeFile)}, "utf8").trim();
if (mode === "fail") { process.stdout.write(JSON.stringify({ cniVersion: "1.0.0", code: 107, msg: "faulty plugin refuses", details: "test fault" })); process.exit(1); }
if (mode === "hang") { setInterval(() => {}, 1000); }
else if (mode === "crash") { process.stderr.write("half done\\n"); process.kill(process.pid, "SIGSEGV"); }
else process.stdout.write(JSON.stringify(conf.prevResult));
`;
}

describe("component faults: CNI plugin", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  let modeFile = "";
  const binDir = join("/tmp", `crikit-faulty-cni-${process.pid}`);

  before(async () => {
    await mkdir(binDir, { recursive: true });
    modeFile = join(binDir, "mode");
    await writeFile(modeFile, "ok");
    await writeFile(join(binDir, "faulty"), faultyPlugin(modeFile));
    await chmod(join(binDir, "faulty"), 0o755);
    env = await setupE2e({ cni: { binDirs: [binDir, "/usr/lib/cni"], pluginTimeoutMs: PLUGIN_TIMEOUT_MS }, logLevel: "info" });
    // The test's own chain: bridge (makes the veth and takes an address), then the faulty plugin.
    const net = env.net;
    await writeFile(
      join(env.cniConfDir, "10-e2e.conflist"),
      JSON.stringify({
        cniVersion: "1.0.0",
        name: net.network,
        plugins: [
          { type: "bridge", bridge: net.bridge, isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: net.subnet }]] } },
          { type: "faulty" },
        ],
      }),
    );
    await env.client.unary("PullImage", { image: { image: env.image } });
    // The chain works when the plugin behaves.
    await writeFile(modeFile, "ok");
    await podRoundTrip(env, "warmup");
    await assertNoLeftovers(env, "a clean round trip");
  });
  after(async () => {
    await env?.cleanup();
    await rm(binDir, { recursive: true, force: true });
  });

  const cases: { mode: string; code: number; match: RegExp }[] = [
    { mode: "fail", code: GrpcStatus.UNAVAILABLE, match: /faulty.*refuses|107/ },
    { mode: "hang", code: GrpcStatus.DEADLINE_EXCEEDED, match: /timed out|deadline/i },
    { mode: "crash", code: GrpcStatus.UNAVAILABLE, match: /faulty.*(SIGSEGV|signal)/i },
  ];
  for (const c of cases) {
    it(`a plugin that ${c.mode === "fail" ? "fails" : c.mode === "hang" ? "hangs" : "crashes"} mid-ADD: ${GrpcStatus[c.code] ?? c.code}, rolled back, still serving`, async () => {
      await writeFile(modeFile, c.mode);
      const t0 = Date.now();
      await rejectsWith(env.client.unary("RunPodSandbox", { config: podConfig(env, `p-${c.mode}`) }), c.code, c.match);
      if (c.mode === "hang") assert.ok(Date.now() - t0 < PLUGIN_TIMEOUT_MS * 10, "the hang is bounded by plugin_timeout_ms");
      // No plugin process is left running.
      assert.deepEqual(await pidsMentioning(join(binDir, "faulty")), []);
      assert.deepEqual((await env.client.unary("ListPodSandbox", {}))["items"], []);
      await assertNoLeftovers(env, `after a plugin ${c.mode}`);
      await writeFile(modeFile, "ok");
      await podRoundTrip(env, `after-${c.mode}`);
      await assertNoLeftovers(env, `after the next pod (${c.mode})`);
    });
  }

  it("a restart after the faults recovers cleanly", async () => {
    await writeFile(modeFile, "ok");
    await restartRecoversCleanly(env);
    await podRoundTrip(env, "after-restart");
    await assertNoLeftovers(env, "after restart");
  });
});
