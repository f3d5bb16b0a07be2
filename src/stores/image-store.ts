/**
 * The image store: the images the runtime has, keyed by image ID, with the
 * index from repo tags and repo digests to IDs (containerd's
 * `internal/cri/store/image`, docker's reference store).
 *
 * The rules are in the TSDoc of {@link ImageStore}.
 *
 * @packageDocumentation
 */
import { CrikitError, invalidArgument, notFound } from "../errors.js";
import { deepFreeze } from "./deep-freeze.js";
import { TruncIndex } from "./trunc-index.js";

/**
 * A stored image.
 *
 * @public
 */
export interface ImageStoreRecord<Config = unknown> {
  /** The image ID: `sha256:` and the config digest's 64 hex digits. */
  readonly id: string;
  /** Repo tags, for instance `docker.io/library/busybox:1.36`, in the order given. */
  readonly repoTags: readonly string[];
  /** Repo digests, for instance `docker.io/library/busybox@sha256:...`, in the order given. */
  readonly repoDigests: readonly string[];
  /** Size in bytes (uncompressed or on disk; the caller decides and keeps to it). */
  readonly size: bigint;
  /** The image config, opaque to the store. */
  readonly config: Readonly<Config>;
  /** Pinned images (for instance the pause image) are kept by image garbage collection. */
  readonly pinned: boolean;
}

/**
 * An image to add; missing lists are empty and `pinned` is false.
 *
 * @public
 */
export interface NewImage<Config = unknown> {
  /** The image ID: `sha256:` and the config digest's 64 lowercase hex digits (CRI `Image.id`). */
  id: string;
  /** Normalized repo tags (no `@`); each is taken away from any image that held it. @defaultValue [] */
  repoTags?: readonly string[];
  /**
   * Normalized repo digests (`repository@sha256:…`); each is taken away from any image that held it.
   * @defaultValue []
   */
  repoDigests?: readonly string[];
  /** Size in bytes, as CRI `Image.size` reports it. */
  size: bigint;
  /** The image config, stored as given and returned frozen. */
  config: Config;
  /**
   * Keep the image from image garbage collection (CRI `Image.pinned`), as for the pause image.
   * @defaultValue false
   */
  pinned?: boolean;
}

/**
 * References to give to an image.
 *
 * @public
 */
export interface ImageReferences {
  /**
   * Normalized repo tags to add (no `@`); each is taken away from any image that held it.
   * @defaultValue []
   */
  repoTags?: readonly string[];
  /** Normalized repo digests to add; each is taken away from any image that held it. @defaultValue [] */
  repoDigests?: readonly string[];
}

const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;
const PREFIX = "sha256:";

function checkRefs(list: readonly string[] | undefined, field: "repoTags" | "repoDigests"): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalidArgument(`image ${field} must be an array of strings`, field);
  const out: string[] = [];
  for (const ref of list) {
    if (typeof ref !== "string" || ref === "" || /\s/.test(ref)) {
      throw invalidArgument(`image ${field} entry ${JSON.stringify(ref)} is empty or contains whitespace`, field);
    }
    const isDigest = ref.includes("@");
    if (field === "repoTags" && isDigest) throw invalidArgument(`image repo tag ${JSON.stringify(ref)} contains "@"; put it in repoDigests`, field);
    if (field === "repoDigests" && !isDigest) {
      throw invalidArgument(`image repo digest ${JSON.stringify(ref)} has no "@<digest>"; put it in repoTags`, field);
    }
    if (!out.includes(ref)) out.push(ref);
  }
  return out;
}

/**
 * Images by ID, with their repo tags and repo digests kept consistent.
 *
 * ## Identity and references
 *
 * - An image's ID is the digest of its config blob, `sha256:<64 hex>` (CRI
 *   `Image.id`). Other digest algorithms are refused with `InvalidArgument`;
 *   registries and CRI runtimes use sha256 for image IDs.
 * - `repoTags` (`docker.io/library/busybox:1.36`) and `repoDigests`
 *   (`docker.io/library/busybox@sha256:...`) are references to the image.
 *   They arrive already normalized (that is the reference module's job); this
 *   store only tells them apart by the `@` that every repo digest has and no
 *   tag has.
 * - A reference belongs to at most one image. Giving a reference to an image
 *   (by {@link ImageStore.add} or {@link ImageStore.addReferences}) takes it
 *   away from the image that held it, as containerd and docker do when a
 *   tag is pulled again and now points at a new image.
 * - An image that loses its last reference stays in the store, with empty
 *   `repoTags` and `repoDigests` (docker's "dangling" image). containerd's
 *   CRI store forgets such an image, though its content stays on disk until
 *   containerd's garbage collector runs; keeping it listed lets the kubelet's
 *   image garbage collection see it and remove it by ID.
 *
 * ## Resolution
 *
 * {@link ImageStore.resolve} takes, in this order: a full image ID; a repo
 * tag or repo digest; a unique prefix of the ID's hex digits, with or
 * without `sha256:` (as `crictl rmi 3f2a` expects). An ambiguous prefix
 * throws `InvalidArgument` (`details.reason` `"AmbiguousPrefix"`); nothing
 * matching throws `NotFound`.
 *
 * Records are deep-frozen snapshots: every change stores a new record.
 * Sizes are `bigint` bytes, as CRI `Image.size` (uint64) is typed in
 * protobuf-es.
 *
 * @example
 * ```ts
 * const images = new ImageStore<OciImageConfig>();
 * images.add({ id, repoTags: ["docker.io/library/busybox:1.36"], size: 2_000_000n, config });
 * images.get("docker.io/library/busybox:1.36").id === id; // true
 * images.get(id.slice(7, 19)).id === id;                  // true (ID prefix)
 * ```
 * @public
 */
export class ImageStore<Config = unknown> {
  readonly #images = new Map<string, ImageStoreRecord<Config>>();
  readonly #refs = new Map<string, string>();
  readonly #index = new TruncIndex({ noun: "image" });

  /** The number of images held. */
  get size(): number {
    return this.#images.size;
  }

  /**
   * Adds an image, taking its references away from any image that held
   * them. The objects passed in are frozen in place, not copied.
   *
   * @returns the stored record.
   * @throws `InvalidArgument` for an ID that is not `sha256:<64 hex>` or a
   *   malformed reference; `AlreadyExists` if the ID is held already (use
   *   {@link ImageStore.addReferences} to tag it again).
   */
  add(image: NewImage<Config>): ImageStoreRecord<Config> {
    if (typeof image.id !== "string" || !IMAGE_ID.test(image.id)) {
      throw invalidArgument(`image id ${JSON.stringify(image.id)} is not sha256:<64 lowercase hex digits>`, "id");
    }
    if (this.#images.has(image.id)) {
      throw new CrikitError("AlreadyExists", `image ${JSON.stringify(image.id)} already exists`, { details: { id: image.id } });
    }
    if (typeof image.size !== "bigint" || image.size < 0n) throw invalidArgument("image size must be a non-negative bigint of bytes", "size");
    const repoTags = checkRefs(image.repoTags, "repoTags");
    const repoDigests = checkRefs(image.repoDigests, "repoDigests");
    for (const ref of [...repoTags, ...repoDigests]) this.#takeAway(ref, image.id);
    const record = deepFreeze<ImageStoreRecord<Config>>({
      id: image.id,
      repoTags,
      repoDigests,
      size: image.size,
      config: image.config,
      pinned: image.pinned ?? false,
    });
    this.#images.set(record.id, record);
    this.#index.add(record.id.slice(PREFIX.length));
    for (const ref of [...repoTags, ...repoDigests]) this.#refs.set(ref, record.id);
    return record;
  }

  /**
   * Gives more references to the image `ref` resolves to, taking them away
   * from any image that held them. References it has already are kept in
   * place.
   *
   * @returns the updated record.
   * @throws as {@link ImageStore.resolve}; `InvalidArgument` for a malformed
   *   reference.
   */
  addReferences(ref: string, refs: ImageReferences): ImageStoreRecord<Config> {
    const id = this.resolve(ref);
    const repoTags = checkRefs(refs.repoTags, "repoTags");
    const repoDigests = checkRefs(refs.repoDigests, "repoDigests");
    for (const r of [...repoTags, ...repoDigests]) this.#takeAway(r, id);
    const cur = this.#images.get(id) as ImageStoreRecord<Config>;
    const merge = (have: readonly string[], add: string[]) => [...have, ...add.filter((r) => !have.includes(r))];
    const next = this.#replace({ ...cur, repoTags: merge(cur.repoTags, repoTags), repoDigests: merge(cur.repoDigests, repoDigests) });
    for (const r of [...repoTags, ...repoDigests]) this.#refs.set(r, id);
    return next;
  }

  /**
   * Removes one repo tag or repo digest from the image that holds it. The
   * image stays, even with no references left.
   *
   * @returns the image's record after the change.
   * @throws `NotFound` if no image holds `ref` as a tag or digest.
   */
  untag(ref: string): ImageStoreRecord<Config> {
    const id = this.#refs.get(ref);
    if (id === undefined) throw notFound(`image reference ${JSON.stringify(ref)} not found`);
    this.#takeAway(ref, undefined);
    return this.#images.get(id) as ImageStoreRecord<Config>;
  }

  /**
   * Removes the image `idOrRef` resolves to, with all its references.
   * Idempotent: nothing matching is not an error.
   *
   * @returns the removed record, or `undefined` if nothing matched.
   * @throws `InvalidArgument` for an empty or ambiguous reference.
   */
  remove(idOrRef: string): ImageStoreRecord<Config> | undefined {
    const record = this.find(idOrRef);
    if (record === undefined) return undefined;
    this.#images.delete(record.id);
    this.#index.delete(record.id.slice(PREFIX.length));
    for (const ref of [...record.repoTags, ...record.repoDigests]) this.#refs.delete(ref);
    return record;
  }

  /**
   * Sets the pinned flag of the image `ref` resolves to.
   *
   * @returns the updated record.
   * @throws as {@link ImageStore.resolve}.
   */
  setPinned(ref: string, pinned: boolean): ImageStoreRecord<Config> {
    const cur = this.#images.get(this.resolve(ref)) as ImageStoreRecord<Config>;
    return cur.pinned === pinned ? cur : this.#replace({ ...cur, pinned });
  }

  /**
   * The ID of the image `ref` names: a full ID, a repo tag or repo digest,
   * or a unique ID prefix (with or without `sha256:`), in that order.
   *
   * @throws `InvalidArgument` if `ref` is empty or an ambiguous prefix;
   *   `NotFound` if nothing matches.
   */
  resolve(ref: string): string {
    if (typeof ref !== "string" || ref === "") throw invalidArgument("image reference is empty", "image");
    if (this.#images.has(ref)) return ref;
    const byRef = this.#refs.get(ref);
    if (byRef !== undefined) return byRef;
    const hex = ref.startsWith(PREFIX) ? ref.slice(PREFIX.length) : ref;
    if (hex === "") throw invalidArgument(`image ID prefix ${JSON.stringify(ref)} has no digits`, "image");
    try {
      return PREFIX + this.#index.get(hex);
    } catch (err) {
      if (err instanceof CrikitError && err.code === "NotFound") {
        throw new CrikitError("NotFound", `image ${JSON.stringify(ref)} not found`, { details: { image: ref } });
      }
      throw err;
    }
  }

  /**
   * The image `ref` names; see {@link ImageStore.resolve}.
   *
   * @throws as {@link ImageStore.resolve}.
   */
  get(ref: string): ImageStoreRecord<Config> {
    return this.#images.get(this.resolve(ref)) as ImageStoreRecord<Config>;
  }

  /** Like {@link ImageStore.get}, but `undefined` where `get` throws `NotFound`. */
  find(ref: string): ImageStoreRecord<Config> | undefined {
    try {
      return this.get(ref);
    } catch (err) {
      if (err instanceof CrikitError && err.code === "NotFound") return undefined;
      throw err;
    }
  }

  /** Every image, in the order added. */
  list(): Array<ImageStoreRecord<Config>> {
    return [...this.#images.values()];
  }

  /** Takes `ref` away from the image holding it, unless that is `keep`. */
  #takeAway(ref: string, keep: string | undefined): void {
    const holder = this.#refs.get(ref);
    if (holder === undefined || holder === keep) return;
    const cur = this.#images.get(holder) as ImageStoreRecord<Config>;
    this.#refs.delete(ref);
    this.#replace({ ...cur, repoTags: cur.repoTags.filter((r) => r !== ref), repoDigests: cur.repoDigests.filter((r) => r !== ref) });
  }

  #replace(next: ImageStoreRecord<Config>): ImageStoreRecord<Config> {
    const record = deepFreeze(next);
    this.#images.set(record.id, record);
    return record;
  }
}
