/**
 * `npm run crikitd` must start the daemon with the Node flags the example
 * declares (the bench and the e2e harness take them from the same list).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { CRIKITD_NODE_FLAGS } from "../../examples/crikitd/node-flags.js";

describe("crikitd's Node flags", () => {
  it("are the flags package.json's crikitd script passes, before the entry point", async () => {
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts["crikitd"], ["node", ...CRIKITD_NODE_FLAGS, "dist/examples/crikitd/main.js"].join(" "));
  });
  it("are the flags of main.ts's shebang, which `npx crikitd` (package.json's bin) runs", async () => {
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { bin: Record<string, string> };
    assert.equal(pkg.bin["crikitd"], "dist/examples/crikitd/main.js");
    const main = await readFile(new URL("../../examples/crikitd/main.ts", import.meta.url), "utf8");
    assert.equal(main.split("\n")[0], ["#!/usr/bin/env -S node", ...CRIKITD_NODE_FLAGS].join(" "));
  });
  it("are flags this Node accepts", async () => {
    const { execa } = await import("execa");
    const r = await execa(process.execPath, [...CRIKITD_NODE_FLAGS, "-e", "process.stdout.write('ok')"], { reject: false });
    assert.equal(r.exitCode, 0, String(r.stderr));
    assert.equal(r.stdout, "ok");
  });
});
