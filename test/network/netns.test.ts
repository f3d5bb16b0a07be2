import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { createNetnsManager } from "../../src/network/index.js";
import { mountsUnder, removeTree, tempDir } from "./net-helpers.js";

describe("createNetnsManager", () => {
  let root = "";
  let dir = "";
  before(async () => {
    root = await tempDir("netns");
    dir = join(root, "netns");
  });
  after(async () => {
    await removeTree(root);
  });

  it("creates a pinned namespace with its own loopback, and removes it", async () => {
    const m = createNetnsManager({ dir });
    const p = await m.create("pod-a");
    assert.equal(p, join(dir, "pod-a"));
    assert.ok(await m.exists("pod-a"));
    assert.deepEqual(await mountsUnder(dir), [p]);
    const links = await execa("nsenter", [`--net=${p}`, "ip", "-o", "link"]);
    assert.match(links.stdout, /^1: lo:/);
    assert.equal(links.stdout.trim().split("\n").length, 1, "a fresh namespace holds only lo");
    const hostNs = await stat("/proc/self/ns/net");
    const podNs = await stat(p);
    assert.notEqual(podNs.ino, hostNs.ino, "the pin is a different namespace from the host's");
    await m.remove(p);
    assert.equal(await m.exists(p), false);
    assert.deepEqual(await mountsUnder(dir), []);
    assert.deepEqual(await readdir(dir), []);
  });

  it("makes the pin directory a shared mount point of its own, once", async () => {
    const m = createNetnsManager({ dir });
    await m.create("pod-b");
    await m.remove("pod-b");
    const again = createNetnsManager({ dir });
    await again.create("pod-c");
    await again.remove("pod-c");
    const info = (await execa("findmnt", ["-n", "-o", "TARGET,PROPAGATION", dir])).stdout.trim().split("\n");
    assert.equal(info.length, 1, `one bind mount of ${dir} on itself, not a stack: ${info.join(" | ")}`);
    assert.match(info[0] ?? "", /shared/);
  });

  it("works through a symlinked directory, as /var/run/netns is on Debian", async () => {
    const real = join(root, "real-netns");
    const link = join(root, "linked-netns");
    await mkdir(real);
    await symlink(real, link);
    const m = createNetnsManager({ dir: link });
    const p = await m.create("pod-link");
    assert.equal(p, join(link, "pod-link"));
    assert.ok(await m.exists("pod-link"), "the pin is found although mountinfo lists the real path");
    const again = createNetnsManager({ dir: link });
    await again.create("pod-link2");
    const stack = (await execa("findmnt", ["-n", "-o", "TARGET", real])).stdout.trim().split("\n");
    assert.equal(stack.length, 1, `one bind mount of the directory, not a stack: ${stack.join(" | ")}`);
    await m.remove(p);
    await again.remove("pod-link2");
    assert.equal(await m.exists("pod-link"), false);
    assert.deepEqual(await mountsUnder(real), []);
    assert.deepEqual(await readdir(real), []);
  });

  it("treats removing a namespace that is already gone as success, twice", async () => {
    const m = createNetnsManager({ dir });
    const p = await m.create("pod-d");
    await m.remove(p);
    await m.remove(p);
    await m.remove("never-created");
  });

  it("refuses a second namespace under the same name", async () => {
    const m = createNetnsManager({ dir });
    const p = await m.create("pod-e");
    try {
      await assert.rejects(m.create("pod-e"), { code: "AlreadyExists" });
    } finally {
      await m.remove(p);
    }
  });

  const badNames = [
    { desc: "a path", name: "../x" },
    { desc: "an empty name", name: "" },
    { desc: "a dot name", name: ".." },
  ];
  for (const c of badNames) {
    it(`refuses ${c.desc} as a name`, async () => {
      await assert.rejects(createNetnsManager({ dir }).create(c.name), { code: "InvalidArgument" });
    });
  }

  it("refuses to remove a path outside its directory", async () => {
    await assert.rejects(createNetnsManager({ dir }).remove("/var/run/netns/x"), { code: "InvalidArgument" });
  });

  it("does not leave a file behind when the abort comes first", async () => {
    const m = createNetnsManager({ dir });
    await assert.rejects(m.create("pod-f", { signal: AbortSignal.abort() }));
    assert.equal((await readdir(dir)).includes("pod-f"), false);
  });
});
