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
import type { Logger } from "../logger.js";

/**
 * The SDK's one logger contract (see `Logger`), under this module's former name.
 *
 * @public
 */
export type TransportLogger = Logger;

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
