/**
 * Unique-prefix lookup of object IDs, as docker's `truncindex` (which
 * containerd's CRI stores and CRI-O's container server both use): `crictl
 * stop 3f2a` finds the container whose ID starts with `3f2a`, as long as only
 * one does.
 *
 * The rules are in the TSDoc of {@link TruncIndex}.
 *
 * @packageDocumentation
 */
import { CrikitError, alreadyExists, invalidArgument } from "../errors.js";

/** The longest ID accepted, in hex digits. */
const MAX_ID_LENGTH = 128;
const HEX = /^[0-9a-f]+$/;

/**
 * A trie node. A leaf (`children` undefined) holds exactly one ID in `id`.
 * An inner node holds `children` indexed by hex digit and, in `id`, the ID
 * that ends exactly at this depth if there is one. `size` counts the IDs in
 * the subtree.
 */
interface Node {
  size: number;
  id: string | undefined;
  children: Array<Node | undefined> | undefined;
}

/** The value of the lowercase hex digit at `s[i]`, or -1 if it is not one. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48; // "0".."9"
  if (c >= 97 && c <= 102) return c - 87; // "a".."f"
  return -1;
}

function leaf(id: string): Node {
  return { size: 1, id, children: undefined };
}

/** The only ID in a subtree of size 1. */
function onlyId(node: Node): string {
  for (let n: Node | undefined = node; n !== undefined; ) {
    if (n.children === undefined || n.id !== undefined) return n.id as string;
    const children: Array<Node | undefined> = n.children;
    n = undefined;
    for (let d = 0; d < 16 && n === undefined; d++) n = children[d];
  }
  throw new Error("truncindex: empty subtree"); // unreachable while the sizes are right
}

/**
 * Options of {@link TruncIndex}.
 *
 * @public
 */
export interface TruncIndexOptions {
  /**
   * What the IDs identify, used in error messages (`container "3f" not found`).
   * @defaultValue `"object"`
   */
  noun?: string;
}

/**
 * Whether `err` is the error {@link TruncIndex.get} throws for a prefix that
 * matches more than one ID.
 *
 * @public
 */
export function isAmbiguousPrefixError(err: unknown): err is CrikitError {
  return err instanceof CrikitError && err.code === "InvalidArgument" && err.details["reason"] === "AmbiguousPrefix";
}

/**
 * An index of lowercase-hex IDs that resolves unique prefixes to full IDs.
 * Rules and costs:
 *
 * ## Rules
 *
 * - IDs are 1 to 128 lowercase hex digits (object IDs are 64; 128 leaves
 *   room for sha512 digests). Anything else is refused with
 *   `InvalidArgument` on {@link TruncIndex.add}: every ID crikit makes is
 *   hex, and refusing the rest lets the index be a 16-way trie and stops
 *   path separators or spaces from reaching an ID.
 * - A prefix that matches exactly one ID resolves to it. A prefix that equals
 *   a stored ID resolves to that ID even if longer IDs start with it, so a
 *   full ID always resolves (with fixed-length IDs this never comes up).
 * - A prefix that matches two or more IDs throws `InvalidArgument` with
 *   `details.reason` `"AmbiguousPrefix"` (see {@link isAmbiguousPrefixError}).
 *   docker has its own `ErrAmbiguousPrefix`; containerd's stores pass that
 *   error through unclassified, so it reaches the client as `Unknown`, and
 *   CRI-O wraps it the same way. We classify it: the request named no single
 *   object and the client can fix that with a longer prefix, which is what
 *   `InvalidArgument` means in gRPC.
 * - A prefix that matches nothing, including one with non-hex characters
 *   (no ID can start with it), throws `NotFound`. An empty prefix throws
 *   `InvalidArgument`.
 *
 * ## Structure and cost
 *
 * A 16-way trie over the hex digits whose single-ID subtrees are collapsed
 * into leaves (a "burst" trie): a leaf holds one ID and is split only when a
 * second ID shares its path, and a node that drops back to one ID becomes a
 * leaf again. Every node counts the IDs below it, so uniqueness is known as
 * soon as the prefix is consumed. `add`, `delete` and `get` cost O(L) for an
 * ID or prefix of L digits and do not depend on the number of IDs n; with
 * random IDs the trie is about log16(n) levels deep (4 at 10,000 IDs).
 * A sorted array with binary search would also give O(log n) lookups, but
 * every insert and delete moves O(n) elements; a hash map gives O(1) exact
 * lookups but a prefix lookup must scan all n IDs.
 *
 * @example
 * ```ts
 * const index = new TruncIndex({ noun: "container" });
 * index.add("3f2a9c...");
 * index.get("3f2"); // "3f2a9c..."
 * ```
 * @public
 */
export class TruncIndex {
  readonly #root: Node = { size: 0, id: undefined, children: new Array<Node | undefined>(16) };
  readonly #ids = new Set<string>();
  readonly #noun: string;

  constructor(options: TruncIndexOptions = {}) {
    this.#noun = options.noun ?? "object";
  }

  /** The number of IDs held. */
  get size(): number {
    return this.#ids.size;
  }

  /** Whether `id` is held (exact match). */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Every ID held, in insertion order. */
  ids(): IterableIterator<string> {
    return this.#ids.values();
  }

  /**
   * Adds an ID.
   *
   * @throws `InvalidArgument` if `id` is not 1 to 128 lowercase hex digits;
   *   `AlreadyExists` if it is held already.
   */
  add(id: string): void {
    if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_LENGTH || !HEX.test(id)) {
      throw invalidArgument(`${this.#noun} ID ${JSON.stringify(id)} is not 1 to ${MAX_ID_LENGTH} lowercase hex digits`, "id");
    }
    if (this.#ids.has(id)) throw alreadyExists(`${this.#noun} ID ${JSON.stringify(id)} already exists`, { id });
    this.#ids.add(id);
    let node = this.#root;
    for (let depth = 0; ; depth++) {
      node.size++;
      if (node.children === undefined) {
        // A leaf gets a second ID: turn it into an inner node and push its ID down.
        const held = node.id as string;
        node.id = undefined;
        node.children = new Array<Node | undefined>(16);
        if (held.length === depth) node.id = held;
        else node.children[digit(held, depth)] = leaf(held);
      }
      if (depth === id.length) {
        node.id = id;
        return;
      }
      const d = digit(id, depth);
      const child = node.children[d];
      if (child === undefined) {
        node.children[d] = leaf(id);
        return;
      }
      node = child;
    }
  }

  /**
   * Removes an ID (a full ID, not a prefix). Idempotent.
   *
   * @returns whether the ID was held.
   */
  delete(id: string): boolean {
    if (!this.#ids.delete(id)) return false;
    const path: Node[] = [];
    let node = this.#root;
    let depth = 0;
    while (node.children !== undefined && depth < id.length) {
      path.push(node);
      node = node.children[digit(id, depth)] as Node;
      depth++;
    }
    if (node.children === undefined) {
      // A leaf: unhook it from its parent (the root is never a leaf, so there is one).
      const parent = path[path.length - 1] as Node;
      (parent.children as Array<Node | undefined>)[digit(id, depth - 1)] = undefined;
    } else {
      // The ID ends at an inner node.
      node.id = undefined;
      path.push(node);
    }
    for (const n of path) n.size--;
    // Collapse the topmost non-root inner node left with one ID back into a leaf.
    for (let i = 1; i < path.length; i++) {
      const n = path[i] as Node;
      if (n.size === 1 && n.children !== undefined) {
        n.id = onlyId(n);
        n.children = undefined;
        break;
      }
    }
    return true;
  }

  /**
   * Resolves a full ID or a unique prefix of one to the full ID.
   *
   * @throws `InvalidArgument` for an empty prefix or one that matches more
   *   than one ID (`details.reason` `"AmbiguousPrefix"`); `NotFound` if no
   *   ID starts with it.
   */
  get(prefix: string): string {
    if (typeof prefix !== "string" || prefix === "") throw invalidArgument(`${this.#noun} ID prefix is empty`, "id");
    if (prefix.length > MAX_ID_LENGTH) throw this.#notFound(prefix);
    // Each digit is checked as the walk reaches it (cheaper than a regular
    // expression over the whole prefix); a leaf's startsWith checks the rest.
    let node = this.#root;
    for (let depth = 0; depth < prefix.length; depth++) {
      if (node.children === undefined) {
        if ((node.id as string).startsWith(prefix)) return node.id as string;
        throw this.#notFound(prefix);
      }
      const d = digit(prefix, depth);
      const child = d < 0 ? undefined : node.children[d];
      if (child === undefined) throw this.#notFound(prefix);
      node = child;
    }
    if (node.children === undefined) return node.id as string;
    if (node.id !== undefined) return node.id; // exact match of a stored ID
    if (node.size === 1) return onlyId(node);
    throw new CrikitError(
      "InvalidArgument",
      `${this.#noun} ID prefix ${JSON.stringify(prefix)} is ambiguous: it matches ${node.size} IDs; give more digits`,
      { details: { field: "id", reason: "AmbiguousPrefix", prefix, matches: node.size } },
    );
  }

  // A method, not a closure in get(): a closure would be allocated on every lookup.
  #notFound(prefix: string): CrikitError {
    return new CrikitError("NotFound", `${this.#noun} ${JSON.stringify(prefix)} not found`, { details: { id: prefix } });
  }
}
