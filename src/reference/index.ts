/**
 * Pure image-reference helpers: distribution grammar parsing and
 * normalization, repo tags and digests, and the image config's user.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_REGISTRY_DOMAIN,
  DEFAULT_IMAGE_TAG,
  MAX_REFERENCE_NAME_LENGTH,
  familiarName,
  formatReference,
  isImageIdReference,
  normalizeReference,
  parseDigest,
  parseReference,
  repositoryName,
} from "./reference.js";
export type { ParsedReference } from "./reference.js";
export { repoDigest, repoTag, splitRepoTagsAndDigests } from "./repo-tags.js";
export type { RepoTagsAndDigests } from "./repo-tags.js";
export { parseImageUser } from "./image-user.js";
export type { ImageGroupPart, ImageUser, ImageUserPart } from "./image-user.js";
