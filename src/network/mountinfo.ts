/**
 * Parsing `/proc/self/mountinfo` (pure), for the netns pins.
 *
 * Line format (proc(5)): `id parent major:minor root mountpoint options
 * [optional fields...] - fstype source superoptions`. Paths escape space,
 * tab, newline and backslash as octal (`\040`). Optional fields hold the
 * propagation: `shared:N`, `master:N`, `propagate_from:N`, `unbindable`.
 *
 * @packageDocumentation
 */

/**
 * One mount from mountinfo.
 *
 * @public
 */
export interface MountInfoEntry {
  readonly mountPoint: string;
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
    out.push({ mountPoint: unescape(mp), fsType, shared: f.slice(6, sep).some((o) => o.startsWith("shared:")) });
  }
  return out;
}
