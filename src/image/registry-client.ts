/**
 * An OCI distribution-spec client: manifests and blobs, pull only.
 *
 * Endpoints: a request for registry host H goes to H's mirrors in order, then
 * to H itself (`docker.io` means `registry-1.docker.io`). A mirror that
 * answers 404 or fails is skipped; the upstream's answer is final. Plain HTTP
 * is used only for endpoints configured as insecure; everything else is
 * HTTPS. A mirror that cannot be reached at all is skipped for 30 s.
 *
 * Authentication, per endpoint, in answer to a 401 and its `WWW-Authenticate`
 * challenge:
 *
 * ```
 * no challenge yet ─► anonymous request (or a cached token for the scope)
 * 401 Basic        ─► retry with username:password (from username/password or auth)
 * 401 Bearer       ─► GET realm?service&scope (basic credentials if any) or, with an
 *                     identity token, POST realm grant_type=refresh_token; retry with
 *                     the token, cached per endpoint and scope until it expires
 * 401 again        ─► Unauthenticated
 * ```
 *
 * A CRI `registry_token` is sent as a bearer token up front.
 *
 * Retries: a 5xx or 429 answer, a reset or refused connection, or a body cut
 * short is retried with exponential backoff (`retries` times); 4xx answers are
 * not. Every call takes an AbortSignal.
 *
 * @packageDocumentation
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CrikitError } from "../errors.js";
import { sha256Digest } from "./digest.js";
import { httpGet, type HttpGetResponse } from "./http-get.js";
import { manifestAccept } from "./media-types.js";
import type { ParsedReference } from "../reference/index.js";
import type { Logger } from "../logger.js";
import { silentLogger } from "../logger.js";

/**
 * Credentials for one pull, as in the CRI `AuthConfig`.
 *
 * @public
 */
export interface RegistryAuth {
  /** User name for Basic auth or the token request; takes precedence over `auth`. */
  username?: string;
  /** Password sent with `username`. */
  password?: string;
  /** base64 of `username:password` (used when username is empty). */
  auth?: string;
  /** The registry these credentials are for; informational. */
  serverAddress?: string;
  /** An OAuth2 refresh token exchanged for a bearer token at the challenge's realm. */
  identityToken?: string;
  /** A bearer token sent as is. */
  registryToken?: string;
}

/**
 * Per-registry-host settings.
 *
 * @public
 */
export interface RegistryHostConfig {
  /**
   * Talk plain HTTP to this host (no TLS).
   * @defaultValue `false`
   */
  insecure?: boolean;
  /**
   * Mirror endpoints tried in order before the host itself, as URLs
   * (`http://127.0.0.1:5001`) or `host[:port]` (HTTPS unless that host is
   * configured insecure).
   * @defaultValue `[]`
   */
  mirrors?: string[];
}

/**
 * Progress of one blob download.
 *
 * @public
 */
export interface PullProgress {
  /** Digest of the blob being downloaded. */
  digest: string;
  /** Bytes received so far. */
  written: number;
  /** Expected size. */
  total: number;
}

/**
 * The SDK's one logger contract (see `Logger`), under this module's former name.
 *
 * @public
 */
export type ImageLogger = Logger;

/**
 * Options of {@link RegistryClient}.
 *
 * @public
 */
export interface RegistryClientOptions {
  /**
   * Settings by registry host as written in references (`docker.io`, `127.0.0.1:5000`).
   * @defaultValue `{}`
   */
  hosts?: Record<string, RegistryHostConfig>;
  /**
   * Retries after a 5xx, a 429 or a broken connection.
   * @defaultValue `3`
   */
  retries?: number;
  /**
   * First backoff delay in ms; doubled at each retry.
   * @defaultValue `200`
   */
  retryBaseMs?: number;
  /**
   * The fetch implementation. When omitted, blob bodies are streamed with
   * node:http(s) instead (no per-chunk copy), everything else with fetch.
   * @defaultValue `globalThis.fetch` (undici)
   */
  fetch?: typeof fetch;
  /**
   * User-Agent header.
   * @defaultValue `"crikit"`
   */
  userAgent?: string;
  /** Logger; silent by default. */
  logger?: ImageLogger;
}

/**
 * Per-call options of {@link RegistryClient}.
 *
 * @public
 */
export interface RegistryCallOptions {
  /** Credentials for this call; anonymous when omitted. */
  auth?: RegistryAuth;
  /** Cancels the call, including waits between retries. */
  signal?: AbortSignal;
  /**
   * Retries for this call, in place of the client's; 0 when the caller
   * retries the whole operation itself (as a blob download does).
   * @defaultValue the client's `retries`
   */
  retries?: number;
}

/**
 * A fetched manifest or index.
 *
 * @public
 */
export interface FetchedManifest {
  /** The media type (from the document, else the Content-Type). */
  mediaType: string;
  /** sha256 of the bytes. */
  digest: string;
  /** The document as received. */
  bytes: Buffer;
  /** The endpoint that served it. */
  endpoint: string;
}

interface Endpoint {
  /** `http(s)://host[:port]` */
  base: string;
  upstream: boolean;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Manifests and indexes larger than this are refused (containerd uses the same limit). */
const maxManifestBytes = 4 * 1024 * 1024;

/** How long a mirror that could not be reached is skipped. */
const mirrorDownMs = 30_000;

const silent: ImageLogger = silentLogger;

/**
 * OCI distribution client with mirrors, auth, token cache and retries.
 *
 * @public
 */
export class RegistryClient {
  readonly #hosts: Record<string, RegistryHostConfig>;
  readonly #retries: number;
  readonly #retryBaseMs: number;
  readonly #fetch: typeof fetch;
  /** Stream blobs with node:http(s) rather than fetch (when no fetch was given). */
  readonly #nodeBlobs: boolean;
  readonly #ua: string;
  readonly #log: ImageLogger;
  /** `endpoint|scope|credential-key` → token and expiry. */
  readonly #tokens = new Map<string, { token: string; expires: number }>();
  /** endpoint → last challenge seen. */
  readonly #challenges = new Map<string, Challenge>();
  /** mirror endpoint → time until which it is skipped after a connection failure. */
  readonly #mirrorDownUntil = new Map<string, number>();

  constructor(options: RegistryClientOptions = {}) {
    this.#hosts = options.hosts ?? {};
    this.#retries = options.retries ?? 3;
    this.#retryBaseMs = options.retryBaseMs ?? 200;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#nodeBlobs = options.fetch === undefined;
    this.#ua = options.userAgent ?? "crikit";
    this.#log = options.logger ?? silent;
  }

  /** The endpoints for a registry host: mirrors in order, then the host. */
  endpoints(registry: string): string[] {
    return this.#endpoints(registry).map((e) => e.base);
  }

  #endpoints(registry: string): Endpoint[] {
    const cfg = this.#hosts[registry] ?? {};
    const schemeFor = (host: string): string => ((this.#hosts[host]?.insecure ?? false) ? "http" : "https");
    const out: Endpoint[] = [];
    for (const m of cfg.mirrors ?? []) {
      const base = /^https?:\/\//.test(m) ? m.replace(/\/+$/, "") : `${schemeFor(m)}://${m}`;
      out.push({ base, upstream: false });
    }
    const host = registry === "docker.io" ? "registry-1.docker.io" : registry;
    out.push({ base: `${(cfg.insecure ?? false) ? "http" : "https"}://${host}`, upstream: true });
    return out;
  }

  /**
   * Fetches the manifest or index `reference` (a tag or a digest) of
   * `ref.path`. A digest reference is verified against the bytes.
   */
  async fetchManifest(ref: ParsedReference, reference: string, options: RegistryCallOptions = {}): Promise<FetchedManifest> {
    const path = `/v2/${ref.path}/manifests/${reference}`;
    return this.#onEndpoints(ref, options, async (ep) => {
      const res = await this.#request(ep, ref, path, { accept: manifestAccept }, options);
      const declared = Number(res.headers.get("content-length") ?? "0");
      if (declared > maxManifestBytes) {
        await res.body?.cancel();
        throw new CrikitError("InvalidArgument", `manifest ${reference} of ${ref.domain}/${ref.path} is ${declared} bytes, more than the ${maxManifestBytes} allowed`);
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      if (bytes.byteLength > maxManifestBytes) {
        throw new CrikitError("InvalidArgument", `manifest ${reference} of ${ref.domain}/${ref.path} is larger than the ${maxManifestBytes} bytes allowed`);
      }
      const digest = sha256Digest(bytes);
      if (reference.includes(":") && reference !== digest) {
        throw new CrikitError("DataLoss", `manifest from ${ep.base} has digest ${digest}, expected ${reference}`);
      }
      let mediaType = res.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
      try {
        const doc = JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown };
        if (typeof doc.mediaType === "string" && doc.mediaType !== "") mediaType = doc.mediaType;
      } catch (err) {
        throw new CrikitError("DataLoss", `manifest ${reference} from ${ep.base} is not JSON`, { cause: err });
      }
      return { mediaType, digest, bytes, endpoint: ep.base };
    });
  }

  /**
   * Opens the blob `digest`: resolves once the registry has answered with a
   * body, which the caller streams (and verifies, see the content store).
   */
  async openBlob(ref: ParsedReference, digest: string, options: RegistryCallOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const path = `/v2/${ref.path}/blobs/${digest}`;
    return this.#onEndpoints(ref, options, async (ep) => {
      const res = await this.#request(ep, ref, path, {}, options, this.#nodeBlobs);
      if (res.body === null) throw new CrikitError("Unavailable", `empty body for blob ${digest} from ${ep.base}`);
      return res.body as unknown as AsyncIterable<Uint8Array>;
    });
  }

  /**
   * Runs `fn` with retries and backoff while it fails with a retryable error
   * (5xx, 429, broken connection, body cut short).
   */
  async withRetry<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal, retries: number = this.#retries): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      try {
        return await fn();
      } catch (err) {
        if (signal?.aborted || attempt >= retries || !isRetryable(err)) throw err;
        const delay = this.#retryBaseMs * 2 ** attempt;
        this.#log.debug({ what, attempt, delay, err: String(err) }, "retrying registry request");
        await sleep(delay, undefined, signal ? { signal } : {});
      }
    }
  }

  async #onEndpoints<T>(ref: ParsedReference, options: RegistryCallOptions, fn: (ep: Endpoint) => Promise<T>): Promise<T> {
    const eps = this.#endpoints(ref.domain);
    let lastErr: unknown;
    for (const ep of eps) {
      if (!ep.upstream && (this.#mirrorDownUntil.get(ep.base) ?? 0) > Date.now()) continue;
      try {
        return await this.withRetry(`${ep.base} ${ref.path}`, () => fn(ep), options.signal, options.retries ?? this.#retries);
      } catch (err) {
        if (ep.upstream || options.signal?.aborted) throw err;
        lastErr = err;
        // A mirror that cannot be reached is skipped for a while rather than retried per blob.
        if (err instanceof CrikitError && err.code === "Unavailable" && err.details.status === undefined) this.#mirrorDownUntil.set(ep.base, Date.now() + mirrorDownMs);
        this.#log.debug({ mirror: ep.base, err: String(err) }, "mirror failed; trying the next endpoint");
      }
    }
    throw lastErr;
  }

  async #request(ep: Endpoint, ref: ParsedReference, path: string, headers: Record<string, string>, options: RegistryCallOptions, nodeGet = false): Promise<Response | HttpGetResponse> {
    const auth = options.auth ?? {};
    const scope = `repository:${ref.path}:pull`;
    const url = `${ep.base}${path}`;
    let authHeader = await this.#cachedAuth(ep, scope, auth, options.signal);
    for (let round = 0; round < 2; round++) {
      const h: Record<string, string> = { "user-agent": this.#ua, ...headers };
      if (authHeader !== undefined) h.authorization = authHeader;
      const res = nodeGet ? await this.#getOnce(url, h, options.signal) : await this.#fetchOnce(url, { headers: h, redirect: "follow", ...(options.signal ? { signal: options.signal } : {}) });
      if (res.status === 401 && round === 0) {
        await res.body?.cancel();
        const ch = parseChallenge(res.headers.get("www-authenticate") ?? "");
        if (ch === undefined) throw unauthenticated(ep, ref, "the registry gave no usable WWW-Authenticate challenge");
        this.#challenges.set(ep.base, ch);
        this.#tokens.delete(tokenKey(ep, scope, auth)); // a cached token the registry no longer takes
        const next = await this.#authFor(ep, ch, scope, auth, options.signal, ref);
        if (next === undefined) throw unauthenticated(ep, ref, "the registry requires credentials and none were given");
        authHeader = next;
        continue;
      }
      if (res.ok) return res;
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403) {
        throw unauthenticated(ep, ref, res.status === 401 ? "the credentials were rejected" : "access denied (403)");
      }
      if (res.status === 404) {
        throw new CrikitError("NotFound", `${ref.domain}/${ref.path}: ${path.split("/").slice(-2).join(" ")} not found at ${ep.base}`, { details: { status: 404 } });
      }
      throw new CrikitError(res.status >= 500 || res.status === 429 ? "Unavailable" : "Unknown", `registry ${ep.base} answered ${res.status} for ${path}`, { details: { status: res.status } });
    }
    throw unauthenticated(ep, ref, "the credentials were rejected");
  }

  async #getOnce(url: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<HttpGetResponse> {
    try {
      return await httpGet(url, { headers, ...(signal ? { signal } : {}) });
    } catch (err) {
      if ((err as Error).name === "AbortError" || (err as Error).name === "TimeoutError") throw err;
      throw new CrikitError("Unavailable", `cannot reach ${new URL(url).origin}: ${networkReason(err)}`, { cause: err });
    }
  }

  async #fetchOnce(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(url, init);
    } catch (err) {
      if ((err as Error).name === "AbortError" || (err as Error).name === "TimeoutError") throw err;
      throw new CrikitError("Unavailable", `cannot reach ${new URL(url).origin}: ${networkReason(err)}`, { cause: err });
    }
  }

  async #cachedAuth(ep: Endpoint, scope: string, auth: RegistryAuth, signal: AbortSignal | undefined): Promise<string | undefined> {
    if (auth.registryToken) return `Bearer ${auth.registryToken}`;
    const ch = this.#challenges.get(ep.base);
    if (ch === undefined) return undefined;
    const cached = this.#tokens.get(tokenKey(ep, scope, auth));
    if (cached !== undefined && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    if (ch.scheme === "basic") return basicHeader(auth);
    if (ch.scheme === "bearer") return this.#authFor(ep, ch, scope, auth, signal, undefined);
    return undefined;
  }

  async #authFor(ep: Endpoint, ch: Challenge, scope: string, auth: RegistryAuth, signal: AbortSignal | undefined, ref: ParsedReference | undefined): Promise<string | undefined> {
    if (ch.scheme === "basic") return basicHeader(auth);
    if (ch.scheme !== "bearer") return undefined;
    const realm = ch.params.realm;
    if (realm === undefined) return undefined;
    const key = tokenKey(ep, scope, auth);
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.expires > Date.now()) return `Bearer ${cached.token}`;
    const u = new URL(realm);
    const service = ch.params.service;
    let res: Response;
    if (auth.identityToken) {
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: auth.identityToken, scope, client_id: "crikit" });
      if (service !== undefined) form.set("service", service);
      res = await this.#fetchOnce(u.href, { method: "POST", body: form, headers: { "user-agent": this.#ua }, ...(signal ? { signal } : {}) });
    } else {
      if (service !== undefined) u.searchParams.set("service", service);
      u.searchParams.set("scope", scope);
      const headers: Record<string, string> = { "user-agent": this.#ua };
      const basic = basicHeader(auth);
      if (basic !== undefined) headers.authorization = basic;
      res = await this.#fetchOnce(u.href, { headers, ...(signal ? { signal } : {}) });
    }
    if (!res.ok) {
      await res.body?.cancel();
      if (res.status === 401 || res.status === 403) throw unauthenticated(ep, ref, `the token service ${u.origin} rejected the credentials`);
      throw new CrikitError(res.status >= 500 ? "Unavailable" : "Unknown", `token service ${u.origin} answered ${res.status}`);
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new CrikitError("Unknown", `token service ${u.origin} returned no token`);
    const ttl = Math.max(10, body.expires_in ?? 60);
    this.#tokens.set(key, { token, expires: Date.now() + (ttl - 5) * 1000 });
    return `Bearer ${token}`;
  }
}

function tokenKey(ep: Endpoint, scope: string, auth: RegistryAuth): string {
  const who = auth.identityToken ? `id:${sha256Digest(auth.identityToken)}` : credentials(auth) ? `u:${sha256Digest(credentials(auth) ?? "")}` : "anon";
  return `${ep.base}|${scope}|${who}`;
}

function credentials(auth: RegistryAuth): string | undefined {
  if (auth.username) return `${auth.username}:${auth.password ?? ""}`;
  if (auth.auth) return Buffer.from(auth.auth, "base64").toString("utf8");
  return undefined;
}

function basicHeader(auth: RegistryAuth): string | undefined {
  const c = credentials(auth);
  return c === undefined ? undefined : `Basic ${Buffer.from(c, "utf8").toString("base64")}`;
}

function unauthenticated(ep: Endpoint, ref: ParsedReference | undefined, why: string): CrikitError {
  const what = ref ? `${ref.domain}/${ref.path}` : ep.base;
  return new CrikitError("Unauthenticated", `pulling ${what} from ${ep.base}: ${why}; check the image pull credentials`);
}

/**
 * Parses a `WWW-Authenticate` header: `Bearer realm="...",service="...",scope="..."`
 * or `Basic realm="..."`.
 *
 * @public
 */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2] ?? ""); p !== null; p = re.exec(m[2] ?? "")) {
    params[(p[1] ?? "").toLowerCase()] = (p[2] ?? p[3] ?? "").replace(/\\(.)/g, "$1");
  }
  return { scheme: (m[1] ?? "").toLowerCase(), params };
}

function networkReason(err: unknown): string {
  for (let e: unknown = err, i = 0; e && i < 8; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return String((err as Error).message ?? err);
}

const retryableCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED", "EAI_AGAIN"]);

/**
 * Whether an error is worth a retry: 5xx, 429, a broken or refused connection, a short body.
 *
 * @internal
 */
export function isRetryable(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 8; i++) {
    if (e instanceof CrikitError) {
      if (e.code === "Unavailable") return true;
      if (e.code === "DataLoss" && e.details.retryable === true) return true;
      if (e.code !== "Unknown") return false;
    }
    const name = (e as { name?: unknown }).name;
    if (name === "AbortError" || name === "TimeoutError") return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && retryableCodes.has(code)) return true;
    if (name === "TypeError" && /terminated|fetch failed|other side closed/i.test(String((e as Error).message))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
