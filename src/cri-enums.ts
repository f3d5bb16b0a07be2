/**
 * The CRI (`runtime.v1`) enums as plain constant objects, with no run-time
 * import: `ContainerState.CONTAINER_RUNNING` is `1`. The same definitions
 * that `crikit/cri` exports (api_pb.ts re-exports them), without loading
 * @bufbuild/protobuf or the CRI file descriptor, which `crikit/cri`
 * builds when it is imported (about 20 MiB). The pure building blocks
 * (`crikit/spec`, `crikit/status`) import enum values from here and message
 * types with `import type`.
 *
 * @packageDocumentation
 */
export * from "./gen/runtime/v1/api_enums.js";
