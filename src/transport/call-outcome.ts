/**
 * Internal helper for interceptors that need to know how a call ended, for
 * unary and streaming calls alike.
 *
 * A unary call ends when `next` settles. A streaming call ends when its
 * response iterable is exhausted (success), throws (error), or is closed
 * early by the consumer (the client went away: reported as Canceled). The
 * callback runs exactly once.
 *
 * @packageDocumentation
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor, StreamResponse, UnaryResponse } from "@connectrpc/connect";

type AnyFn = Parameters<Interceptor>[0];
type AnyRequest = Parameters<AnyFn>[0];

/**
 * Call `next(req)` and run `done(err)` once when the call has ended, with
 * `undefined` on success.
 *
 * @internal
 */
export async function withCallOutcome(
  next: AnyFn,
  req: AnyRequest,
  done: (err: unknown) => void,
): Promise<UnaryResponse | StreamResponse> {
  let res: UnaryResponse | StreamResponse;
  try {
    res = await next(req);
  } catch (e) {
    done(e);
    throw e;
  }
  if (!res.stream) {
    done(undefined);
    return res;
  }
  return { ...res, message: tapStream(res.message, done) };
}

/**
 * Wrap a streaming response so that errors raised while iterating are mapped
 * by `map` (unary errors are mapped by the caller's try/catch).
 *
 * @internal
 */
export async function* mapStreamErrors<T>(source: AsyncIterable<T>, map: (e: unknown) => unknown): AsyncGenerator<T, void, undefined> {
  try {
    yield* source;
  } catch (e) {
    throw map(e);
  }
}

async function* tapStream<T>(source: AsyncIterable<T>, done: (err: unknown) => void): AsyncGenerator<T, void, undefined> {
  let outcome: { err: unknown } | undefined;
  try {
    yield* source;
    outcome = { err: undefined };
  } catch (e) {
    outcome = { err: e };
    throw e;
  } finally {
    done(outcome === undefined ? new ConnectError("the client closed the stream", Code.Canceled) : outcome.err);
  }
}
