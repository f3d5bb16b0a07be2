/**
 * Parsing `/proc/self/mountinfo` (pure): the one parser of crikit, for the
 * netns pins, the pod shm and namespace pins, and the cgroup mounts.
 *
 * Line format (proc(5)): `id parent major:minor root mountpoint options
 * [optional fields...] - fstype source superoptions`. Paths escape space,
 * tab, newline and backslash as octal (`\040`). Optional fields hold the
 * propagation: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`.
 *
 * @packageDocumentation
 */
import { readFile } from "node:fs/promises";

/**
 * One mount from mountinfo.
 *
 * @public
 */
export interface MountInfoEntry {
  readonly mountPoint: string;
  /** The root of the mount within its file system. */
  readonly root: string;
  /** The per-superblock options. */
  readonly superOptions: string;
  readonly fsType: string;
  /** Whether the mount is in a shared peer group. */
  readonly shared: boolean;
}

const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/**
 * Parses mountinfo text; malformed lines are skipped.
 *
 * @public
 */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (f.length < 10 || sep < 0) continue;
    const mp = f[4];
    const fsType = f[sep + 1];
    if (mp === undefined || fsType === undefined) continue;
    out.push({ mountPoint: unescape(mp), root: unescape(f[3] ?? "/"), superOptions: f[sep + 3] ?? "", fsType, shared: f.slice(6, sep).some((o) => o.startsWith("shared:")) });
  }
  return out;
}

/** The mount points of this process's mount namespace (`/proc/self/mountinfo`). */
export async function ownMountPoints(): Promise<Set<string>> {
  return new Set(parseMountInfo(await readFile("/proc/self/mountinfo", "utf8")).map((m) => m.mountPoint));
}
