/**
 * Test support for spec tests: a busybox root filesystem in a temp dir,
 * a real {@link SpecHost} over node:fs, a {@link RootfsReader} over a
 * rootfs directory, and OCI bundles to run with runc.
 *
 * Debian's `busybox-static` runs applets internally, which is all these
 * tests need (they read files under /proc and call syscalls). When the
 * machine has only the dynamically linked `busybox` package, the binary is
 * copied with the libraries `ldd` lists, so either works. Each applet gets
 * a symlink in /bin so `exec` of a name also works. `catatonit` (static)
 * is copied to `/catatonit` as the pause process.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The users and groups of the test rootfs. */
export const TEST_PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "alice:x:1000:1000:Alice:/home/alice:/bin/sh",
  "bob:x:1001:1001:Bob:/home/bob:/bin/sh",
  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false",
].join("\n");

/** Groups: alice is in staff (50) and audio (29); bob in audio. */
export const TEST_GROUP = [
  "root:x:0:",
  "audio:x:29:alice,bob",
  "staff:x:50:alice",
  "alice:x:1000:",
  "bob:x:1001:",
  "nogroup:x:65534:",
].join("\n");

function findBusybox(): string {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) if (existsSync(p)) return p;
  throw new Error("busybox is not installed: run scripts/setup.sh (Debian packages busybox-static or busybox)");
}

function libsOf(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync("ldd", [binary], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch {
    return []; // "not a dynamic executable": static
  }
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    const m = /(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/** A busybox root filesystem in a temp directory. */
export interface TestRootfs {
  /** The temp directory holding everything (bundles go below it). */
  dir: string;
  /** The rootfs path. */
  rootfs: string;
  /** Remove the temp directory. */
  cleanup(): void;
}

/** Build a busybox rootfs (with /catatonit, /etc/passwd and /etc/group) in a new temp dir. */
export function createTestRootfs(): TestRootfs {
  const dir = mkdtempSync(join(tmpdir(), "crikit-spec-"));
  chmodSync(dir, 0o755); // a user-namespaced root (an unprivileged host uid) must reach the rootfs
  const rootfs = join(dir, "rootfs");
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp", "mnt", "root", "home/alice", "home/bob", "run", "var"]) {
    mkdirSync(join(rootfs, d), { recursive: true });
  }
  chmodSync(join(rootfs, "tmp"), 0o1777);
  const busybox = findBusybox();
  copyFileSync(busybox, join(rootfs, "bin", "busybox"));
  chmodSync(join(rootfs, "bin", "busybox"), 0o755);
  for (const lib of libsOf(busybox)) {
    mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(rootfs, lib));
  }
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter((a) => a !== "" && a !== "busybox");
  for (const a of applets) if (!existsSync(join(rootfs, "bin", a))) symlinkSync("busybox", join(rootfs, "bin", a));
  if (!existsSync("/usr/bin/catatonit")) throw new Error("catatonit is not installed: run scripts/setup.sh (Debian package catatonit)");
  copyFileSync("/usr/bin/catatonit", join(rootfs, "catatonit"));
  chmodSync(join(rootfs, "catatonit"), 0o755);
  writeFileSync(join(rootfs, "etc", "passwd"), `${TEST_PASSWD}\n`);
  writeFileSync(join(rootfs, "etc", "group"), `${TEST_GROUP}\n`);
  for (const f of ["hostname", "hosts", "resolv.conf"]) writeFileSync(join(rootfs, "etc", f), "");
  return { dir, rootfs, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// The real host and rootfs readers are production code in src/server; the
// spec tests use them under the names they were written with.
export {
  createDirRootfsReader,
  createNodeSpecHost,
  boundingCapabilities as hostBoundingCapabilities,
  ownOomScoreAdj as currentOomScoreAdj,
} from "../../src/server/node-host.js";
