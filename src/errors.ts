/**
 * crikit's one error type.
 *
 * Pure pieces throw {@link CrikitError} with a `code` named after the gRPC
 * status codes, so the optional transport maps it to a gRPC status with a
 * lookup (see `crikit/transport`) and no piece needs a transport library.
 * Internals (a Node error, a failed command) travel in `cause`, never in the
 * message that reaches the client.
 *
 * @packageDocumentation
 */

/**
 * The gRPC status codes crikit errors carry, by name. The numeric values are
 * the gRPC ones; there are no user-defined codes.
 *
 * @public
 */
export const ErrorCode = {
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;

/**
 * The name of a gRPC status code, such as `"NotFound"`.
 *
 * @public
 */
export type ErrorCodeName = keyof typeof ErrorCode;

const brand = Symbol.for("crikit.CrikitError");

/**
 * An error with a gRPC status code name.
 *
 * @remarks
 * `message` is what a client sees: plain and actionable, with no stack trace
 * and no internals. Put the underlying error in `cause`.
 * `instanceof` works across two installed copies of crikit, and so does
 * {@link isCrikitError}.
 *
 * @example
 * ```ts
 * throw new CrikitError("NotFound", `container "${id}" not found`);
 * ```
 *
 * @public
 */
export class CrikitError extends Error {
  /** The gRPC status code name. */
  readonly code: ErrorCodeName;
  /** Extra structured facts for logs (for instance the holder of a reserved name). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCodeName,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...(options?.details ?? {}) });
    Object.defineProperty(this, brand, { value: true });
  }

  /** The numeric gRPC status code. */
  get grpcCode(): number {
    return ErrorCode[this.code];
  }

  /** `instanceof` by brand, so it also matches a CrikitError from another copy of crikit. */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return isCrikitError(v);
  }
}
Object.defineProperty(CrikitError.prototype, "name", { value: "CrikitError", enumerable: false });

/**
 * Whether `v` is a {@link CrikitError}, also one from another copy of crikit.
 *
 * @public
 */
export function isCrikitError(v: unknown): v is CrikitError {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[brand] === true;
}

/**
 * Whether `v` is a {@link CrikitError} with the given code.
 *
 * @public
 */
export function hasErrorCode(v: unknown, code: ErrorCodeName): v is CrikitError {
  return isCrikitError(v) && v.code === code;
}

/** @public A `NotFound` error. */
export function notFound(message: string, cause?: unknown): CrikitError {
  return new CrikitError("NotFound", message, { cause });
}

/** @public An `AlreadyExists` error. */
export function alreadyExists(message: string, details?: Record<string, unknown>): CrikitError {
  return new CrikitError("AlreadyExists", message, details ? { details } : undefined);
}

/** @public An `InvalidArgument` error; `field` names the offending request field. */
export function invalidArgument(message: string, field?: string): CrikitError {
  return new CrikitError("InvalidArgument", message, field ? { details: { field } } : undefined);
}

/** @public A `FailedPrecondition` error. */
export function failedPrecondition(message: string, cause?: unknown): CrikitError {
  return new CrikitError("FailedPrecondition", message, { cause });
}

/** @public An `Unimplemented` error. */
export function unimplemented(message: string): CrikitError {
  return new CrikitError("Unimplemented", message);
}

const nodeErrnoCodes: Readonly<Record<string, ErrorCodeName>> = {
  ENOENT: "NotFound",
  EEXIST: "AlreadyExists",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  ENOSPC: "ResourceExhausted",
  EDQUOT: "ResourceExhausted",
  ETIMEDOUT: "DeadlineExceeded",
};

/**
 * The code an arbitrary thrown value maps to: a {@link CrikitError}'s own code,
 * `Canceled` for an abort, `DeadlineExceeded` for a timeout, a Node errno
 * found along the `cause` chain (ENOENT to NotFound, EEXIST to AlreadyExists,
 * EACCES and EPERM to PermissionDenied, ENOSPC to ResourceExhausted), else
 * `Unknown`.
 *
 * @public
 */
export function errorCodeOf(err: unknown): ErrorCodeName {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 16; depth++) {
    if (isCrikitError(e)) return e.code;
    if (typeof e !== "object") break;
    const name = (e as { name?: unknown }).name;
    if (name === "AbortError") return "Canceled";
    if (name === "TimeoutError") return "DeadlineExceeded";
    const errno = (e as { code?: unknown }).code;
    if (typeof errno === "string" && errno in nodeErrnoCodes) return nodeErrnoCodes[errno] ?? "Unknown";
    e = (e as { cause?: unknown }).cause;
  }
  return "Unknown";
}
