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
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
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
