import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

/** The code between the quick-start markers of examples/embed/main.ts. */
async function quickStart(): Promise<string> {
  const source = await readFile(join(root, "examples/embed/main.ts"), "utf8");
  const m = /\/\/ --- quick start ---\n([\s\S]*?)\/\/ --- end quick start ---\n/.exec(source);
  assert.ok(m?.[1], "the markers are in examples/embed/main.ts");
  return m[1];
}

describe("examples/embed (the README's quick start)", () => {
  it("serves a toy runtime that its client calls, and prints what the README shows", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-embed-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/embed/main.ts", join(dir, "toy-cri.sock")], { cwd: root });
    assert.equal(stdout, "toy [ 'web_default_7f3c_0' ] true\n");
  });

  it("is the code the README shows", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    assert.ok(readme.includes("```ts\n" + (await quickStart()) + "```\n"), "README.md's Embed crikit block is examples/embed/main.ts's quick start");
  });
});
