import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseCidr, parseCniResult, selectPodIps } from "../../src/network/index.js";

const fixture = (v: string): string => readFileSync(new URL(`../fixtures/cni/result-${v}.json`, import.meta.url), "utf8");

describe("parseCniResult", () => {
  const cases = [
    { desc: "a 0.3.1 result (ips with version)", v: "0.3.1", ips: ["10.201.0.5"], families: [4], routes: 1, podIps: ["10.201.0.5"] },
    { desc: "a 0.4.0 dual-stack result with DNS", v: "0.4.0", ips: ["fd00:201::6", "10.201.0.6"], families: [6, 4], routes: 0, podIps: ["10.201.0.6", "fd00:201::6"] },
    { desc: "a 1.0.0 result with an address on a host interface", v: "1.0.0", ips: ["10.201.0.7", "10.201.9.9"], families: [4, 4], routes: 1, podIps: ["10.201.0.7", "10.201.9.9"] },
    { desc: "a 1.1.0 result with the new interface and route fields", v: "1.1.0", ips: ["fd00:201::8", "10.201.0.8"], families: [6, 4], routes: 1, podIps: ["10.201.0.8", "fd00:201::8"] },
  ];
  for (const c of cases) {
    it(`parses ${c.desc}`, () => {
      const r = parseCniResult(fixture(c.v));
      assert.equal(r.cniVersion, c.v);
      assert.deepEqual(r.ips.map((i) => i.ip), c.ips);
      assert.deepEqual(r.ips.map((i) => i.family), c.families);
      assert.equal(r.routes.length, c.routes);
      assert.deepEqual(selectPodIps(r), c.podIps);
      assert.equal(r.raw["cniVersion"], c.v);
    });
  }

  it("keeps the 1.1.0 fields", () => {
    const r = parseCniResult(fixture("1.1.0"));
    assert.deepEqual(r.interfaces[0], { name: "eth0", mac: "0a:58:0a:c9:00:08", mtu: 1450, sandbox: "/var/run/netns/pod", socketPath: "/run/vhost/sock0", pciID: "0000:00:1f.6" });
    assert.deepEqual(r.routes[0], { dst: "10.201.0.0/16", gw: "10.201.0.1", mtu: 1400, advmss: 1360, priority: 100, table: 254, scope: 0 });
    assert.deepEqual(r.dns.nameservers, ["10.201.0.10"]);
  });

  it("keeps the 0.4.0 DNS block", () => {
    const r = parseCniResult(fixture("0.4.0"));
    assert.deepEqual(r.dns, { nameservers: ["10.201.0.10"], domain: "cluster.local", search: ["default.svc.cluster.local"], options: ["ndots:5"] });
  });

  const bad = [
    { desc: "text that is not JSON", input: "nope", re: /not valid JSON/ },
    { desc: "a missing cniVersion", input: "{}", re: /cniVersion is missing/ },
    { desc: "a 0.2.0 result", input: '{"cniVersion":"0.2.0"}', re: /not supported/ },
    { desc: "an address without a prefix", input: '{"cniVersion":"1.0.0","ips":[{"address":"10.201.0.1"}]}', re: /ips\[0\]\.address/ },
    { desc: "an interface index out of range", input: '{"cniVersion":"1.0.0","ips":[{"address":"10.201.0.1/24","interface":3}]}', re: /out of range/ },
    { desc: "a version that contradicts the address", input: '{"cniVersion":"0.3.1","ips":[{"version":"6","address":"10.201.0.1/24"}]}', re: /does not match/ },
    { desc: "a bad gateway", input: '{"cniVersion":"1.0.0","ips":[{"address":"10.201.0.1/24","gateway":"x"}]}', re: /gateway/ },
    { desc: "a route without dst", input: '{"cniVersion":"1.0.0","routes":[{}]}', re: /routes\[0\]\.dst is missing/ },
  ];
  for (const c of bad) it(`rejects ${c.desc}, naming the field`, () => assert.throws(() => parseCniResult(c.input), c.re));
});

describe("parseCidr", () => {
  const cases = [
    { desc: "an IPv4 CIDR", in: "10.201.0.1/24", out: { ip: "10.201.0.1", prefixLength: 24, family: 4 } },
    { desc: "an IPv6 CIDR", in: "fd00::1/64", out: { ip: "fd00::1", prefixLength: 64, family: 6 } },
    { desc: "a prefix too long", in: "10.0.0.1/33", out: undefined },
    { desc: "no prefix", in: "10.0.0.1", out: undefined },
    { desc: "a non-address", in: "x/8", out: undefined },
  ];
  for (const c of cases) it(`parses ${c.desc}`, () => assert.deepEqual(parseCidr(c.in), c.out));
});
