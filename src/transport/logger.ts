/**
 * The logger shape the transport takes: the subset of pino that crikit uses,
 * so a pino logger fits as is. Silent by default.
 *
 * @packageDocumentation
 */

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
