/**
 * A streaming HTTP(S) GET over node:http and node:https, with the few parts
 * of `fetch` that blob downloads use: status, headers, a body to iterate or
 * cancel, and redirects followed (at most 10; the `authorization` header is
 * dropped when a redirect leaves the origin, as fetch does).
 *
 * Why not fetch: Node's fetch copies every received chunk into a new
 * Uint8Array and passes it through a web ReadableStream; for a layer that is
 * twice the allocation and a second stream layer on the daemon's main
 * thread. Here the body is the socket's own chunks (IncomingMessage).
 *
 * @packageDocumentation
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * The answer of {@link httpGet}: the subset of a fetch `Response` that
 * the registry client reads.
 *
 * @internal
 */
export interface HttpGetResponse {
  /** The HTTP status of the final answer. */
  status: number;
  /** Whether the status is 2xx. */
  ok: boolean;
  /** Header lookup by case-insensitive name; repeated headers joined with ", ". */
  headers: { get(name: string): string | null };
  /** The body as the socket's chunks; `cancel()` drops the connection. */
  body: (AsyncIterable<Uint8Array> & { cancel(): Promise<void> }) | null;
  /** The whole body. */
  arrayBuffer(): Promise<ArrayBuffer>;
}

const maxRedirects = 10;

function once(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, { method: "GET", headers, ...(signal ? { signal } : {}) }, resolve);
    req.on("error", reject);
    req.end();
  });
}

/**
 * GETs `url`, following redirects; resolves once the final answer's headers
 * have arrived. Network errors reject with Node's errors (`code` ECONNRESET,
 * ECONNREFUSED, ...); an aborted `signal` rejects with an AbortError.
 *
 * @internal
 */
export async function httpGet(url: string, init: { headers: Record<string, string>; signal?: AbortSignal }): Promise<HttpGetResponse> {
  let at = new URL(url);
  let headers = { ...init.headers };
  for (let hop = 0; ; hop++) {
    const res = await once(at, headers, init.signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location !== undefined && hop < maxRedirects) {
      res.resume();
      const next = new URL(location, at);
      if (next.origin !== at.origin) {
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      at = next;
      continue;
    }
    return wrap(res, status);
  }
}

function wrap(res: IncomingMessage, status: number): HttpGetResponse {
  const body = {
    [Symbol.asyncIterator]: () => res[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
    cancel: async (): Promise<void> => {
      res.destroy();
    },
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name: string): string | null {
        const v = res.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
      },
    },
    body,
    async arrayBuffer(): Promise<ArrayBuffer> {
      const parts: Buffer[] = [];
      for await (const c of res) parts.push(c as Buffer);
      const all = Buffer.concat(parts);
      return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
    },
  };
}
