/**
 * Single-use tokens for streaming requests: the Exec, Attach or PortForward
 * RPC stores the validated request under a random token and returns a URL
 * with it; the client's first request to that URL takes it out.
 *
 * - A token is 16 random bytes, URL-safe base64 (22 characters).
 * - It lives `ttlMs` (1 minute by default) and is good for one request.
 * - At most `maxPending` unexpired tokens wait at once; one more is
 *   `ResourceExhausted` (the kubelet's library allows 1000 in flight).
 * - {@link RequestCache.take} tells an unknown or used token (`"unknown"`,
 *   HTTP 404) from one that expired (`"expired"`, HTTP 410). An expired
 *   token is remembered for one more TTL, then forgotten (404).
 * - No timers: expired entries are swept when tokens are added.
 *
 * @packageDocumentation
 */
import { randomBytes } from "node:crypto";
import { CrikitError } from "../errors.js";

/** What a token resolves to. @internal */
export type TakeResult<T> = { ok: true; value: T } | { ok: false; reason: "unknown" | "expired" };

/** Options of {@link RequestCache}. @internal */
export interface RequestCacheOptions {
  /** Token lifetime in ms. @defaultValue 60000 */
  ttlMs?: number;
  /** Most unexpired tokens at once. @defaultValue 1000 */
  maxPending?: number;
  /** The clock, in ms. @defaultValue `Date.now` */
  now?: () => number;
}

/** The token store (see the file header). @internal */
export class RequestCache<T> {
  readonly #entries = new Map<string, { value: T; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxPending: number;
  readonly #now: () => number;

  constructor(options: RequestCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#maxPending = options.maxPending ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Stores `value` and returns its token. @throws `ResourceExhausted` when `maxPending` tokens wait. */
  insert(value: T): string {
    const now = this.#now();
    let pending = 0;
    for (const [token, e] of this.#entries) {
      if (e.expiresAt + this.#ttlMs <= now) this.#entries.delete(token);
      else if (e.expiresAt > now) pending++;
    }
    if (pending >= this.#maxPending) {
      throw new CrikitError("ResourceExhausted", `too many pending streaming requests (${this.#maxPending}); try again later`);
    }
    let token: string;
    do token = randomBytes(16).toString("base64url");
    while (this.#entries.has(token));
    this.#entries.set(token, { value, expiresAt: now + this.#ttlMs });
    return token;
  }

  /** Takes the value of `token` out (single use). */
  take(token: string): TakeResult<T> {
    const e = this.#entries.get(token);
    if (e === undefined) return { ok: false, reason: "unknown" };
    this.#entries.delete(token);
    if (e.expiresAt <= this.#now()) return { ok: false, reason: "expired" };
    return { ok: true, value: e.value };
  }

  /** Entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every token. */
  clear(): void {
    this.#entries.clear();
  }
}
