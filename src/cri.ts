/**
 * The one gateway to the generated CRI (`runtime.v1`, k8s.io/cri-api v0.36.3)
 * types. Nothing else in crikit imports `src/gen` directly, except
 * `src/cri-enums.ts` for the enums alone (see there).
 *
 * @remarks
 * Importing this module builds the CRI file descriptor (the message and
 * service schemas, `*Schema`), which loads @bufbuild/protobuf's reflection:
 * about 90 ms and 20 MiB in a fresh process. Code that needs only enum values
 * imports `crikit/cri/enums`; code that needs only message types uses
 * `import type`.
 *
 * @packageDocumentation
 */
export * from "./gen/runtime/v1/api_pb.js";
