import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildCniConfigSet, cniVersionHas, compareCniVersions, isCniConfigFileName, parseCniConfigFile, toCniNetworkConfigList } from "../../src/network/index.js";

const bridgeConflist = JSON.stringify({
  cniVersion: "1.0.0",
  name: "crkt-net",
  plugins: [{ type: "bridge", bridge: "crkt0", ipam: { type: "host-local" } }, { type: "portmap", capabilities: { portMappings: true, other: false } }],
});

describe("parseCniConfigFile", () => {
  it("reads a conflist, keeping plugin keys and the declared capabilities", () => {
    const l = parseCniConfigFile("10-crkt.conflist", bridgeConflist);
    assert.equal(l.name, "crkt-net");
    assert.equal(l.cniVersion, "1.0.0");
    assert.equal(l.source, "10-crkt.conflist");
    assert.deepEqual(l.plugins.map((p) => p.type), ["bridge", "portmap"]);
    assert.deepEqual(l.plugins[1]?.capabilities, ["portMappings"]);
    assert.equal((l.plugins[0]?.raw["ipam"] as { type: string }).type, "host-local");
    assert.equal(l.disableCheck, false);
    assert.equal(l.disableGC, false);
  });

  it("turns a single-plugin .conf into a list of one", () => {
    const l = parseCniConfigFile("05.conf", JSON.stringify({ cniVersion: "0.3.1", name: "single", type: "bridge", bridge: "crkt1" }));
    assert.equal(l.plugins.length, 1);
    assert.equal(l.plugins[0]?.type, "bridge");
    assert.equal(l.plugins[0]?.raw["bridge"], "crkt1");
    assert.equal(l.plugins[0]?.raw["name"], undefined);
    assert.deepEqual(JSON.parse(l.bytes).plugins[0], { type: "bridge", bridge: "crkt1" });
  });

  it("picks the highest supported version from cniVersions", () => {
    const l = parseCniConfigFile("a.conflist", JSON.stringify({ cniVersion: "1.0.0", cniVersions: ["1.0.0", "1.1.0", "9.9.9"], name: "n", plugins: [{ type: "x" }] }));
    assert.equal(l.cniVersion, "1.1.0");
  });

  it("reads disableCheck and disableGC, also as strings", () => {
    const l = parseCniConfigFile("a.conflist", JSON.stringify({ cniVersion: "1.1.0", name: "n", disableCheck: "true", disableGC: true, plugins: [{ type: "x" }] }));
    assert.equal(l.disableCheck, true);
    assert.equal(l.disableGC, true);
  });

  const invalid = [
    { desc: "malformed JSON", file: "a.conf", text: "{", field: undefined, re: /not valid JSON/ },
    { desc: "a missing name", file: "a.conf", text: '{"cniVersion":"1.0.0","type":"x"}', field: "name", re: /name is missing/ },
    { desc: "a name with a slash", file: "a.conf", text: '{"cniVersion":"1.0.0","name":"a/b","type":"x"}', field: "name", re: /may hold only/ },
    { desc: "a missing cniVersion", file: "a.conf", text: '{"name":"n","type":"x"}', field: "cniVersion", re: /cniVersion is missing/ },
    { desc: "an unsupported cniVersion", file: "a.conf", text: '{"cniVersion":"0.2.0","name":"n","type":"x"}', field: "cniVersion", re: /not supported/ },
    { desc: "an empty plugin list", file: "a.conflist", text: '{"cniVersion":"1.0.0","name":"n","plugins":[]}', field: "plugins", re: /plugins is empty/ },
    { desc: "a conflist without plugins", file: "a.conflist", text: '{"cniVersion":"1.0.0","name":"n","type":"x"}', field: "plugins", re: /needs a plugins array/ },
    { desc: "a plugin without type", file: "a.conflist", text: '{"cniVersion":"1.0.0","name":"n","plugins":[{}]}', field: "plugins[0].type", re: /plugins\[0\]\.type is missing/ },
    { desc: "a plugin type with a path", file: "a.conflist", text: '{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../x"}]}', field: "plugins[0].type", re: /plain binary name/ },
    { desc: "neither plugins nor type", file: "a.json", text: '{"cniVersion":"1.0.0","name":"n"}', field: "plugins", re: /neither plugins/ },
  ];
  for (const c of invalid) {
    it(`rejects ${c.desc}, naming the file and field`, () => {
      assert.throws(
        () => parseCniConfigFile(c.file, c.text),
        (e: unknown) => {
          const err = e as { code: string; message: string; details: Record<string, unknown> };
          assert.equal(err.code, "InvalidArgument");
          assert.match(err.message, c.re);
          assert.match(err.message, new RegExp(c.file.replace(".", "\\.")));
          if (c.field) assert.equal(err.details["field"], c.field);
          return true;
        },
      );
    });
  }
});

describe("buildCniConfigSet", () => {
  it("sorts files lexically, skips broken ones with a reason and makes the first valid one the default", () => {
    const set = buildCniConfigSet([
      { name: "20-b.conflist", text: bridgeConflist.replace("crkt-net", "b") },
      { name: "00-broken.conf", text: "{nope" },
      { name: "10-a.json", text: JSON.stringify({ cniVersion: "0.4.0", name: "a", type: "bridge" }) },
      { name: "README.md", text: "ignored" },
      { name: "15-dup.conf", text: JSON.stringify({ cniVersion: "0.4.0", name: "a", type: "bridge" }) },
    ]);
    assert.equal(set.defaultNetwork?.name, "a");
    assert.deepEqual(set.networks.map((n) => n.name), ["a", "b"]);
    assert.deepEqual(set.errors.map((e) => e.file), ["00-broken.conf", "15-dup.conf"]);
    assert.match(set.errors[1]?.message ?? "", /already defined/);
  });

  it("has no default network when every file is broken", () => {
    const set = buildCniConfigSet([{ name: "a.conf", text: "[]" }]);
    assert.equal(set.defaultNetwork, undefined);
    assert.equal(set.errors.length, 1);
  });
});

describe("config helpers", () => {
  const names = [
    { desc: "a .conf file", name: "10-a.conf", ok: true },
    { desc: "a .conflist file", name: "10-a.conflist", ok: true },
    { desc: "a .json file", name: "a.json", ok: true },
    { desc: "a hidden file", name: ".a.conf", ok: false },
    { desc: "a backup file", name: "a.conf~", ok: false },
    { desc: "a bare extension", name: ".conf", ok: false },
  ];
  for (const c of names) it(`says whether ${c.desc} is loaded`, () => assert.equal(isCniConfigFileName(c.name), c.ok));

  const verbs = [
    { desc: "CHECK is not sent to 0.3.1", v: "0.3.1", cmd: "CHECK", ok: false },
    { desc: "CHECK is sent to 0.4.0", v: "0.4.0", cmd: "CHECK", ok: true },
    { desc: "STATUS is not sent to 1.0.0", v: "1.0.0", cmd: "STATUS", ok: false },
    { desc: "GC is not sent to 1.0.0", v: "1.0.0", cmd: "GC", ok: false },
    { desc: "STATUS is sent to 1.1.0", v: "1.1.0", cmd: "STATUS", ok: true },
    { desc: "GC is sent to 1.1.0", v: "1.1.0", cmd: "GC", ok: true },
    { desc: "ADD is sent to 0.3.0", v: "0.3.0", cmd: "ADD", ok: true },
  ] as const;
  for (const c of verbs) it(`knows ${c.desc}`, () => assert.equal(cniVersionHas(c.v, c.cmd), c.ok));

  it("compares versions numerically", () => {
    assert.ok(compareCniVersions("0.10.0", "0.4.0") > 0);
    assert.equal(compareCniVersions("1.0", "1.0.0"), 0);
  });

  it("builds a list in code", () => {
    const l = toCniNetworkConfigList({ cniVersion: "1.0.0", name: "x", plugins: [{ type: "loopback" }] });
    assert.equal(l.source, "");
    assert.throws(() => toCniNetworkConfigList(null), /must be a JSON object/);
  });
});
