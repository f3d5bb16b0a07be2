/**
 * Platform selection from an image index.
 *
 * A manifest matches when its `os` and `architecture` equal the wanted ones
 * and, if a variant is wanted, its variant equals it (a missing variant
 * matches `v8` on arm64, as registries often omit it). Among matches the first
 * in the index wins, which is the order registries publish.
 *
 * @packageDocumentation
 */
import type { Descriptor, Platform } from "./media-types.js";

/**
 * The platform of this process, in OCI terms.
 *
 * @public
 */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64", loong64: "loong64" };
  const p: Platform = { os: process.platform === "win32" ? "windows" : process.platform, architecture: arch[process.arch] ?? process.arch };
  if (process.arch === "arm64") p.variant = "v8";
  if (process.arch === "arm") p.variant = `v${String((process.config.variables as { arm_version?: string }).arm_version ?? "7")}`;
  return p;
}

/**
 * Whether a descriptor's platform satisfies `want`.
 *
 * @public
 */
export function platformMatches(have: Platform | undefined, want: Platform): boolean {
  if (have === undefined) return false;
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  if (want.variant === undefined || want.variant === "") return true;
  const hv = have.variant ?? (have.architecture === "arm64" ? "v8" : undefined);
  return hv === want.variant;
}

/**
 * The first manifest of an index matching `want`, or undefined.
 *
 * @public
 */
export function selectPlatform(manifests: readonly Descriptor[], want: Platform): Descriptor | undefined {
  return manifests.find((m) => platformMatches(m.platform, want));
}
