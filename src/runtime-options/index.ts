/**
 * Runtime options: a runtime handler's TOML `options` section decoded by
 * runtime type and packed into a protobuf `Any`, as containerd's CRI plugin
 * does, plus option types registered at run time from `.proto` text.
 *
 * @packageDocumentation
 */
export {
  GenericRuntimeOptionsSchema,
  LegacyRuncOptionsSchema,
  RuncOptionsSchema,
  RuntimeOptionsTypeUrl,
  RuntimeType,
} from "./builtin-types.js";
export type { GenericRuntimeOptions, LegacyRuncOptions, RuncOptions } from "./builtin-types.js";
export {
  createRuntimeOptionsRegistry,
  decodeRuntimeOptions,
  runtimeOptionsFromAny,
  runtimeOptionsToAny,
} from "./registry.js";
export type { DecodedRuntimeOptions, RuntimeOptionsRegistry, RuntimeOptionsSection } from "./registry.js";
