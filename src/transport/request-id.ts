/**
 * A request id per RPC, as a Connect context value.
 *
 * The id is taken from the `x-request-id` request header when the client sent
 * a sane one (1 to 128 characters of `[A-Za-z0-9._:-]`), else a random UUID.
 * Handlers read it with `context.values.get(requestIdKey)`; the logging
 * interceptor and generic error messages carry it, so that a client-side error
 * can be found in the runtime's log.
 *
 * @packageDocumentation
 */
import { randomUUID } from "node:crypto";
import { createContextKey } from "@connectrpc/connect";
import type { ContextKey, Interceptor } from "@connectrpc/connect";

/**
 * The context key holding the request id (empty string when the request-id
 * interceptor did not run).
 *
 * @example
 * ```ts
 * const runtime = { async version(req, ctx) { log.info({ requestId: ctx.values.get(requestIdKey) }, "version"); ... } };
 * ```
 *
 * @public
 */
export const requestIdKey: ContextKey<string> = createContextKey("", { description: "crikit request id" });

/**
 * The request header a client may set to choose its request id.
 *
 * @public
 */
export const requestIdHeader = "x-request-id";

const saneId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * An interceptor that sets {@link requestIdKey} for every call. The CRI
 * server puts it first, so every later interceptor and the handler see it.
 *
 * @public
 */
export function createRequestIdInterceptor(): Interceptor {
  return (next) => (req) => {
    if (req.contextValues.get(requestIdKey) === "") {
      req.contextValues.set(requestIdKey, requestIdFrom(req.header.get(requestIdHeader)));
    }
    return next(req);
  };
}

/**
 * The request ID for a call whose `x-request-id` header is `given`: the
 * header when it is sane, else a new UUID.
 *
 * @internal
 */
export function requestIdFrom(given: string | null | undefined): string {
  return given !== null && given !== undefined && saneId.test(given) ? given : randomUUID();
}
