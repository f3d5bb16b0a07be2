/**
 * The one error-conversion point of the transport: an interceptor that turns
 * anything a handler throws, for unary calls and while a server stream is
 * being iterated, into the `ConnectError` sent to the client (rules in
 * `codes.ts`). The original error stays in `cause`, which the logging
 * interceptor logs and the wire never sees.
 *
 * @packageDocumentation
 */
import type { Interceptor } from "@connectrpc/connect";
import { toConnectError } from "./codes.js";
import { mapStreamErrors } from "./call-outcome.js";
import { requestIdKey } from "./request-id.js";

/**
 * An interceptor that converts thrown values with {@link toConnectError}.
 * The CRI server puts it innermost, right around the handler.
 *
 * @public
 */
export function createErrorInterceptor(): Interceptor {
  return (next) => async (req) => {
    const convert = (e: unknown) =>
      toConnectError(e, { rpc: req.method.name, requestId: req.contextValues.get(requestIdKey), signal: req.signal });
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: mapStreamErrors(res.message, convert) };
    } catch (e) {
      throw convert(e);
    }
  };
}
