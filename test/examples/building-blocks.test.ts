import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

describe("examples/building-blocks", () => {
  it("runs against the built package and prints what the README shows", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/building-blocks/main.ts"], { cwd: root });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(out, {
      names: ["web_default_7f3c_0", "nginx_web_default_7f3c_1"],
      found: true,
      args: ["nginx", "-g", "daemon off;"],
      passedThrough: { "example.com/team": "web" },
      memoryLimit: "268435456",
      cpuQuota: "50000",
    });
  });
});
