import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hasErrorCode } from "../../src/errors.js";
import { resolveInRootfs, type SymlinkReader } from "../../src/spec/index.js";
import { createDirRootfsReader } from "../helpers/rootfs.js";

function links(table: Record<string, string>): SymlinkReader {
  return { readlink: (p) => table[p] };
}

describe("resolveInRootfs", () => {
  const cases = [
    { desc: "a plain path is joined", path: "/etc/passwd", table: {}, want: "/r/etc/passwd" },
    { desc: "dot-dot cannot climb above the root", path: "/../../etc/passwd", table: {}, want: "/r/etc/passwd" },
    { desc: "an absolute symlink is taken relative to the root", path: "/etc/passwd", table: { "/r/etc/passwd": "/../../host/shadow" }, want: "/r/host/shadow" },
    { desc: "a relative symlink resolves from its directory", path: "/etc/passwd", table: { "/r/etc/passwd": "../usr/lib/passwd" }, want: "/r/usr/lib/passwd" },
    { desc: "a symlinked directory is followed", path: "/etc/group", table: { "/r/etc": "/private/etc" }, want: "/r/private/etc/group" },
    { desc: "a relative path is taken from the root", path: "etc/passwd", table: {}, want: "/r/etc/passwd" },
  ];
  for (const c of cases) it(`resolves so that ${c.desc}`, () => assert.equal(resolveInRootfs("/r/", c.path, links(c.table)), c.want));

  it("refuses a symlink loop", () => {
    assert.throws(() => resolveInRootfs("/r", "/a", links({ "/r/a": "/b", "/r/b": "/a" })), (e: unknown) => hasErrorCode(e, "FailedPrecondition"));
  });

  it("keeps a real rootfs reader inside the rootfs", () => {
    const dir = mkdtempSync(join(tmpdir(), "crikit-spec-"));
    try {
      const root = join(dir, "rootfs");
      mkdirSync(join(root, "etc"), { recursive: true });
      writeFileSync(join(dir, "secret"), "host secret\n");
      writeFileSync(join(root, "secret"), "image file\n");
      symlinkSync("../../secret", join(root, "etc", "passwd"));
      const text = new TextDecoder().decode(createDirRootfsReader(root).readFile("/etc/passwd"));
      assert.equal(text, "image file\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
