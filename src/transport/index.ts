/**
 * crikit/transport: serves the CRI (`runtime.v1` RuntimeService and
 * ImageService) over gRPC on a unix socket with Connect.
 *
 * @packageDocumentation
 */
export { grpcCodeOf } from "./codes.js";
