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
import { copyFileSync, chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { resolveInRootfs, type HostPathInfo, type OciLinuxDevice, type RootfsReader, type SpecHost, type SymlinkReader } from "../../src/spec/index.js";

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

/** Reads symlinks with node:fs. */
export const nodeSymlinkReader: SymlinkReader = {
  readlink(p) {
    try {
      return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
    } catch {
      return undefined;
    }
  },
};

/** A {@link RootfsReader} over a rootfs directory; symlinks stay inside the rootfs. */
export function createDirRootfsReader(rootfs: string): RootfsReader {
  return {
    readFile(p) {
      try {
        return readFileSync(resolveInRootfs(rootfs, p, nodeSymlinkReader));
      } catch {
        return undefined;
      }
    },
  };
}

function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

function info(path: string): HostPathInfo | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  if (st.isDirectory()) return { type: "directory", ...base };
  if (st.isFile()) return { type: "file", ...base };
  if (st.isCharacterDevice()) return { type: "char-device", major: devMajor(st.rdev), minor: devMinor(st.rdev), ...base };
  if (st.isBlockDevice()) return { type: "block-device", major: devMajor(st.rdev), minor: devMinor(st.rdev), ...base };
  if (st.isFIFO()) return { type: "fifo", ...base };
  if (st.isSocket()) return { type: "socket", ...base };
  return { type: "other", ...base };
}

/** A real {@link SpecHost} over node:fs (reads, stats, lists /dev). */
export function createNodeSpecHost(): SpecHost {
  return {
    readFile(p) {
      try {
        return readFileSync(p);
      } catch {
        return undefined;
      }
    },
    stat: info,
    listDevices() {
      const out: OciLinuxDevice[] = [];
      const walk = (d: string): void => {
        let names: string[];
        try {
          names = readdirSync(d);
        } catch {
          return;
        }
        for (const n of names) {
          const p = join(d, n);
          if (p === "/dev/pts" || p === "/dev/shm" || p === "/dev/mqueue") continue;
          const i = info(p);
          if (i?.type === "directory") walk(p);
          else if (i?.type === "char-device" || i?.type === "block-device") {
            out.push({ path: p, type: i.type === "char-device" ? "c" : "b", major: i.major ?? 0, minor: i.minor ?? 0, fileMode: (i.mode ?? 0) & 0o777, uid: i.uid ?? 0, gid: i.gid ?? 0 });
          }
        }
      };
      walk("/dev");
      return out;
    },
    mkdirAll(p) {
      mkdirSync(p, { recursive: true });
    },
  };
}

/** The capabilities in this process' bounding set (names), from /proc/self/status. */
export function hostBoundingCapabilities(all: readonly string[]): string[] {
  const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("CapBnd:"));
  const mask = BigInt(`0x${(line ?? "CapBnd:\t0").split(/\s+/)[1] ?? "0"}`);
  return all.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** This process' oom_score_adj. */
export function currentOomScoreAdj(): number {
  return Number(readFileSync("/proc/self/oom_score_adj", "utf8").trim());
}
