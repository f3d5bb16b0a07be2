/**
 * A small image reference parser for the pull path: `[registry/]repo[:tag][@digest]`,
 * normalised the Docker way (`busybox` is `docker.io/library/busybox:latest`).
 *
 * crikit's general reference helpers live in `src/reference`; this internal
 * copy keeps the image module usable on its own and will defer to it.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";

/**
 * A parsed, normalised image reference.
 *
 * @public
 */
export interface ImageReference {
  /** Registry host (and port), for instance `docker.io` or `127.0.0.1:5000`. */
  registry: string;
  /** Repository path, for instance `library/busybox`. */
  repository: string;
  /** Tag, if any (`latest` when neither a tag nor a digest is given). */
  tag?: string;
  /** Digest, if any. */
  digest?: string;
}

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/**
 * Parses and normalises an image reference; InvalidArgument if malformed.
 *
 * @public
 */
export function parseImageReference(ref: string, field = "image"): ImageReference {
  const bad = (why: string): CrikitError =>
    new CrikitError("InvalidArgument", `${field} "${ref}" is not a valid image reference: ${why}`, { details: { field } });
  if (ref === "" || ref.length > 4096) throw bad("empty or too long");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw bad("malformed digest");
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw bad("malformed tag");
  }
  let registry = "docker.io";
  const first = rest.split("/")[0] ?? "";
  if (rest.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    rest = rest.slice(first.length + 1);
  }
  if (!/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/.test(registry)) throw bad("malformed registry host");
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = "docker.io";
  if (registry === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
  if (rest === "" || !rest.split("/").every((c) => pathComponent.test(c))) throw bad("malformed repository name");
  const out: ImageReference = { registry, repository: rest };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  if (tag === undefined && digest === undefined) out.tag = "latest";
  return out;
}

/**
 * `registry/repository`, the name part of a normalised reference.
 *
 * @public
 */
export function referenceName(r: ImageReference): string {
  return `${r.registry}/${r.repository}`;
}

/**
 * The normalised string form: `registry/repository[:tag][@digest]`.
 *
 * @public
 */
export function formatImageReference(r: ImageReference): string {
  return `${referenceName(r)}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;
}
