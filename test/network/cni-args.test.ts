import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bandwidthFromAnnotations,
  buildCapabilityArgs,
  buildCniArgs,
  buildPluginStdin,
  formatCniArgs,
  parseQuantity,
  toCniNetworkConfigList,
  toCniPortMappings,
} from "../../src/network/index.js";

describe("CNI_ARGS", () => {
  it("carries IgnoreUnknown and the kubelet's K8S_POD_* keys", () => {
    const s = formatCniArgs(buildCniArgs({ id: "abc123", name: "web", namespace: "default", uid: "u-1" }));
    assert.equal(s, "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=abc123;K8S_POD_UID=u-1");
  });

  it("refuses a value that would break the list", () => {
    assert.throws(() => buildCniArgs({ id: "a", name: "x;y", namespace: "n", uid: "u" }), { code: "InvalidArgument" });
  });
});

describe("toCniPortMappings", () => {
  const cases = [
    { desc: "TCP by enum number with a host IP", in: [{ protocol: 0, containerPort: 80, hostPort: 30080, hostIp: "127.0.0.1" }], out: [{ hostPort: 30080, containerPort: 80, protocol: "tcp", hostIP: "127.0.0.1" }] },
    { desc: "UDP by name without host IP", in: [{ protocol: "UDP" as const, containerPort: 53, hostPort: 30053 }], out: [{ hostPort: 30053, containerPort: 53, protocol: "udp" }] },
    { desc: "SCTP", in: [{ protocol: 2, containerPort: 9, hostPort: 30009, hostIp: "" }], out: [{ hostPort: 30009, containerPort: 9, protocol: "sctp" }] },
    { desc: "a mapping without host port, which is dropped", in: [{ containerPort: 80 }], out: [] },
  ];
  for (const c of cases) it(`maps ${c.desc}`, () => assert.deepEqual(toCniPortMappings(c.in), c.out));

  const bad = [
    { desc: "an unknown protocol", in: { protocol: 7, containerPort: 80, hostPort: 30080 }, field: "port_mappings[0].protocol" },
    { desc: "a container port of 0", in: { containerPort: 0, hostPort: 30080 }, field: "port_mappings[0].container_port" },
    { desc: "a host port above 65535", in: { containerPort: 80, hostPort: 70000 }, field: "port_mappings[0].host_port" },
    { desc: "a bad host IP", in: { containerPort: 80, hostPort: 30080, hostIp: "localhost" }, field: "port_mappings[0].host_ip" },
  ];
  for (const c of bad) {
    it(`rejects ${c.desc}`, () =>
      assert.throws(() => toCniPortMappings([c.in]), (e: unknown) => (e as { details: { field: string } }).details.field === c.field));
  }
});

describe("bandwidth", () => {
  const q = [
    { desc: "a decimal suffix", in: "10M", out: 10_000_000 },
    { desc: "a binary suffix", in: "1Mi", out: 1_048_576 },
    { desc: "a fraction", in: "1.5k", out: 1500 },
    { desc: "an exponent", in: "1e6", out: 1_000_000 },
    { desc: "milli, rounded up", in: "1500m", out: 2 },
    { desc: "a plain number", in: "2000", out: 2000 },
    { desc: "garbage", in: "ten", out: undefined },
    { desc: "an unknown suffix", in: "10X", out: undefined },
  ];
  for (const c of q) it(`parses a quantity with ${c.desc}`, () => assert.equal(parseQuantity(c.in), c.out));

  it("reads both annotations into rates with maximal bursts", () => {
    const bw = bandwidthFromAnnotations({ "kubernetes.io/ingress-bandwidth": "10M", "kubernetes.io/egress-bandwidth": "1Mi" });
    assert.deepEqual(bw, { ingressRate: 10_000_000, ingressBurst: 2 ** 31 - 1, egressRate: 1_048_576, egressBurst: 2 ** 31 - 1 });
  });

  it("gives nothing without annotations", () => assert.equal(bandwidthFromAnnotations({ other: "1" }), undefined));

  const bad = [
    { desc: "a malformed value", v: "fast" },
    { desc: "a value below 1k", v: "10" },
    { desc: "a value above 1P", v: "2P" },
  ];
  for (const c of bad) {
    it(`rejects ${c.desc}`, () => assert.throws(() => bandwidthFromAnnotations({ "kubernetes.io/egress-bandwidth": c.v }), { code: "InvalidArgument" }));
  }
});

describe("buildCapabilityArgs and buildPluginStdin", () => {
  const caps = buildCapabilityArgs({
    portMappings: [{ containerPort: 80, hostPort: 30080 }],
    annotations: { "kubernetes.io/ingress-bandwidth": "1M" },
    dns: { servers: ["10.201.0.10"], searches: ["svc"], options: [] },
    podCidrs: ["10.201.0.0/24"],
  });

  it("builds every capability the pod asks for", () => {
    assert.deepEqual(Object.keys(caps).sort(), ["bandwidth", "dns", "ipRanges", "portMappings"]);
    assert.deepEqual(caps["ipRanges"], [[{ subnet: "10.201.0.0/24" }]]);
    assert.deepEqual(caps["dns"], { servers: ["10.201.0.10"], searches: ["svc"], options: [] });
  });

  it("leaves out capabilities with nothing to say", () => assert.deepEqual(buildCapabilityArgs({ dns: {}, portMappings: [] }), {}));

  it("rejects a bad pod CIDR", () => assert.throws(() => buildCapabilityArgs({ podCidrs: ["x"] }), { code: "InvalidArgument" }));

  const list = toCniNetworkConfigList({
    cniVersion: "1.0.0",
    name: "crkt-net",
    plugins: [{ type: "bridge" }, { type: "portmap", capabilities: { portMappings: true, ipRanges: false }, runtimeConfig: { keep: 1 } }],
  });

  it("gives a plugin only the runtimeConfig keys it declared, plus name, cniVersion and prevResult", () => {
    const s = JSON.parse(buildPluginStdin(list, list.plugins[1]!, { capabilityArgs: caps, prevResult: { cniVersion: "1.0.0" } }));
    assert.deepEqual(s, {
      type: "portmap",
      capabilities: { portMappings: true, ipRanges: false },
      runtimeConfig: { keep: 1, portMappings: [{ hostPort: 30080, containerPort: 80, protocol: "tcp" }] },
      name: "crkt-net",
      cniVersion: "1.0.0",
      prevResult: { cniVersion: "1.0.0" },
    });
  });

  it("gives a plugin without capabilities no runtimeConfig", () => {
    const s = JSON.parse(buildPluginStdin(list, list.plugins[0]!, { capabilityArgs: caps }));
    assert.deepEqual(s, { type: "bridge", name: "crkt-net", cniVersion: "1.0.0" });
  });

  it("adds GC's valid attachments at top level", () => {
    const s = JSON.parse(buildPluginStdin(list, list.plugins[0]!, { extra: { "cni.dev/valid-attachments": [{ containerID: "a", ifname: "eth0" }] } }));
    assert.deepEqual(s["cni.dev/valid-attachments"], [{ containerID: "a", ifname: "eth0" }]);
  });
});
