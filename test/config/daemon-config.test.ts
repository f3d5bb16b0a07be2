import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { defaultDaemonConfig, parseDaemonConfig, parseHostPort, parseUlimit } from "../../src/config/index.js";
import { hasErrorCode } from "../../src/errors.js";

describe("daemon configuration", () => {
  it("has defaults that need no file", () => {
    const c = defaultDaemonConfig();
    assert.equal(c.root, "/var/lib/crikit");
    assert.equal(c.state, "/run/crikit");
    assert.equal(c.socket, "/run/crikit/crikit.sock");
    assert.equal(c.cgroup_driver, "cgroupfs");
    assert.equal(c.default_runtime, "runc");
    assert.deepEqual(c.runtimes["runc"], {
      type: "io.containerd.runc.v2",
      binary: "runc",
      root: "/run/crikit/runtimes/runc",
      pod_annotations: [],
      container_annotations: [],
      options: {},
    });
    assert.deepEqual(c.cni.bin_dirs, ["/usr/lib/cni", "/opt/cni/bin"]);
    assert.equal(c.max_message_bytes, 16 * 1024 * 1024);
    assert.equal(c.image.platform.os, "linux");
    assert.deepEqual(c.metrics, { address: "" }, "the Prometheus endpoint is off by default");
    assert.deepEqual(c.tracing, { endpoint: "", sampling_ratio: 1, service_name: "crikitd" }, "tracing is off by default");
    assert.equal(c.shm_size, 64 * 1024 * 1024);
    assert.deepEqual(c.default_ulimits, ["nofile=1048576:1048576"]);
  });

  it("reads default_ulimits as CRI-O writes them, and parses each entry into an OCI rlimit", () => {
    const c = parseDaemonConfig(`default_ulimits = ["nofile=4096:8192", "nproc=512"]\nshm_size = 1048576`);
    assert.deepEqual(c.default_ulimits, ["nofile=4096:8192", "nproc=512"]);
    assert.equal(c.shm_size, 1048576);
    assert.deepEqual(parseUlimit("nofile=4096:8192"), { type: "RLIMIT_NOFILE", soft: 4096, hard: 8192 });
    assert.deepEqual(parseUlimit("nproc=512"), { type: "RLIMIT_NPROC", soft: 512, hard: 512 });
  });

  it("takes a loopback metrics address and an OTLP endpoint", () => {
    const c = parseDaemonConfig(`[metrics]\naddress = "127.0.0.1:9090"\n[tracing]\nendpoint = "http://127.0.0.1:4318/v1/traces"\nsampling_ratio = 0.5\n`);
    assert.equal(c.metrics.address, "127.0.0.1:9090");
    assert.equal(c.tracing.sampling_ratio, 0.5);
    assert.deepEqual(parseHostPort("[::1]:9090"), { host: "::1", port: 9090 });
    assert.equal(parseHostPort("9090"), undefined);
  });

  it("reads a full file and keeps what it sets", () => {
    const c = parseDaemonConfig(`
root = "/srv/crikit/"
state = "/run/x"
default_runtime = "crun"
sandbox_mode = "infra"
[runtimes.crun]
binary = "/usr/bin/crun"
pod_annotations = ["example.com/*"]
[runtimes.crun.options]
SystemdCgroup = false
BinaryName = "/usr/bin/crun"
[registry]
insecure = ["127.0.0.1:5000"]
[registry.mirrors."docker.io"]
endpoints = ["http://127.0.0.1:5000"]
[registry.auths."127.0.0.1:5000"]
username = "u"
password = "p"
`);
    assert.equal(c.root, "/srv/crikit");
    assert.equal(c.sandbox_mode, "infra");
    assert.equal(c.runtimes["crun"]?.binary, "/usr/bin/crun");
    assert.equal(c.runtimes["crun"]?.root, "/run/x/runtimes/crun");
    assert.deepEqual(c.runtimes["crun"]?.options, { SystemdCgroup: false, BinaryName: "/usr/bin/crun" });
    assert.deepEqual(c.runtimes["crun"]?.pod_annotations, ["example.com/*"]);
    assert.equal(c.runtimes["runc"], undefined);
    assert.deepEqual(c.registry.mirrors["docker.io"]?.endpoints, ["http://127.0.0.1:5000"]);
    assert.equal(c.registry.auths["127.0.0.1:5000"]?.username, "u");
  });

  it("makes BinaryName and Root the handler's binary and root", () => {
    const c = parseDaemonConfig(`[runtimes.runc.options]\nBinaryName = "/usr/local/bin/runc"\nRoot = "/run/my-runc"`);
    assert.equal(c.runtimes["runc"]?.binary, "/usr/local/bin/runc");
    assert.equal(c.runtimes["runc"]?.root, "/run/my-runc");
  });

  const bad: Array<{ desc: string; toml: string; want: RegExp }> = [
    { desc: "an unknown key is named", toml: `rootdir = "/x"`, want: /unknown key "rootdir"/ },
    { desc: "a nested unknown key is named with its path", toml: `[cni]\nconfdir = "/x"`, want: /cni: unknown key "confdir"/ },
    { desc: "a wrong type is named", toml: `max_message_bytes = "big"`, want: /max_message_bytes: must be integer/ },
    { desc: "an enum lists its values", toml: `cgroup_driver = "cgroupv2"`, want: /cgroup_driver: must be one of "cgroupfs", "systemd"/ },
    { desc: "a relative root is refused", toml: `root = "var/lib/crikit"`, want: /root must be an absolute path/ },
    { desc: "equal root and state are refused", toml: `root = "/x"\nstate = "/x/"`, want: /root and state must be different/ },
    { desc: "a default runtime that is not configured is refused", toml: `default_runtime = "kata"`, want: /default_runtime "kata" is not among runtimes/ },
    { desc: "a malformed ulimit is named", toml: `default_ulimits = ["nofile:1024"]`, want: /default_ulimits\[0\]: "nofile:1024" is not NAME=SOFT:HARD/ },
    { desc: "an unknown ulimit is named", toml: `default_ulimits = ["files=1:2"]`, want: /default_ulimits\[0\]: unknown limit "files"/ },
    { desc: "a soft ulimit above the hard one is refused", toml: `default_ulimits = ["nofile=10:5"]`, want: /soft limit 10 is above the hard limit 5/ },
    { desc: "a TOML syntax error is reported", toml: `root = `, want: /not valid TOML/ },
    { desc: "a metrics address off loopback is refused", toml: `[metrics]\naddress = "0.0.0.0:9090"`, want: /metrics.address must be on loopback/ },
    { desc: "a metrics address without a port is refused", toml: `[metrics]\naddress = "127.0.0.1"`, want: /metrics.address must be host:port/ },
    { desc: "a tracing endpoint that is not a URL is refused", toml: `[tracing]\nendpoint = "127.0.0.1:4318"`, want: /tracing.endpoint must be an http or https URL/ },
    {
      desc: "a runtime option that cannot be honoured is named",
      toml: `[runtimes.runc.options]\nShimCgroup = "/crikit"`,
      want: /runtimes\.runc\.options\.ShimCgroup cannot be honoured: .*; remove it from \[runtimes\.runc\.options\]/,
    },
    { desc: "an unknown runtime option is named", toml: `[runtimes.runc.options]\nBinaryNmae = "crun"`, want: /runtimes\.runc\.options: .*BinaryNmae/ },
    {
      desc: "a binary that BinaryName contradicts is refused",
      toml: `[runtimes.runc]\nbinary = "runc"\n[runtimes.runc.options]\nBinaryName = "crun"`,
      want: /runtimes\.runc\.binary \("runc"\) and runtimes\.runc\.options\.BinaryName \("crun"\) disagree: keep one of them/,
    },
    { desc: "a relative Root is refused", toml: `[runtimes.runc.options]\nRoot = "run/x"`, want: /runtimes\.runc\.options\.Root must be an absolute path/ },
  ];
  for (const c of bad) {
    it(`refuses bad input: ${c.desc}`, () => {
      assert.throws(
        () => parseDaemonConfig(c.toml),
        (e: unknown) => hasErrorCode(e, "InvalidArgument") && c.want.test((e as Error).message),
      );
    });
  }
});
