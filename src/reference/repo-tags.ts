/**
 * Repo tags and repo digests, as the CRI `Image` message lists them.
 *
 * `repo_tags` holds `name:tag` strings and `repo_digests` holds
 * `name@digest` strings, both with fully qualified names. The rules follow
 * containerd's CRI plugin: a reference with both tag and digest counts as a
 * digest reference and loses its tag (distribution's `ParseDockerRef`); a
 * bare name gets the tag `latest`; image IDs and references that do not parse
 * are skipped when splitting a list.
 *
 * @packageDocumentation
 */
import { DEFAULT_IMAGE_TAG, isImageIdReference, parseDigest, parseReference, repositoryName } from "./reference.js";
import type { ParsedReference } from "./reference.js";

function toParsed(ref: string | ParsedReference, field: string): ParsedReference {
  return typeof ref === "string" ? parseReference(ref, field) : ref;
}

/**
 * The repo digest `name@digest` for an image pulled by `ref` whose manifest
 * has digest `digest`.
 *
 * @throws CrikitError InvalidArgument for a bad reference or digest.
 *
 * @example
 * ```ts
 * repoDigest("busybox", "sha256:…"); // "docker.io/library/busybox@sha256:…"
 * ```
 *
 * @public
 */
export function repoDigest(ref: string | ParsedReference, digest: string): string {
  return `${repositoryName(toParsed(ref, "image"))}@${parseDigest(digest)}`;
}

/**
 * The repo tag `name:tag` of a reference, or `undefined` when it is pinned by
 * digest. A bare name gets the tag `latest`.
 *
 * @throws CrikitError InvalidArgument for a bad reference.
 *
 * @example
 * ```ts
 * repoTag("busybox");          // "docker.io/library/busybox:latest"
 * repoTag("busybox@sha256:…"); // undefined
 * ```
 *
 * @public
 */
export function repoTag(ref: string | ParsedReference): string | undefined {
  const parsed = toParsed(ref, "image");
  if (parsed.digest !== undefined) return undefined;
  return `${repositoryName(parsed)}:${parsed.tag ?? DEFAULT_IMAGE_TAG}`;
}

/**
 * The result of {@link splitRepoTagsAndDigests}.
 *
 * @public
 */
export interface RepoTagsAndDigests {
  /**
   * Normalized `repository:tag` references, such as `docker.io/library/busybox:1.36` (CRI `Image.repo_tags`).
   */
  readonly repoTags: string[];
  /**
   * Normalized `repository@digest` references, such as `docker.io/library/busybox@sha256:…` (CRI
   * `Image.repo_digests`).
   */
  readonly repoDigests: string[];
}

/**
 * Splits the references an image is known by into CRI `repo_tags` and
 * `repo_digests`, normalized, in first-seen order, without duplicates.
 *
 * @remarks
 * Image IDs (`sha256:…` or 64 hex digits), bare names without tag or digest
 * and references that do not parse are skipped, as containerd does for the
 * names in its image store.
 *
 * @public
 */
export function splitRepoTagsAndDigests(refs: Iterable<string>): RepoTagsAndDigests {
  const repoTags = new Set<string>();
  const repoDigests = new Set<string>();
  for (const ref of refs) {
    if (isImageIdReference(ref)) continue;
    let parsed: ParsedReference;
    try {
      parsed = parseReference(ref);
    } catch {
      continue;
    }
    if (parsed.digest !== undefined) repoDigests.add(`${repositoryName(parsed)}@${parsed.digest}`);
    else if (parsed.tag !== undefined) repoTags.add(`${repositoryName(parsed)}:${parsed.tag}`);
  }
  return { repoTags: [...repoTags], repoDigests: [...repoDigests] };
}
