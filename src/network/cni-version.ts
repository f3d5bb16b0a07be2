/**
 * CNI spec versions crikit speaks, and which verbs each one has.
 *
 * Verbs by version (CNI spec): ADD, DEL and VERSION everywhere; CHECK from
 * 0.4.0; STATUS and GC from 1.1.0. Results changed shape at 0.3.0 (ips with
 * `version`) and at 1.0.0 (`version` dropped); 1.1.0 added fields to
 * interfaces and routes. Versions before 0.3.0 are not supported.
 *
 * @packageDocumentation
 */

/**
 * The CNI spec versions crikit can drive, oldest first.
 *
 * @public
 */
export const supportedCniVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;

/**
 * A CNI spec version crikit can drive.
 *
 * @public
 */
export type CniVersion = (typeof supportedCniVersions)[number];

/**
 * A CNI verb (the `CNI_COMMAND` value).
 *
 * @public
 */
export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION" | "STATUS" | "GC";

/**
 * Whether `v` is one of {@link supportedCniVersions}.
 *
 * @public
 */
export function isSupportedCniVersion(v: unknown): v is CniVersion {
  return typeof v === "string" && (supportedCniVersions as readonly string[]).includes(v);
}

/**
 * Compares two dotted versions numerically: negative, zero or positive.
 *
 * @public
 */
export function compareCniVersions(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const firstVersionOf: Readonly<Record<CniCommand, string>> = {
  ADD: "0.1.0",
  DEL: "0.1.0",
  VERSION: "0.1.0",
  CHECK: "0.4.0",
  STATUS: "1.1.0",
  GC: "1.1.0",
};

/**
 * Whether a configuration of the given cniVersion may be sent `command`
 * (CHECK needs 0.4.0; STATUS and GC need 1.1.0).
 *
 * @public
 */
export function cniVersionHas(version: string, command: CniCommand): boolean {
  return compareCniVersions(version, firstVersionOf[command]) >= 0;
}
