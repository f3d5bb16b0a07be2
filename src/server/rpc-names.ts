/**
 * The RPC names of the CRI services, from the generated service
 * descriptors (never a hand-written list).
 *
 * @packageDocumentation
 */
import { ImageService, RuntimeService } from "../cri.js";

/** The method names (`localName`) of `runtime.v1.RuntimeService`. */
export const RUNTIME_RPCS: readonly string[] = Object.freeze(RuntimeService.methods.map((m) => m.localName));

/** The method names (`localName`) of `runtime.v1.ImageService`. */
export const IMAGE_RPCS: readonly string[] = Object.freeze(ImageService.methods.map((m) => m.localName));

/** `names` bound to `target`: each method it has, by name. */
export function bindMethods(target: object, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const fn = (target as Record<string, unknown>)[n];
    if (typeof fn === "function") out[n] = fn.bind(target);
  }
  return out;
}
