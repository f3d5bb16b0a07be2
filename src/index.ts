/**
 * crikit: building blocks for Kubernetes CRI runtimes.
 *
 * Everything public is listed here by name. The optional CRI server lives in
 * `crikit/transport`.
 *
 * @packageDocumentation
 */

// --- CRI types (generated from runtime.v1) ----------------------------------
export * as cri from "./cri.js";

// --- errors -----------------------------------------------------------------
export { CrikitError, ErrorCode, isCrikitError, hasErrorCode, errorCodeOf, notFound, alreadyExists, invalidArgument, failedPrecondition, unimplemented } from "./errors.js";
export type { ErrorCodeName } from "./errors.js";
