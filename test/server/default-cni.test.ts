import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCniConfigFile } from "../../src/network/index.js";
import { defaultCniConflist, ensureDefaultCniConfig } from "../../src/server/default-cni.js";

describe("the default CNI network", () => {
  it("is a bridge crikit0 with host-local addresses, portmap and loopback, that the CNI config parser accepts", () => {
    const c = defaultCniConflist();
    const plugins = c["plugins"] as Array<Record<string, unknown>>;
    assert.deepEqual(plugins.map((p) => p["type"]), ["bridge", "portmap", "loopback"]);
    assert.equal(plugins[0]?.["bridge"], "crikit0");
    assert.deepEqual((plugins[0]?.["ipam"] as Record<string, unknown>)["ranges"], [[{ subnet: "10.88.0.0/16" }]]);
    const parsed = parseCniConfigFile("10-crikit.conflist", JSON.stringify(c));
    assert.equal(parsed.name, "crikit", "the parser accepts it");
  });

  it("can leave out the default route and masquerade", () => {
    const c = defaultCniConflist({ bridge: "t0", subnet: "10.203.0.0/16", defaultRoute: false });
    const bridge = (c["plugins"] as Array<Record<string, unknown>>)[0] ?? {};
    assert.equal(bridge["ipMasq"], false);
    assert.equal((bridge["ipam"] as Record<string, unknown>)["routes"], undefined);
  });

  it("is written only into a conf dir without configuration", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-cni-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = await ensureDefaultCniConfig(join(dir, "net.d"));
    assert.equal(file, join(dir, "net.d", "10-crikit.conflist"));
    assert.equal(JSON.parse(await readFile(file as string, "utf8")).name, "crikit");
    assert.equal(await ensureDefaultCniConfig(join(dir, "net.d")), undefined, "a second call writes nothing");
    const other = join(dir, "other");
    await ensureDefaultCniConfig(other).then(() => rm(join(other, "10-crikit.conflist")));
    await writeFile(join(other, "50-mine.conf"), "{}");
    assert.equal(await ensureDefaultCniConfig(other), undefined);
    assert.deepEqual(await readdir(other), ["50-mine.conf"]);
  });
});
