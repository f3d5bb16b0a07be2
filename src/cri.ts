/**
 * The one gateway to the generated CRI (`runtime.v1`, k8s.io/cri-api v0.36.3)
 * types. Nothing else in crikit imports `src/gen` directly.
 *
 * @packageDocumentation
 */
export * from "./gen/runtime/v1/api_pb.js";
