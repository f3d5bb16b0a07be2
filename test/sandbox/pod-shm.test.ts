/**
 * A pod's shm tmpfs: mounted with the size and options asked for, shared
 * through its mount point, idempotent both ways, and leaves nothing behind.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mountPodShm, unmountPodShm } from "../../src/sandbox/index.js";
import { hasErrorCode } from "../../src/errors.js";

async function mountLine(path: string): Promise<string | undefined> {
  return (await readFile("/proc/self/mountinfo", "utf8")).split("\n").find((l) => l.split(" ")[4] === path);
}

describe("pod shm", () => {
  let tmp = "";
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "crikit-shm-"));
  });
  after(async () => {
    await unmountPodShm(join(tmp, "shm")).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  });

  it("mounts a tmpfs of the given size, nosuid, nodev, noexec, mode 1777; a second mount is a no-op", async () => {
    const shm = join(tmp, "shm");
    await mountPodShm(shm, 8 * 1024 * 1024);
    await mountPodShm(shm, 8 * 1024 * 1024);
    const lines = (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter((l) => l.split(" ")[4] === shm);
    assert.equal(lines.length, 1, "mounted once");
    assert.match(lines[0] ?? "", /\bnosuid\b.*\bnodev\b.*\bnoexec\b.* - tmpfs shm .*size=8192k/);
    assert.equal((await stat(shm)).mode & 0o7777, 0o1777);
    await writeFile(join(shm, "segment"), "x");
  });

  it("unmounts and removes the mount point; releasing again succeeds", async () => {
    const shm = join(tmp, "shm");
    await unmountPodShm(shm);
    assert.equal(await mountLine(shm), undefined);
    await assert.rejects(stat(shm), /ENOENT/);
    await unmountPodShm(shm);
  });

  it("refuses a size that is not a positive integer", async () => {
    await assert.rejects(mountPodShm(join(tmp, "bad"), 0), (e: unknown) => hasErrorCode(e, "InvalidArgument"));
  });
});
