/**
 * Content digests (`algorithm:hex`) and layer chain IDs.
 *
 * crikit stores and verifies sha256 only; other algorithms are rejected with
 * InvalidArgument when parsed. A chain ID names a stack of layers:
 * `chain(L1) = diffID(L1)` and `chain(L1..Ln) = sha256(chain(L1..Ln-1) + " " + diffID(Ln))`,
 * as the OCI image spec defines it. Snapshots are keyed by chain ID so that
 * images sharing their bottom layers share the unpacked directories.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import { CrikitError } from "../errors.js";

const sha256Re = /^sha256:[a-f0-9]{64}$/;

/**
 * Whether `s` is a well-formed sha256 digest (`sha256:` and 64 lower-case hex digits).
 *
 * @public
 */
export function isSha256Digest(s: string): boolean {
  return sha256Re.test(s);
}

/**
 * The hex part of a sha256 digest; throws InvalidArgument for anything else
 * (so a digest from a registry can never become a path outside the store).
 *
 * @public
 */
export function digestHex(digest: string, field = "digest"): string {
  if (!sha256Re.test(digest)) {
    throw new CrikitError("InvalidArgument", `${field} "${digest.slice(0, 80)}" is not a sha256 digest`, { details: { field } });
  }
  return digest.slice("sha256:".length);
}

/**
 * The sha256 digest of `data`.
 *
 * @public
 */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/**
 * The chain IDs of a stack of layers given by their diff IDs, bottom first:
 * element `i` names layers `0..i`.
 *
 * @public
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let prev: string | undefined;
  for (const d of diffIds) {
    digestHex(d, "rootfs.diff_ids");
    prev = prev === undefined ? d : sha256Digest(`${prev} ${d}`);
    out.push(prev);
  }
  return out;
}
