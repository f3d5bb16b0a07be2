/**
 * The guides for npm users (docs/crictl.md, docs/kubelet.md): every command
 * block is either run by a test as written or marked as an excerpt (its
 * fence says `excerpt` and the paragraph after it starts with "Excerpt",
 * saying why); the crikitd configuration the kubelet guide shows is valid.
 *
 * Run elsewhere as written: crictl.md's session (test/e2e/crictl.test.ts,
 * which reads it from the guide) and its `npx crikitd --version`
 * (test/package/consumer.test.ts, in a project where the packed tarball is
 * installed).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDaemonConfig } from "../../src/config/index.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

interface Block {
  info: string;
  body: string;
  /** The first non-empty line after the closing fence. */
  after: string;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```\n+([^\n]*)/gm)].map((m) => ({ info: (m[1] ?? "").trim(), body: m[2] ?? "", after: m[3] ?? "" }));
}

/** Command blocks that a test runs as written, by guide. */
const runByTests: Record<string, Array<(b: Block) => boolean>> = {
  "docs/crictl.md": [
    (b) => b.body === "npm install crikit\nnpx crikitd --version\n", // consumer.test.ts: npm install <tarball>, then npx crikitd --version
    (b) => b.body.includes("POD_ID=$(crictl runp pod.json)"), // e2e/crictl.test.ts
  ],
  "docs/kubelet.md": [],
};

describe("the guides for npm users", () => {
  for (const [guide, tested] of Object.entries(runByTests)) {
    it(`${guide}: each command block is run by a test or marked as an excerpt`, async () => {
      const all = blocks(await readFile(join(repo, guide), "utf8"));
      assert.ok(all.length > 0);
      for (const b of all) {
        const lang = b.info.split(/\s+/)[0] ?? "";
        if (b.info.endsWith(" excerpt")) {
          assert.match(b.after, /^Excerpt[:,]/, `${guide}: the paragraph after an excerpt says so and why: ${b.body}`);
          continue;
        }
        if (lang === "sh") assert.ok(tested.some((t) => t(b)), `${guide}: a command block no test runs and not marked as an excerpt: ${b.body}`);
        else assert.ok(["json", "toml"].includes(lang), `${guide}: a ${lang} block neither checked nor marked as an excerpt`);
      }
    });
  }

  it("docs/kubelet.md: the crikitd configuration is valid and says what the guide says", async () => {
    const toml = blocks(await readFile(join(repo, "docs/kubelet.md"), "utf8")).filter((b) => b.info === "toml");
    assert.equal(toml.length, 1);
    const config = parseDaemonConfig((toml[0] as Block).body);
    assert.equal(config.cgroup_driver, "systemd");
    assert.deepEqual(config.runtimes["runc"]?.options, { SystemdCgroup: true });
    assert.equal(config.cni.conf_dir, "/etc/cni/net.d");
    assert.equal(config.socket, "/run/crikit/crikit.sock", "the socket the kubelet is pointed at");
  });

  it("docs/kubelet.md: the endpoint the kubelet is given is crikitd's default socket", async () => {
    const text = await readFile(join(repo, "docs/kubelet.md"), "utf8");
    const endpoints = new Set(text.match(/unix:\/\/[^\s`]+/g));
    assert.deepEqual([...endpoints], [`unix://${parseDaemonConfig("").socket}`]);
  });
});
