/**
 * The one logger contract of the SDK: a pino-compatible subset. Every
 * piece that logs (the service, the OCI runtime adapter, the CNI manager,
 * the image service and registry client, spec generation) takes a
 * {@link Logger}; silent by default.
 *
 * @packageDocumentation
 */

/**
 * A pino-compatible logger subset: each level takes structured fields and a message.
 *
 * @public
 */
export interface Logger {
  /** Debug level: detail. */
  debug(obj: object, msg?: string): void;
  /** Info level: lifecycle events. */
  info(obj: object, msg?: string): void;
  /** Warn level: recoverable trouble. */
  warn(obj: object, msg?: string): void;
  /** Error level: failures. */
  error(obj: object, msg?: string): void;
}

/**
 * A logger that drops everything.
 *
 * @public
 */
export const silentLogger: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });
