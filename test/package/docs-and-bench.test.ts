/**
 * The README's commands for the API reference and the import cost, run as
 * written.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const repo = fileURLToPath(new URL("../..", import.meta.url));

describe("npm run docs", () => {
  it("writes the API reference of every entry point into docs/api from the TSDoc", async () => {
    await execa("sh", ["-c", "npm run docs"], { cwd: repo });
    const index = await readFile(join(repo, "docs/api/crikit.md"), "utf8");
    assert.match(index, /crikit: building blocks for Kubernetes CRI runtimes/);
    // A symbol of the root, one of crikit/transport only, one of crikit/client only.
    assert.match(await readFile(join(repo, "docs/api/crikit.registrar.md"), "utf8"), /Registrar class/);
    assert.match(await readFile(join(repo, "docs/api/crikit.criserver.md"), "utf8"), /CriServer class/);
    assert.match(await readFile(join(repo, "docs/api/crikit.createcriclient.md"), "utf8"), /Connects to the CRI endpoint/);
  });
});

describe("npm run bench -- --only import-cost --quick", () => {
  it("measures every entry point and meets the pure blocks' target", async () => {
    const r = await execa("sh", ["-c", "npm run bench -- --only import-cost --quick"], { cwd: repo });
    for (const entry of ["crikit", "crikit/naming", "crikit/transport", "crikit/client"]) assert.match(r.stdout, new RegExp(`\\| import ${entry} \\| ms \\|`));
    const targets = r.stdout.split("\n").filter((l) => l.includes("target <"));
    assert.equal(targets.length, 8, r.stdout);
    // Time is at the mercy of a busy machine; memory is not.
    for (const line of r.stdout.split("\n").filter((l) => /\| import crikit\/(naming|stores|reference|errors|spec|status|config|cri-enums) \| MiB rss \|/.test(l))) {
      const p50 = Number(line.split("|")[3]);
      assert.ok(p50 < 5, line);
    }
  });
});
