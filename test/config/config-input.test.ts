import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createDaemonConfig, daemonConfigTable, parseDaemonConfig, resolveDaemonConfig } from "../../src/config/index.js";
import type { DaemonConfigInput } from "../../src/config/index.js";

const invalid = (pattern: RegExp) => (e: unknown) => e instanceof Error && (e as { code?: string }).code === "InvalidArgument" && pattern.test(e.message);

describe("createDaemonConfig", () => {
  it("resolves camelCase input to the same configuration as the TOML file", () => {
    const input: DaemonConfigInput = {
      root: "/tmp/crikit/root",
      state: "/tmp/crikit/state",
      logLevel: "debug",
      restrictOomScoreAdj: false,
      runtimes: { runc: {}, "my-crun": { binary: "crun", podAnnotations: ["example.com/*"], options: { SystemdCgroup: true, NoPivotRoot: true } } },
      cni: { binDirs: ["/opt/cni/bin"], pluginTimeoutMs: 5000 },
      registry: { insecure: ["127.0.0.1:5000"], mirrors: { "docker.io": { endpoints: ["http://127.0.0.1:5000"] } }, auths: { "r.example.com": { identityToken: "t" } } },
      image: { platform: { architecture: "arm64" } },
    };
    const toml = `
root = "/tmp/crikit/root"
state = "/tmp/crikit/state"
log_level = "debug"
restrict_oom_score_adj = false
[runtimes.runc]
[runtimes.my-crun]
binary = "crun"
pod_annotations = ["example.com/*"]
options = { SystemdCgroup = true, NoPivotRoot = true }
[cni]
bin_dirs = ["/opt/cni/bin"]
plugin_timeout_ms = 5000
[registry]
insecure = ["127.0.0.1:5000"]
[registry.mirrors."docker.io"]
endpoints = ["http://127.0.0.1:5000"]
[registry.auths."r.example.com"]
identity_token = "t"
[image.platform]
architecture = "arm64"
`;
    assert.deepEqual(createDaemonConfig(input), parseDaemonConfig(toml));
  });

  it("keeps map keys and a runtime's options as written", () => {
    const table = daemonConfigTable({ runtimes: { "kata_qemu": { options: { ConfigPath: "/x", shim_debug: true } } } });
    assert.deepEqual(table, { runtimes: { kata_qemu: { options: { ConfigPath: "/x", shim_debug: true } } } });
  });

  it("does what the README's Configuration section shows", () => {
    const config = createDaemonConfig({ root: "/tmp/crikit/root", state: "/tmp/crikit/state", logLevel: "debug", cni: { confDir: "/tmp/crikit/net.d" } });
    assert.equal(config.cni.conf_dir, "/tmp/crikit/net.d");
    assert.equal(config.log_level, "debug");
  });

  it("gives the defaults for no input", () => {
    assert.deepEqual(createDaemonConfig(), resolveDaemonConfig({}));
  });

  it("rejects an unknown key, naming it, with a hint for a snake_case spelling", () => {
    // @ts-expect-error: not a key of the configuration
    assert.throws(() => createDaemonConfig({ cni: { binDir: ["/x"] } }), invalid(/cni\.binDir: unknown key$/));
    // @ts-expect-error: the TOML spelling
    assert.throws(() => createDaemonConfig({ log_level: "debug" }), invalid(/log_level: unknown key \(write "logLevel"\)/));
  });

  it("validates values as the TOML file's are validated", () => {
    // @ts-expect-error: not a log level
    assert.throws(() => createDaemonConfig({ logLevel: "loud" }), invalid(/log_level: must be one of/));
    assert.throws(() => createDaemonConfig({ root: "relative", state: "/tmp/s" }), invalid(/root must be an absolute path/));
  });
});
