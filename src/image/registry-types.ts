/**
 * The types of the registry client (`registry-client.ts`): credentials,
 * per-host settings, progress, options and results.
 *
 * @packageDocumentation
 */
import type { Logger } from "../logger.js";

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
