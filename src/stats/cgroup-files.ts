/**
 * Parsers of cgroup interface files and of `/proc/<pid>/cgroup` (pure: text
 * in, values out).
 *
 * ## Formats
 *
 * ```
 * single value     "123456\n"                      cpuacct.usage, memory.current, pids.current
 * limit (v2)       "max\n" | "268435456\n"         memory.max, memory.swap.max
 * limit (v1)       "9223372036854771712\n"         memory.limit_in_bytes: page-rounded LLONG_MAX is "no limit"
 * flat keyed       "key value\n" per line          memory.stat, cpu.stat
 * /proc/PID/cgroup "ID:CONTROLLERS:PATH\n" per line; v2 is "0::PATH", a named v1 hierarchy "N:name=systemd:PATH"
 * ```
 *
 * @packageDocumentation
 */

/**
 * A v1 limit at or above this is "no limit": the kernel reports LLONG_MAX
 * rounded down to the page size (9223372036854771712 with 4 KiB pages), and
 * no real limit comes near 2^62 bytes.
 *
 * @public
 */
export const CGROUP_V1_UNLIMITED_FLOOR = 1n << 62n;

/**
 * One unsigned integer file (`cpuacct.usage`, `memory.current`,
 * `pids.current`). Undefined for an absent file, an empty one, `max`, or
 * text that is not a number.
 *
 * @public
 */
export function parseCgroupValue(text: string | undefined): bigint | undefined {
  const t = text?.trim() ?? "";
  if (!/^\d+$/.test(t)) return undefined;
  return BigInt(t);
}

/**
 * A limit file: undefined means "no limit" (v2 `max`, a v1 value at or
 * above {@link CGROUP_V1_UNLIMITED_FLOOR}, or an absent file).
 *
 * @public
 */
export function parseCgroupLimit(text: string | undefined): bigint | undefined {
  const v = parseCgroupValue(text);
  if (v === undefined || v >= CGROUP_V1_UNLIMITED_FLOOR) return undefined;
  return v;
}

/**
 * A flat keyed file (`memory.stat`, `cpu.stat`): one `key value` pair per
 * line. Lines that do not end in an unsigned integer are skipped.
 *
 * @public
 */
export function parseKeyedValues(text: string | undefined): Map<string, bigint> {
  const out = new Map<string, bigint>();
  if (text === undefined) return out;
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    const value = line.slice(sp + 1).trim();
    if (/^\d+$/.test(value)) out.set(line.slice(0, sp), BigInt(value));
  }
  return out;
}

/**
 * One value of a flat keyed file without parsing the rest: a list call
 * needs 4 to 7 of the 40-odd `memory.stat` lines. Undefined when the key
 * is absent or its value is not an unsigned integer.
 *
 * @public
 */
export function keyedValue(text: string | undefined, key: string): bigint | undefined {
  if (text === undefined) return undefined;
  let at = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `);
  if (at < 0) return undefined;
  if (at > 0) at += 1;
  const start = at + key.length + 1;
  let end = text.indexOf("\n", start);
  if (end < 0) end = text.length;
  const v = text.slice(start, end).trim();
  return /^\d+$/.test(v) ? BigInt(v) : undefined;
}

/**
 * One line of `/proc/<pid>/cgroup`.
 *
 * @public
 */
export interface ProcCgroupEntry {
  /** The hierarchy ID; 0 for the v2 unified hierarchy. */
  hierarchy: number;
  /** The v1 controllers of the hierarchy (`["cpu","cpuacct"]`, `["name=systemd"]`); empty for v2. */
  controllers: string[];
  /** The cgroup path inside the hierarchy, as seen from the reader's cgroup namespace. */
  path: string;
}

/**
 * Parses `/proc/<pid>/cgroup`.
 *
 * @public
 */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const a = line.indexOf(":");
    const b = line.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const hierarchy = Number(line.slice(0, a));
    if (!Number.isInteger(hierarchy)) continue;
    const ctl = line.slice(a + 1, b);
    out.push({ hierarchy, controllers: ctl === "" ? [] : ctl.split(","), path: line.slice(b + 1) });
  }
  return out;
}
