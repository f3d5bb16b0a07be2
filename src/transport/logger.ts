/**
 * The logger shape the transport takes: the subset of pino that crikit uses,
 * so a pino logger fits as is. By default only unexpected errors are printed
 * (see {@link defaultLogger}); `NODE_DEBUG=crikit` prints every line.
 *
 * @packageDocumentation
 */
import { debuglog, inspect } from "node:util";
import { isCrikitError } from "../errors.js";
import type { CrikitError } from "../errors.js";

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
 * The logger used when none is given. It prints, to stderr, the error lines
 * whose `err` is not a {@link CrikitError}: an exception a handler did not
 * expect (a `TypeError`, a failed `fs` call), which the client sees only as
 * `Internal "internal error"`; the line has the message, the RPC and request
 * ID, and the error with its stack and causes. Everything else is dropped,
 * unless `NODE_DEBUG` names `crikit`: then every line goes to stderr through
 * `util.debuglog("crikit")`. Pass {@link silentLogger} for no output at all.
 * @public
 */
export function defaultLogger(): TransportLogger {
  const debug = debuglog("crikit");
  if (!debug.enabled) return { debug: noop, info: noop, warn: noop, error: reportUnexpected };
  const print = (level: string) => (obj: object, msg?: string) => debug("transport %s %s %j", level, msg ?? "", obj);
  return { debug: print("debug"), info: print("info"), warn: print("warn"), error: print("error") };
}

/** Writes an error line to stderr when its `err` is not a CrikitError. */
function reportUnexpected(obj: object, msg?: string): void {
  const { err, ...fields } = obj as { err?: unknown };
  if (err === undefined || isCrikitError(err)) return;
  process.stderr.write(`crikit: ${msg ?? "error"} ${JSON.stringify(fields)}\n${inspect(err)}\n`);
}
