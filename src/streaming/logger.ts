/**
 * The logger the streaming server takes: a pino-compatible subset.
 *
 * @packageDocumentation
 */

/** A pino-compatible logger subset. @public */
export interface StreamingLogger {
  /** Detail: a refused stream, a failed forward. */
  debug(obj: object, msg?: string): void;
  /** Sessions starting and ending. */
  info(obj: object, msg?: string): void;
  /** Recoverable trouble: a client too slow to open its streams, a protocol error. */
  warn(obj: object, msg?: string): void;
  /** Failures. */
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything. @internal */
export const silentLogger: StreamingLogger = { debug() {}, info() {}, warn() {}, error() {} };
