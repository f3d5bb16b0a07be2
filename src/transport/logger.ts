/**
 * The logger shape the transport takes: the subset of pino that crikit uses,
 * so a pino logger fits as is. Silent by default, except that
 * `NODE_DEBUG=crikit` prints every line through `util.debuglog`.
 *
 * @packageDocumentation
 */
import { debuglog } from "node:util";

/**
 * A pino-compatible logger subset: each method takes a structured object and
 * a message.
 *
 * @public
 */
export interface TransportLogger {
  /** Reads (Version, List*, *Status) and HTTP/2 details. */
  debug(obj: object, msg?: string): void;
  /** Calls that change state, and server lifecycle. */
  info(obj: object, msg?: string): void;
  /** A drain that timed out; a response that failed after its handler succeeded. */
  warn(obj: object, msg?: string): void;
  /** Server-side failures (Unknown, Internal, DataLoss) with their internal cause in `err`. */
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

/**
 * A logger that drops everything (the default).
 *
 * @public
 */
export const silentLogger: TransportLogger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

/**
 * The logger used when none is given: {@link silentLogger}, or, when
 * `NODE_DEBUG` names `crikit`, one that prints every line to stderr through
 * `util.debuglog("crikit")`.
 *
 * @public
 */
export function defaultLogger(): TransportLogger {
  const debug = debuglog("crikit");
  if (!debug.enabled) return silentLogger;
  const print = (level: string) => (obj: object, msg?: string) => debug("transport %s %s %j", level, msg ?? "", obj);
  return { debug: print("debug"), info: print("info"), warn: print("warn"), error: print("error") };
}
