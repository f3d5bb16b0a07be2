import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseNetDev, toNetworkUsage } from "../../src/stats/index.js";
import { NET_DEV } from "./fixtures.js";

describe("/proc/<pid>/net/dev", () => {
  it("reads bytes, packets, errors and drops per interface and leaves loopback out", () => {
    assert.deepEqual(parseNetDev(NET_DEV), [
      { name: "eth0", rxBytes: 123456n, rxErrors: 2n, txBytes: 65432n, txErrors: 1n, rxPackets: 100n, rxDropped: 3n, txPackets: 80n, txDropped: 4n },
      { name: "net1", rxBytes: 1000n, rxErrors: 0n, txBytes: 2000n, txErrors: 0n, rxPackets: 10n, rxDropped: 0n, txPackets: 20n, txDropped: 0n },
    ]);
  });

  it("skips the headers, short lines and an empty file", () => {
    assert.deepEqual(parseNetDev(""), []);
    assert.deepEqual(parseNetDev("Inter-|   Receive\n face |bytes\n  eth0: 1 2 3\n"), []);
  });

  it("makes eth0 the default interface and lists the others", () => {
    const n = toNetworkUsage(parseNetDev(NET_DEV), 42n);
    assert.equal(n?.timestamp, 42n);
    assert.equal(n?.defaultInterface?.name, "eth0");
    assert.equal(n?.defaultInterface?.rxBytes?.value, 123456n);
    assert.equal(n?.defaultInterface?.txErrors?.value, 1n);
    assert.deepEqual(n?.interfaces?.map((i) => i.name), ["net1"]);
  });

  it("takes the first interface as the default when there is no eth0, and gives nothing for no interface", () => {
    const n = toNetworkUsage([{ name: "ens3", rxBytes: 1n, rxErrors: 0n, txBytes: 2n, txErrors: 0n }], 1n);
    assert.equal(n?.defaultInterface?.name, "ens3");
    assert.deepEqual(n?.interfaces, []);
    assert.equal(toNetworkUsage([], 1n), undefined);
  });
});
