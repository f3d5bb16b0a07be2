/**
 * The logger the streaming server takes: a pino-compatible subset.
 *
 * @packageDocumentation
 */
import { silentLogger as sdkSilentLogger, type Logger } from "../logger.js";

/**
 * The SDK's one logger contract (see `Logger`), under this module's former name.
 *
 * @public
 */
export type StreamingLogger = Logger;

/** A logger that drops everything. @internal */
export const silentLogger: StreamingLogger = sdkSilentLogger;
