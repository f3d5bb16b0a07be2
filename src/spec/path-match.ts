/**
 * Go's `path.Match` (and `filepath.Match` on Unix) in TypeScript, and the
 * pod-annotation passthrough containerd builds on it.
 *
 * Semantics, as Go defines them:
 * - `*` matches any run of non-`/` bytes; `?` matches one non-`/` character;
 * - `[...]` is a non-empty class of characters and ranges `lo-hi`, negated by
 *   a leading `^`; `-` and `]` must be escaped inside it;
 * - `\c` matches `c` literally; a trailing `\` is malformed.
 * A malformed pattern reports `badPattern` (Go's ErrBadPattern) for every
 * name, since Go checks the rest of a failed pattern; containerd then skips
 * the pattern, so it matches nothing.
 *
 * Matching works on UTF-8 bytes, decoding characters the way Go's
 * `utf8.DecodeRune` does (an invalid byte is U+FFFD, one byte wide),
 * so results agree with Go even where `*` skips into a multi-byte character.
 *
 * @packageDocumentation
 */

const utf8 = new TextEncoder();
const RUNE_ERROR = 0xfffd;
const SLASH = 0x2f;
const STAR = 0x2a;
const QUESTION = 0x3f;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;

class BadPattern extends Error {}

/** Decode one character at `i` as Go's utf8.DecodeRune: [rune, width]. */
function decodeRune(b: Uint8Array, i: number): [number, number] {
  const n = b.length - i;
  if (n <= 0) return [RUNE_ERROR, 0];
  const b0 = b[i] ?? 0;
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi ? v & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = b0 === 0xe0 ? cont(1, 0xa0) : b0 === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    const c2 = c1 < 0 ? -1 : cont(2);
    return c2 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x0f) << 12) | (c1 << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = b0 === 0xf0 ? cont(1, 0x90) : b0 === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    const c2 = c1 < 0 ? -1 : cont(2);
    const c3 = c2 < 0 ? -1 : cont(3);
    return c3 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4];
  }
  return [RUNE_ERROR, 1];
}

/**
 * Split off the next chunk: leading stars, then everything up to the next
 * star outside a class. Returns [star, chunkStart, chunkEnd]; the rest of
 * the pattern starts at chunkEnd.
 */
function nextChunk(p: Uint8Array, from: number): [boolean, number, number] {
  let i = from;
  let star = false;
  while (i < p.length && p[i] === STAR) {
    i++;
    star = true;
  }
  const start = i;
  let inClass = false;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === BACKSLASH) {
      if (i + 1 < p.length) i++;
    } else if (c === LBRACKET) inClass = true;
    else if (c === RBRACKET) inClass = false;
    else if (c === STAR && !inClass) break;
  }
  return [star, start, i];
}

/** One class bound (with its escape); throws BadPattern. Returns [rune, next index]. */
function classBound(p: Uint8Array, i: number, end: number): [number, number] {
  if (i >= end || p[i] === DASH || p[i] === RBRACKET) throw new BadPattern();
  if (p[i] === BACKSLASH) {
    i++;
    if (i >= end) throw new BadPattern();
  }
  const [r, w] = decodeRune(p.subarray(0, end), i);
  if (r === RUNE_ERROR && w === 1) throw new BadPattern();
  if (i + w >= end) throw new BadPattern();
  return [r, i + w];
}

/**
 * Match the chunk p[cs..ce) against a prefix of s[si..]. Returns the index in
 * s after the matched prefix, or -1. Keeps parsing after a mismatch so a
 * malformed chunk always throws.
 */
function matchChunk(p: Uint8Array, cs: number, ce: number, s: Uint8Array, si: number): number {
  let failed = false;
  let i = cs;
  while (i < ce) {
    if (!failed && si >= s.length) failed = true;
    const c = p[i];
    if (c === LBRACKET) {
      let r = 0;
      if (!failed) {
        const [rr, w] = decodeRune(s, si);
        r = rr;
        si += w;
      }
      i++;
      let negated = false;
      if (i < ce && p[i] === CARET) {
        negated = true;
        i++;
      }
      let hit = false;
      let ranges = 0;
      for (;;) {
        if (i < ce && p[i] === RBRACKET && ranges > 0) {
          i++;
          break;
        }
        const [lo, afterLo] = classBound(p, i, ce);
        i = afterLo;
        let hi = lo;
        if (p[i] === DASH) {
          const [h, afterHi] = classBound(p, i + 1, ce);
          hi = h;
          i = afterHi;
        }
        if (lo <= r && r <= hi) hit = true;
        ranges++;
      }
      if (hit === negated) failed = true;
    } else if (c === QUESTION) {
      if (!failed) {
        if (s[si] === SLASH) failed = true;
        si += decodeRune(s, si)[1];
      }
      i++;
    } else {
      if (c === BACKSLASH) {
        i++;
        if (i >= ce) throw new BadPattern();
      }
      if (!failed) {
        if (p[i] !== s[si]) failed = true;
        si++;
      }
      i++;
    }
  }
  return failed ? -1 : si;
}

function matchBytes(p: Uint8Array, s: Uint8Array): boolean {
  let pi = 0;
  let si = 0;
  next: while (pi < p.length) {
    const [star, cs, ce] = nextChunk(p, pi);
    pi = ce;
    if (star && cs === ce) return s.indexOf(SLASH, si) < 0;
    const here = matchChunk(p, cs, ce, s, si);
    if (here >= 0 && (here === s.length || pi < p.length)) {
      si = here;
      continue;
    }
    if (star) {
      for (let k = si; k < s.length && s[k] !== SLASH; k++) {
        const t = matchChunk(p, cs, ce, s, k + 1);
        if (t >= 0) {
          if (pi >= p.length && t < s.length) continue;
          si = t;
          continue next;
        }
      }
    }
    // A failed match still reports a malformed remainder, as Go does.
    while (pi < p.length) {
      const [, rs, re] = nextChunk(p, pi);
      pi = re;
      matchChunk(p, rs, re, new Uint8Array(0), 0);
    }
    return false;
  }
  return si === s.length;
}

/**
 * The result of {@link goPathMatch}.
 *
 * @public
 */
export interface PathMatchResult {
  /** Whether the name matches. Always false for a malformed pattern. */
  matched: boolean;
  /** The pattern is malformed (Go's `path.ErrBadPattern`). */
  badPattern: boolean;
}

/**
 * Go's `path.Match(pattern, name)`.
 *
 * @example
 * ```ts
 * goPathMatch("io.kubernetes.cri.*", "io.kubernetes.cri.foo"); // { matched: true, badPattern: false }
 * goPathMatch("[", "a"); // { matched: false, badPattern: true }
 * ```
 *
 * @public
 */
export function goPathMatch(pattern: string, name: string): PathMatchResult {
  try {
    return { matched: matchBytes(utf8.encode(pattern), utf8.encode(name)), badPattern: false };
  } catch (e) {
    if (e instanceof BadPattern) return { matched: false, badPattern: true };
    throw e;
  }
}

/**
 * The pod annotations whose keys match any of `patterns` (Go `path.Match`
 * globs, as a runtime handler's `pod_annotations` list in containerd).
 * A malformed pattern matches nothing.
 *
 * @example
 * ```ts
 * passthroughAnnotations({ "io.katacontainers.x": "1", other: "2" }, ["io.katacontainers.*"]);
 * // { "io.katacontainers.x": "1" }
 * ```
 *
 * @public
 */
export function passthroughAnnotations(
  podAnnotations: Readonly<Record<string, string>>,
  patterns: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  if (patterns.length === 0) return out;
  for (const [key, value] of Object.entries(podAnnotations)) {
    for (const pattern of patterns) {
      if (goPathMatch(pattern, key).matched) {
        out[key] = value;
        break;
      }
    }
  }
  return out;
}
