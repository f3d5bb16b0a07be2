/**
 * crikitd's command line: --version, --help, unknown flags and invalid
 * configuration files fail with exit code 2 and a message naming the
 * problem, before anything is started.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { repoRoot } from "./harness.js";

function crikitd(args: string[]) {
  return execa(process.execPath, ["--import", "tsx", "examples/crikitd/main.ts", ...args], { cwd: repoRoot, reject: false, timeout: 30_000 });
}

describe("crikitd command line", () => {
  it("prints its version", async () => {
    const r = await crikitd(["--version"]);
    assert.equal(r.exitCode, 0);
    assert.match(String(r.stdout), /^crikitd \d+\.\d+\.\d+\n?$/);
  });

  it("prints help naming every option", async () => {
    const r = await crikitd(["--help"]);
    assert.equal(r.exitCode, 0);
    for (const opt of ["--config", "--socket", "--root", "--state", "--log-level", "--version", "--help", "crictl --runtime-endpoint"]) assert.ok(String(r.stdout).includes(opt), opt);
  });

  const cases = [
    { desc: "an unknown flag", args: ["--nope"], toml: undefined, match: /Unknown option '--nope'/ },
    { desc: "a missing config file", args: ["--config", "/nonexistent/crikit.toml"], toml: undefined, match: /cannot read config \/nonexistent\/crikit.toml/ },
    { desc: "an unknown key", args: [], toml: 'nope = 1\n', match: /unknown key "nope"/ },
    { desc: "equal root and state", args: [], toml: 'root = "/tmp/x"\nstate = "/tmp/x"\n', match: /root and state must be different/ },
    { desc: "a bad log level on the command line", args: ["--log-level", "loud"], toml: "", match: /log_level: must be one of/ },
    {
      desc: "a runtime option it cannot honour",
      args: [],
      toml: '[runtimes.runc.options]\nIoUid = 1000\n',
      match: /runtimes\.runc\.options\.IoUid cannot be honoured: .*remove it from \[runtimes\.runc\.options\]/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.desc} with exit code 2`, async (t) => {
      const args = [...c.args];
      if (c.toml !== undefined) {
        const dir = await mkdtemp(join(tmpdir(), "crikitd-cli-"));
        t.after(() => rm(dir, { recursive: true, force: true }));
        await writeFile(join(dir, "c.toml"), c.toml);
        args.unshift("--config", join(dir, "c.toml"));
      }
      const r = await crikitd(args);
      assert.equal(r.exitCode, 2, String(r.stderr));
      assert.match(String(r.stderr), c.match);
      assert.doesNotMatch(String(r.stderr), /\n\s+at /, "no stack trace");
    });
  }
});
