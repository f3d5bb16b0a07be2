/**
 * Messages between {@link UnpackThread} and its worker (unpack-worker.ts),
 * and how an error crosses the thread boundary: structured clone keeps
 * neither the class nor the `cause` chain, so a {@link CrikitError} travels
 * as its code, message and details (its cause as a message) and is rebuilt
 * on the caller's side; any other error keeps its name, message and errno code.
 *
 * @packageDocumentation
 */
import { CrikitError, isCrikitError, type ErrorCodeName } from "../errors.js";
import type { LayerCompression } from "./media-types.js";
import type { ApplyLayerResult } from "./unpack.js";

/** @internal */
export type UnpackRequest =
  | { type: "apply"; id: number; dir: string; blob: string; compression: LayerCompression; lowerDirs: string[] }
  | { type: "abort"; id: number };

/** @internal */
export type UnpackReply = { id: number; result: ApplyLayerResult } | { id: number; error: WireError };

/** @internal */
export interface WireError {
  crikit: boolean;
  name: string;
  message: string;
  /** The CrikitError code, or the errno code (`ENOSPC`) of another error. */
  code?: string;
  details?: Record<string, unknown>;
  cause?: string;
}

/**
 * An error as a plain, cloneable object.
 *
 * @internal
 */
export function errorToWire(err: unknown): WireError {
  if (isCrikitError(err)) {
    const cause = err.cause === undefined ? undefined : err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : String(err.cause);
    let details: Record<string, unknown> = {};
    try {
      details = structuredClone({ ...err.details });
    } catch {
      // Details that do not clone stay behind; code and message carry the meaning.
    }
    return { crikit: true, name: err.name, message: err.message, code: err.code, details, ...(cause === undefined ? {} : { cause }) };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { crikit: false, name: e.name, message: e.message, ...(typeof code === "string" ? { code } : {}) };
}

/**
 * The error a {@link WireError} describes, rebuilt on this side.
 *
 * @internal
 */
export function errorFromWire(w: WireError): Error {
  if (w.crikit) {
    const cause = w.cause === undefined ? undefined : new Error(w.cause);
    return new CrikitError(w.code as ErrorCodeName, w.message, { details: w.details ?? {}, ...(cause === undefined ? {} : { cause }) });
  }
  const e = new Error(w.message) as Error & { code?: string };
  e.name = w.name;
  if (w.code !== undefined) e.code = w.code;
  return e;
}
