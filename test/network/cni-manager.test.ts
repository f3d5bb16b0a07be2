import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, rm, readdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { CniManager, createNetnsManager, isCniPluginError, networkNotReadyReason } from "../../src/network/index.js";
import type { CniManagerOptions, NetnsManager, PodNetworkRequest } from "../../src/network/index.js";
import {
  bridgeNet,
  bridgePorts,
  debianCniDir,
  deleteLink,
  fixturesDir,
  iptablesLinesFor,
  ipamAllocations,
  mountsUnder,
  pingFrom,
  portmapScaffoldExists,
  removePortmapScaffold,
  removeTree,
  requireTools,
  shortId,
  tempDir,
  writeConf,
} from "./net-helpers.js";

/** Everything the tests create, so `after` can remove it even when a test fails. */
const created = { bridges: new Set<string>(), pods: [] as Array<{ cni: CniManager; id: string }>, managers: new Set<CniManager>() };
let root = "";
let netns: NetnsManager;
let hadPortmapChains = true;

function manager(opts: CniManagerOptions & { confDir: string }): CniManager {
  const m = new CniManager({ binDirs: [fixturesDir, debianCniDir], cacheDir: join(root, `cache-${shortId()}`), ...opts });
  created.managers.add(m);
  return m;
}

function podReq(id: string, netnsPath: string, extra: Partial<PodNetworkRequest> = {}): PodNetworkRequest {
  return { id, name: `name-${id}`, namespace: "crkt-test", uid: `uid-${id}`, netnsPath, ...extra };
}

async function newPod(cni: CniManager, extra: Partial<PodNetworkRequest> = {}): Promise<{ id: string; path: string; req: PodNetworkRequest }> {
  const id = `crkt${shortId()}${shortId()}`;
  const path = await netns.create(id);
  created.pods.push({ cni, id });
  return { id, path, req: podReq(id, path, extra) };
}

before(async () => {
  await requireTools();
  hadPortmapChains = await portmapScaffoldExists();
  root = await tempDir("cni");
  netns = createNetnsManager({ dir: join(root, "netns") });
});

after(async () => {
  // Tear down every pod (idempotent), then pins, bridges and the temp tree.
  for (const { cni, id } of created.pods) await cni.tearDownPod({ id }).catch(() => undefined);
  for (const m of created.managers) m.destroy();
  for (const { id } of created.pods) await netns.remove(id).catch(() => undefined);
  for (const b of created.bridges) await deleteLink(b);
  const left = await iptablesLinesFor(created.pods.map((p) => p.id));
  await removeTree(root);
  await removePortmapScaffold(hadPortmapChains);
  assert.deepEqual(left, [], "no iptables rule names a test pod after cleanup");
});

describe("CniManager with Debian's plugins", () => {
  it("attaches two pods to a bridge chain; they ping each other; portmap rules come and go", async () => {
    const dir = join(root, "chain");
    const net = bridgeNet({
      dir,
      third: 10,
      extra: [
        { type: "portmap", capabilities: { portMappings: true }, snat: false },
        { type: "bandwidth", capabilities: { bandwidth: true } },
        { type: "tuning", sysctl: { "net.ipv4.conf.eth0.accept_redirects": "0" } },
      ],
    });
    created.bridges.add(net.bridge);
    await writeConf(join(dir, "conf"), "10-crkt.conflist", net.conflist);
    const cni = manager({ confDir: join(dir, "conf") });
    assert.deepEqual(await cni.status(), { ready: true, reason: "", message: "", defaultNetwork: net.name, networks: [net.name], errors: [] });

    const a = await newPod(cni, {
      portMappings: [{ protocol: 0, containerPort: 80, hostPort: 31080 }],
      annotations: { "kubernetes.io/ingress-bandwidth": "10M", "kubernetes.io/egress-bandwidth": "10M" },
    });
    const b = await newPod(cni);
    const [ra, rb] = await Promise.all([cni.setUpPod(a.req), cni.setUpPod(b.req)]);
    assert.equal(ra.network, net.name);
    assert.equal(ra.ips.length, 1);
    assert.match(ra.ips[0] ?? "", /^10\.201\.10\.\d+$/);
    assert.match(rb.ips[0] ?? "", /^10\.201\.10\.\d+$/);
    assert.notEqual(ra.ips[0], rb.ips[0]);
    assert.equal(ra.result?.cniVersion, "1.0.0");

    const lo = await execa("nsenter", [`--net=${a.path}`, "ip", "-o", "link", "show", "lo"]);
    assert.match(lo.stdout, /<LOOPBACK,UP,LOWER_UP>/, "loopback is up in the pod");
    const routes = await execa("nsenter", [`--net=${a.path}`, "ip", "route"]);
    assert.doesNotMatch(routes.stdout, /default/, "the test network gives no default route");

    const ping = await pingFrom(b.path, ra.ips[0] ?? "");
    assert.ok(ping.ok, `pod B pings pod A:\n${ping.output}`);

    const rulesAfterAdd = await iptablesLinesFor([a.id]);
    assert.ok(rulesAfterAdd.some((l) => /--dports? 31080\b/.test(l)), `portmap DNAT rule for pod A:\n${rulesAfterAdd.join("\n")}`);
    assert.equal((await iptablesLinesFor([b.id])).length, 0, "pod B has no port mapping, so no rule");

    const hostVeth = ra.result?.interfaces.find((i) => i.sandbox === undefined && i.name !== net.bridge)?.name ?? "";
    const tc = await execa("tc", ["qdisc", "show", "dev", hostVeth]);
    assert.match(tc.stdout, /tbf/, "bandwidth shaped pod A's host veth");

    assert.equal((await bridgePorts(net.bridge)).length, 2);
    assert.equal((await ipamAllocations(net.dataDir, net.name)).length, 2);


    await cni.tearDownPod({ id: a.id });
    assert.deepEqual(await iptablesLinesFor([a.id]), [], "portmap rules are gone after DEL");
    assert.equal((await bridgePorts(net.bridge)).length, 1);
    assert.deepEqual(await ipamAllocations(net.dataDir, net.name), [rb.ips[0]], "only pod B's address is still allocated");
    await cni.tearDownPod({ id: a.id });
    await cni.tearDownPod({ id: b.id, netnsPath: b.path });
    assert.deepEqual(await ipamAllocations(net.dataDir, net.name), []);
    assert.deepEqual(await bridgePorts(net.bridge), []);
    await netns.remove(a.path);
    await netns.remove(b.path);
  });

  it("passes CHECK, then tears down a pod whose netns is already gone, releasing its address", async () => {
    const dir = join(root, "gone");
    const net = bridgeNet({ dir, third: 11 });
    created.bridges.add(net.bridge);
    await writeConf(join(dir, "conf"), "10-crkt.conflist", net.conflist);
    const cni = manager({ confDir: join(dir, "conf") });
    const p = await newPod(cni);
    await cni.setUpPod(p.req);
    // CHECK with real plugins runs on this bridge-only network: in Debian's 1.1.1,
    // portmap's CHECK looks for an IPv6 chain an IPv4-only ADD never made
    // (containernetworking/plugins#819) and bandwidth's CHECK panics without a
    // bandwidth setting.
    await cni.checkPod({ id: p.id });
    assert.equal((await ipamAllocations(net.dataDir, net.name)).length, 1);
    await netns.remove(p.path);
    await cni.tearDownPod({ id: p.id });
    await cni.tearDownPod({ id: p.id });
    assert.deepEqual(await ipamAllocations(net.dataDir, net.name), []);
    assert.deepEqual(await bridgePorts(net.bridge), []);
  });

  it("skips CNI for a host-network pod", async () => {
    const dir = join(root, "hostnet");
    const rec = join(dir, "record");
    await writeConf(join(dir, "conf"), "10.conflist", { cniVersion: "1.0.0", name: "crkt-rec", plugins: [{ type: "crkt-record", recordFile: rec }] });
    const cni = manager({ confDir: join(dir, "conf"), loopback: false });
    const r = await cni.setUpPod({ ...podReq("hostpod", "/proc/self/ns/net"), hostNetwork: true });
    assert.deepEqual(r, { network: undefined, ips: [], result: undefined });
    await cni.tearDownPod({ id: "hostpod", hostNetwork: true });
    await assert.rejects(readFile(rec), { code: "ENOENT" }, "no plugin ran");
  });

  it("reports a broken conf file in status, is not ready without a valid one, and picks up a fix without restart", async () => {
    const dir = join(root, "status");
    const confDir = join(dir, "conf");
    const cni = manager({ confDir });
    const none = await cni.status();
    assert.equal(none.ready, false);
    assert.equal(none.reason, networkNotReadyReason);
    assert.match(none.message, /no valid CNI network configuration/);

    await writeConf(confDir, "00-broken.conflist", '{"cniVersion":"1.0.0","name":"x","plugins":[{}]}');
    const broken = await cni.status();
    assert.equal(broken.ready, false);
    assert.deepEqual(broken.errors.map((e) => e.file), ["00-broken.conflist"]);
    assert.match(broken.message, /00-broken\.conflist.*plugins\[0\]\.type is missing/);

    await writeConf(confDir, "10-ok.conflist", { cniVersion: "1.0.0", name: "crkt-ok", plugins: [{ type: "bridge", bridge: "crktunused" }] });
    const ok = await cni.status();
    assert.equal(ok.ready, true);
    assert.equal(ok.defaultNetwork, "crkt-ok");
    assert.equal(ok.errors.length, 1, "the broken file is still reported");

    await writeConf(confDir, "10-ok.conflist", { cniVersion: "1.0.0", name: "crkt-ok", plugins: [{ type: "no-such-plugin" }] });
    const nobin = await cni.status();
    assert.equal(nobin.ready, false);
    assert.match(nobin.message, /"no-such-plugin".*not found/);
  });

  it("hands a failing plugin's CNI error to the caller and rolls the chain back", async () => {
    const dir = join(root, "fail");
    const net = bridgeNet({ dir, third: 12, extra: [{ type: "crkt-fail" }] });
    created.bridges.add(net.bridge);
    await writeConf(join(dir, "conf"), "10-crkt.conflist", net.conflist);
    const cni = manager({ confDir: join(dir, "conf") });
    const p = await newPod(cni);
    const err = await cni.setUpPod(p.req).then(
      () => assert.fail("ADD should fail"),
      (e: unknown) => e,
    );
    assert.ok(isCniPluginError(err));
    assert.equal(err.plugin, "crkt-fail");
    assert.equal(err.command, "ADD");
    assert.equal(err.network, net.name);
    assert.equal(err.cniError?.code, 7);
    assert.equal(err.cniError?.msg, "crkt-fail refuses every call");
    assert.match(err.stderr, /refusing ADD/);
    assert.deepEqual(await ipamAllocations(net.dataDir, net.name), [], "the bridge's address was released by the rollback");
    assert.deepEqual(await bridgePorts(net.bridge), [], "no veth left on the bridge");
  });

  it("kills a hung plugin at the timeout", async () => {
    const dir = join(root, "hang");
    await writeConf(join(dir, "conf"), "10.conflist", { cniVersion: "1.0.0", name: "crkt-hang", plugins: [{ type: "crkt-hang", pidFile: join(dir, "pid") }] });
    const cni = manager({ confDir: join(dir, "conf"), pluginTimeoutMs: 400, rollbackTimeoutMs: 400 });
    const p = await newPod(cni);
    const t0 = Date.now();
    await assert.rejects(cni.setUpPod(p.req), (e: unknown) => isCniPluginError(e) && e.timedOut && e.code === "DeadlineExceeded");
    assert.ok(Date.now() - t0 < 5000);
  });

  it("aborts a running plugin call on destroy", async () => {
    const dir = join(root, "destroy");
    await writeConf(join(dir, "conf"), "10.conflist", { cniVersion: "1.0.0", name: "crkt-destroy", plugins: [{ type: "crkt-hang", pidFile: join(dir, "pid") }] });
    const cni = manager({ confDir: join(dir, "conf"), loopback: false, rollbackTimeoutMs: 400 });
    const nsFile = join(dir, "fake-netns");
    await writeFile(nsFile, "");
    const t0 = Date.now();
    const p = cni.setUpPod(podReq("destroyed", nsFile));
    setTimeout(() => cni.destroy(), 300);
    await assert.rejects(p, (e: unknown) => isCniPluginError(e) && e.code === "Canceled");
    assert.ok(Date.now() - t0 < 5000);
    await assert.rejects(cni.tearDownPod({ id: "destroyed" }), { code: "Unavailable" });
  });

  it("refuses calls after close", async () => {
    const cni = manager({ confDir: join(root, "closed") });
    await cni.close();
    await cni.close();
    await assert.rejects(cni.setUpPod(podReq("x", "/nonexistent")), { code: "Unavailable" });
    assert.equal((await cni.status()).ready, false);
  });

  it("fails plainly when the pod's netns does not exist", async () => {
    const dir = join(root, "nons");
    const net = bridgeNet({ dir, third: 13 });
    await writeConf(join(dir, "conf"), "10-crkt.conflist", net.conflist);
    const cni = manager({ confDir: join(dir, "conf") });
    await assert.rejects(cni.setUpPod(podReq("nons", join(root, "netns", "missing"))), { code: "FailedPrecondition", message: /network namespace .* does not exist/ });
  });
});

describe("CniManager verbs by config version (recording plugin)", () => {
  async function recorded(file: string): Promise<string[]> {
    try {
      return (await readFile(file, "utf8")).trim().split("\n");
    } catch {
      return [];
    }
  }
  async function setup(version: string, extraList: Record<string, unknown> = {}) {
    const dir = join(root, `rec-${version}-${shortId()}`);
    const rec = join(dir, "record");
    await writeConf(join(dir, "conf"), "10.conflist", {
      cniVersion: version,
      name: "crkt-rec",
      ...extraList,
      plugins: [{ type: "crkt-record", recordFile: rec }, { type: "crkt-record", recordFile: rec }],
    });
    const cni = manager({ confDir: join(dir, "conf"), loopback: false });
    const nsFile = join(dir, "fake-netns");
    await writeFile(nsFile, "");
    return { cni, rec, nsFile };
  }

  it("threads prevResult through the chain and sends DEL in reverse with the cached result (1.0.0)", async () => {
    const { cni, rec, nsFile } = await setup("1.0.0");
    const r = await cni.setUpPod(podReq("p1", nsFile));
    assert.deepEqual(r.ips, ["10.201.250.2"]);
    await cni.checkPod({ id: "p1" });
    await cni.tearDownPod({ id: "p1" });
    assert.deepEqual(await recorded(rec), [
      `ADD prev=no p1 eth0 -`,
      `ADD prev=yes p1 eth0 -`,
      `CHECK prev=yes p1 eth0 -`,
      `CHECK prev=yes p1 eth0 -`,
      `DEL prev=yes p1 eth0 -`,
      `DEL prev=yes p1 eth0 -`,
    ]);
  });

  it("refuses a second ADD for an attached pod, and allows it again after teardown", async () => {
    const { cni, rec, nsFile } = await setup("1.0.0");
    await cni.setUpPod(podReq("p7", nsFile));
    await assert.rejects(cni.setUpPod(podReq("p7", nsFile)), { code: "AlreadyExists" });
    await cni.tearDownPod({ id: "p7" });
    await cni.setUpPod(podReq("p7", nsFile));
    await cni.tearDownPod({ id: "p7" });
    assert.deepEqual((await recorded(rec)).map((l) => l.split(" ")[0]), ["ADD", "ADD", "DEL", "DEL", "ADD", "ADD", "DEL", "DEL"]);
  });

  it("never sends STATUS or GC to a 1.0.0 config", async () => {
    const { cni, rec, nsFile } = await setup("1.0.0");
    assert.equal((await cni.status()).ready, true);
    await cni.setUpPod(podReq("p2", nsFile));
    assert.deepEqual(await cni.gc(["p2"]), []);
    const cmds = (await recorded(rec)).map((l) => l.split(" ")[0]);
    assert.deepEqual(cmds, ["ADD", "ADD"]);
    await cni.tearDownPod({ id: "p2" });
  });

  it("sends no CHECK, and DEL without prevResult, to a 0.3.1 config", async () => {
    const { cni, rec, nsFile } = await setup("0.3.1");
    await cni.setUpPod(podReq("p3", nsFile));
    await cni.checkPod({ id: "p3" });
    await cni.tearDownPod({ id: "p3" });
    assert.deepEqual(await recorded(rec), [`ADD prev=no p3 eth0 -`, `ADD prev=yes p3 eth0 -`, `DEL prev=no p3 eth0 -`, `DEL prev=no p3 eth0 -`]);
  });

  it("sends STATUS and GC (with the valid attachments) to a 1.1.0 config, and tears down stale attachments", async () => {
    const { cni, rec, nsFile } = await setup("1.1.0");
    const st = await cni.status();
    assert.equal(st.ready, true);
    const r = await cni.setUpPod(podReq("keep", nsFile));
    assert.equal(r.result?.cniVersion, "1.1.0");
    await cni.setUpPod(podReq("stale", nsFile));
    assert.deepEqual(await cni.gc(["keep"]), ["stale"]);
    const lines = await recorded(rec);
    assert.deepEqual(lines.slice(0, 2), ["STATUS prev=no - - -", "STATUS prev=no - - -"]);
    assert.deepEqual(lines.filter((l) => l.startsWith("DEL")), ["DEL prev=yes stale eth0 -", "DEL prev=yes stale eth0 -"]);
    const gcs = lines.filter((l) => l.startsWith("GC"));
    assert.deepEqual(gcs, ['GC prev=no - - [{"containerID":"keep","ifname":"eth0"}]', 'GC prev=no - - [{"containerID":"keep","ifname":"eth0"}]']);
    await cni.tearDownPod({ id: "keep" });
  });

  it("respects disableGC and disableCheck", async () => {
    const { cni, rec, nsFile } = await setup("1.1.0", { disableGC: true, disableCheck: true });
    await cni.setUpPod(podReq("p4", nsFile));
    await cni.checkPod({ id: "p4" });
    await cni.gc(["p4"]);
    await cni.tearDownPod({ id: "p4" });
    const cmds = (await recorded(rec)).map((l) => l.split(" ")[0]);
    assert.deepEqual(cmds, ["ADD", "ADD", "DEL", "DEL"]);
  });

  it("turns a not-ready STATUS answer into a not-ready status", async () => {
    const dir = join(root, `status-fail-${shortId()}`);
    await writeConf(join(dir, "conf"), "10.conflist", { cniVersion: "1.1.0", name: "crkt-sf", plugins: [{ type: "crkt-fail" }] });
    const cni = manager({ confDir: join(dir, "conf"), loopback: false });
    const st = await cni.status();
    assert.equal(st.ready, false);
    assert.equal(st.reason, networkNotReadyReason);
    assert.match(st.message, /crkt-fail refuses every call/);
  });

  it("serialises calls for one pod: a teardown issued during setup runs after it", async () => {
    const { cni, rec, nsFile } = await setup("1.0.0");
    await Promise.all([cni.setUpPod(podReq("p5", nsFile)), cni.tearDownPod({ id: "p5" }), cni.setUpPod(podReq("p6", nsFile))]);
    const mine = (await recorded(rec)).filter((l) => l.includes(" p5 ")).map((l) => l.split(" ")[0]);
    assert.deepEqual(mine, ["ADD", "ADD", "DEL", "DEL"]);
    await cni.tearDownPod({ id: "p6" });
  });

  it("asks a real plugin for its versions", async () => {
    const cni = manager({ confDir: join(root, "none") });
    const v = await cni.version("bridge");
    assert.ok(v.supportedVersions.includes("1.0.0"));
  });
});

describe("CniManager under load", () => {
  it("sets up and tears down 20 pods in parallel without leaking veth, netns, addresses or iptables rules", async () => {
    const dir = join(root, "load");
    const net = bridgeNet({ dir, third: 30, extra: [{ type: "portmap", capabilities: { portMappings: true } }] });
    created.bridges.add(net.bridge);
    await writeConf(join(dir, "conf"), "10-crkt.conflist", net.conflist);
    const cni = manager({ confDir: join(dir, "conf") });
    const netnsDir = join(root, "netns");
    const before = await mountsUnder(netnsDir);
    const pods = await Promise.all(Array.from({ length: 20 }, (_, i) => newPod(cni, { portMappings: [{ containerPort: 80, hostPort: 32000 + i }] })));
    const ids = pods.map((p) => p.id);
    const results = await Promise.all(pods.map((p) => cni.setUpPod(p.req)));
    const ips = results.map((r) => r.ips[0]);
    assert.equal(new Set(ips).size, 20, "20 distinct addresses");
    assert.equal((await bridgePorts(net.bridge)).length, 20);
    assert.equal((await ipamAllocations(net.dataDir, net.name)).length, 20);
    assert.equal((await mountsUnder(netnsDir)).length - before.length, 20);
    const rules = await iptablesLinesFor(ids);
    for (const id of ids) assert.ok(rules.some((l) => l.includes(id)), `portmap rule for ${id}`);

    await Promise.all(pods.map((p) => cni.tearDownPod({ id: p.id })));
    await Promise.all(pods.map((p) => netns.remove(p.path)));

    assert.deepEqual(await bridgePorts(net.bridge), [], "no veth left on the bridge");
    const veths = (await execa("ip", ["-o", "link", "show", "type", "veth"])).stdout;
    for (const r of results) {
      const hostIf = r.result?.interfaces.find((i) => i.sandbox === undefined && i.name !== net.bridge)?.name;
      assert.ok(hostIf, "the result names the host veth");
      assert.ok(!veths.includes(`${hostIf}@`), `veth ${hostIf} is gone`);
    }
    assert.deepEqual(await ipamAllocations(net.dataDir, net.name), [], "no host-local allocation left");
    assert.deepEqual(await mountsUnder(netnsDir), before, "no netns pin left in the mount table");
    const files = (await readdir(netnsDir)).filter((f) => ids.includes(f));
    assert.deepEqual(files, [], "no netns file left");
    assert.deepEqual(await iptablesLinesFor(ids), [], "no iptables rule left");
    await rm(join(dir, "conf"), { recursive: true });
  });
});
