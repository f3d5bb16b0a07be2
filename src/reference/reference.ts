/**
 * Image references: parsing, validation and normalization.
 *
 * Grammar (distribution/reference, the package containerd and CRI-O use):
 *
 * ```
 * reference        := name [ ":" tag ] [ "@" digest ]
 * name             := [domain "/"] path
 * domain           := host [":" port-number]
 * host             := domain-name | "[" IPv6address "]"
 * domain-name      := domain-component ("." domain-component)*
 * domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 * port-number      := /[0-9]+/
 * path             := path-component ("/" path-component)*
 * path-component   := /[a-z0-9]+/ (separator /[a-z0-9]+/)*
 * separator        := /[_.]|__|[-]+/
 * tag              := /[\w][\w.-]{0,127}/
 * digest           := algorithm ":" hex
 * algorithm        := /[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*\/
 * hex              := /[0-9a-fA-F]{32,}/
 * ```
 *
 * Normalization follows distribution's `ParseNormalizedNamed`: the first path
 * element is a domain only when it is `localhost`, contains "." or ":", or has
 * an uppercase letter; otherwise the domain is `docker.io`. The legacy
 * Docker Hub domain `index.docker.io` becomes `docker.io`. On `docker.io` a
 * single-element path gets the `library/` prefix. So {@link parseReference}
 * always returns a fully qualified name; {@link normalizeReference} also adds
 * the tag `latest` when the reference has neither tag nor digest.
 *
 * Choices where implementations differ:
 * - Name length: the 255-character limit applies to the whole name
 *   (domain, "/" and path), as the OCI distribution spec describes clients
 *   doing and as docker/distribution did; distribution/reference v0.6 checks
 *   the path only. The stricter rule rejects nothing a registry accepts in
 *   practice and keeps names safe to use as file names.
 * - Digests: like go-digest, only the registered algorithms are accepted:
 *   sha256 (64 hex), sha384 (96) and sha512 (128), in lowercase hex. Other
 *   algorithms that fit the grammar are rejected as unsupported.
 * - A bare 64-hex string is an image ID, not a name, and is rejected, as
 *   `ParseNormalizedNamed` does.
 *
 * @packageDocumentation
 */
import { invalidArgument } from "../errors.js";

/**
 * A parsed, normalized image reference.
 *
 * @public
 */
export interface ParsedReference {
  /** The registry host, with port if any, such as `docker.io` or `[::1]:5000`. */
  readonly domain: string;
  /** The repository path, such as `library/busybox`. */
  readonly path: string;
  /** The tag, when the reference has one. */
  readonly tag?: string;
  /** The digest (`algorithm:hex`), when the reference has one. */
  readonly digest?: string;
}

/** The default registry domain (Docker Hub). @public */
export const DEFAULT_REGISTRY_DOMAIN = "docker.io";
/** The tag added to a reference that has neither tag nor digest. @public */
export const DEFAULT_IMAGE_TAG = "latest";
/** The longest allowed name (domain, "/" and path). @public */
export const MAX_REFERENCE_NAME_LENGTH = 255;

const LEGACY_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const pathRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainRe = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const tagRe = /^\w[\w.-]{0,127}$/;
const digestRe = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})$/;
const identifierRe = /^[a-f0-9]{64}$/;
const digestHexLength: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function bad(field: string, ref: string, problem: string): never {
  throw invalidArgument(`invalid image reference "${ref}": ${problem}`, field);
}

/** Why `digest` is not a supported digest, or undefined when it is one. */
function digestProblem(digest: string): string | undefined {
  const m = digestRe.exec(digest);
  if (m === null) return "expected <algorithm>:<hex> with at least 32 hex digits";
  const algorithm = m[1] ?? "";
  const hex = m[2] ?? "";
  const want = digestHexLength[algorithm];
  if (want === undefined) return `unsupported algorithm "${algorithm}" (supported: sha256, sha384, sha512)`;
  if (hex.length !== want || !/^[a-f0-9]+$/.test(hex)) return `${algorithm} needs ${want} lowercase hex digits`;
  return undefined;
}

/**
 * Validates a digest string (`algorithm:hex`) and returns it.
 *
 * @throws CrikitError InvalidArgument when the digest is malformed, uses an
 * unsupported algorithm or has the wrong length or case.
 *
 * @public
 */
export function parseDigest(digest: string, field = "digest"): string {
  const problem = digestProblem(digest);
  if (problem !== undefined) throw invalidArgument(`invalid digest "${digest}": ${problem}`, field);
  return digest;
}

/**
 * Parses and normalizes an image reference.
 *
 * @remarks
 * The result always has a domain and a full path (`busybox` gives domain
 * `docker.io` and path `library/busybox`). No tag is added; see
 * {@link normalizeReference}.
 *
 * @param field - The request field named in errors.
 * @throws CrikitError InvalidArgument naming the problem: empty reference,
 * an image ID given as a name, uppercase in the path, a bad domain, path,
 * tag or digest, or a name longer than 255 characters.
 *
 * @example
 * ```ts
 * parseReference("localhost:5000/foo:1.0");
 * // { domain: "localhost:5000", path: "foo", tag: "1.0" }
 * ```
 *
 * @public
 */
export function parseReference(ref: string, field = "image"): ParsedReference {
  if (ref === "") throw invalidArgument("image reference must not be empty", field);
  if (identifierRe.test(ref)) {
    bad(field, ref, "a 64-character hex string is an image ID, not a repository name");
  }
  const at = ref.indexOf("@");
  let rest = ref;
  let digest: string | undefined;
  if (at !== -1) {
    rest = ref.slice(0, at);
    const d = ref.slice(at + 1);
    if (d.includes("@")) bad(field, ref, 'more than one "@"');
    const problem = digestProblem(d);
    if (problem !== undefined) bad(field, ref, `digest "${d}": ${problem}`);
    digest = d;
  }
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  let name = rest;
  let tag: string | undefined;
  if (colon !== -1) {
    name = rest.slice(0, colon);
    tag = rest.slice(colon + 1);
    if (!tagRe.test(tag)) {
      bad(field, ref, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    }
  }
  if (name === "") bad(field, ref, "repository name is empty");

  let domain: string;
  let path: string;
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  if (
    slash !== -1 &&
    (first === "localhost" || first === LEGACY_DOMAIN || /[.:]/.test(first) || first.toLowerCase() !== first)
  ) {
    domain = first === LEGACY_DOMAIN ? DEFAULT_REGISTRY_DOMAIN : first;
    path = name.slice(slash + 1);
    if (!domainRe.test(first)) bad(field, ref, `registry domain "${first}" is not a valid host[:port]`);
  } else {
    domain = DEFAULT_REGISTRY_DOMAIN;
    path = name;
  }
  if (domain === DEFAULT_REGISTRY_DOMAIN && !path.includes("/")) path = OFFICIAL_PREFIX + path;

  if (!pathRe.test(path)) {
    if (path.toLowerCase() !== path && pathRe.test(path.toLowerCase())) {
      bad(field, ref, `repository name "${path}" must be lowercase`);
    }
    bad(
      field,
      ref,
      `repository name "${path}" must be lowercase letters and digits in "/"-separated components, ` +
        'joined inside a component by ".", "_", "__" or dashes',
    );
  }
  const fullLength = domain.length + 1 + path.length;
  if (fullLength > MAX_REFERENCE_NAME_LENGTH) {
    bad(field, ref, `name is ${fullLength} characters, more than ${MAX_REFERENCE_NAME_LENGTH}`);
  }
  return {
    domain,
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

/**
 * The repository name of a reference: `domain/path`.
 *
 * @public
 */
export function repositoryName(ref: ParsedReference): string {
  return `${ref.domain}/${ref.path}`;
}

/**
 * The string form of a parsed reference: `domain/path[:tag][@digest]`.
 *
 * @public
 */
export function formatReference(ref: ParsedReference): string {
  return (
    repositoryName(ref) + (ref.tag === undefined ? "" : `:${ref.tag}`) + (ref.digest === undefined ? "" : `@${ref.digest}`)
  );
}

/**
 * The fully qualified form of a reference, with the tag `latest` added when it
 * has neither tag nor digest.
 *
 * @example
 * ```ts
 * normalizeReference("busybox"); // "docker.io/library/busybox:latest"
 * normalizeReference("quay.io/a/b@sha256:…"); // unchanged, no tag added
 * ```
 *
 * @throws CrikitError InvalidArgument as {@link parseReference}.
 * @public
 */
export function normalizeReference(ref: string, field = "image"): string {
  const parsed = parseReference(ref, field);
  if (parsed.tag === undefined && parsed.digest === undefined) {
    return formatReference({ ...parsed, tag: DEFAULT_IMAGE_TAG });
  }
  return formatReference(parsed);
}

/**
 * The short form users type: `docker.io/` and, for single-element official
 * images, `library/` removed. Tag and digest are kept. `docker.io/` stays
 * when the path's first element would read as a domain (`docker.io/a.b/c`),
 * so the result always parses back to the same reference.
 *
 * @example
 * ```ts
 * familiarName("docker.io/library/busybox:latest"); // "busybox:latest"
 * familiarName("docker.io/bitnami/redis");          // "bitnami/redis"
 * ```
 *
 * @public
 */
export function familiarName(ref: string | ParsedReference): string {
  const parsed = typeof ref === "string" ? parseReference(ref) : ref;
  let name = repositoryName(parsed);
  const firstPart = parsed.path.split("/", 1)[0] ?? "";
  // A first path element that reads as a domain ("0.0/a") must keep docker.io,
  // or the familiar name would parse back to another registry. distribution's
  // FamiliarName drops it anyway; here the result always parses back.
  const looksLikeDomain = firstPart === "localhost" || /[.:]/.test(firstPart);
  if (parsed.domain === DEFAULT_REGISTRY_DOMAIN && !looksLikeDomain) {
    name = parsed.path;
    if (name.startsWith(OFFICIAL_PREFIX) && !name.slice(OFFICIAL_PREFIX.length).includes("/")) {
      name = name.slice(OFFICIAL_PREFIX.length);
    }
  }
  return name + (parsed.tag === undefined ? "" : `:${parsed.tag}`) + (parsed.digest === undefined ? "" : `@${parsed.digest}`);
}

/**
 * Whether `s` is a valid digest (registered algorithm) or a bare 64-hex image
 * ID rather than a name, the way distribution's `ParseAnyReference` tells
 * them apart: `sha256x:<hex>` is a name with a tag.
 *
 * @public
 */
export function isImageIdReference(s: string): boolean {
  return identifierRe.test(s) || digestProblem(s) === undefined;
}
