import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasErrorCode } from "../../src/errors.js";
import { buildHostnameFile, buildHostsFile, buildResolvConf } from "../../src/spec/index.js";

describe("pod files", () => {
  it("writes /etc/hostname as the hostname and a newline", () => assert.equal(buildHostnameFile("web-0"), "web-0\n"));

  it("writes /etc/hosts with loopback entries, pod IPs and aliases", () => {
    const text = buildHostsFile({ hostname: "web-0", podIps: ["10.1.0.5"], extraHosts: [{ ip: "10.9.9.9", hostnames: ["db", "db.local"] }] });
    const lines = text.trimEnd().split("\n");
    assert.equal(lines[0], "127.0.0.1\tlocalhost");
    assert.ok(lines.includes("10.1.0.5\tweb-0"));
    assert.equal(lines.at(-1), "10.9.9.9\tdb db.local");
  });

  const cases = [
    { desc: "an empty DNS config means the host's file", dns: {}, want: undefined },
    { desc: "servers become nameserver lines", dns: { servers: ["10.0.0.10", "10.0.0.11"] }, want: "nameserver 10.0.0.10\nnameserver 10.0.0.11\n" },
    {
      desc: "searches, servers and options are written in resolv.conf order",
      dns: { servers: ["10.0.0.10"], searches: ["ns.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5"] },
      want: "search ns.svc.cluster.local svc.cluster.local\nnameserver 10.0.0.10\noptions ndots:5\n",
    },
  ];
  for (const c of cases) it(`builds resolv.conf so that ${c.desc}`, () => assert.equal(buildResolvConf(c.dns), c.want));

  it("refuses a DNS value that would inject a line", () => {
    assert.throws(() => buildResolvConf({ servers: ["1.1.1.1\nnameserver 6.6.6.6"] }), (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details.field === "dns_config.servers[0]");
  });
});
