/**
 * Runtime options: a runtime handler's TOML `options` section, decoded by
 * runtime type, packed into a protobuf `Any` and unpacked again.
 *
 * Flow (containerd's CRI plugin, `GenerateRuntimeOptions`):
 *
 * ```
 * [runtimes.<handler>] runtime_type = "..."      decodeToml(runtimeType, section)
 * [runtimes.<handler>.options] ...  ───────────▶  DecodedRuntimeOptions
 *                                                  │ toAny
 *                                                  ▼
 *                                  Any { typeUrl: <message full name>, value }
 *                                                  │ fromAny
 *                                                  ▼
 *                                           DecodedRuntimeOptions
 * ```
 *
 * Selection by runtime type: `io.containerd.runc.v1` and `.v2` decode to
 * {@link RuncOptions}; `io.containerd.runtime.v1.linux` to
 * {@link LegacyRuncOptions}; a runtime type registered with
 * `registerRuntimeOptionType` to its own message; anything else to
 * {@link GenericRuntimeOptions}, whose `TypeUrl` and `ConfigPath` keys are
 * read and whose other keys belong to the runtime: when `ConfigPath` is empty
 * the whole section is re-serialized as TOML into `configBody` (smol-toml's
 * output, equal in content, not byte for byte, to go-toml's).
 *
 * A handler with no `options` section at all is not decoded here: containerd
 * then passes no options, except for the legacy Linux runtime, where it builds
 * `RuncOptions` from the handler's `runtime_engine` and `runtime_root` and the
 * plugin-wide `systemd_cgroup`; a caller that supports that legacy form can
 * create `LegacyRuncOptionsSchema` from those values itself.
 *
 * Key spelling and unknown-key rules are in `toml-mapping.ts`: Go names
 * (`BinaryName`), proto names (`binary_name`) and JSON names are accepted,
 * unknown keys are InvalidArgument (generic options excepted).
 *
 * @packageDocumentation
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import type * as SmolToml from "smol-toml";
import { lazyRequire } from "../lazy.js";
import { CrikitError, alreadyExists, invalidArgument } from "../errors.js";
import {
  GenericRuntimeOptionsSchema,
  LegacyRuncOptionsSchema,
  RuncOptionsSchema,
  RuntimeOptionsTypeUrl,
  RuntimeType,
} from "./builtin-types.js";
import type { GenericRuntimeOptions, LegacyRuncOptions, RuncOptions } from "./builtin-types.js";
import { messageDescFromProtoText } from "./proto-text.js";
import { messageFromToml } from "./toml-mapping.js";

/** smol-toml, loaded by the first options section given as TOML text. */
const smolToml = lazyRequire<typeof SmolToml>("smol-toml");

/**
 * Runtime options decoded from TOML or from an `Any`, tagged by kind.
 *
 * @public
 */
export type DecodedRuntimeOptions =
  | { readonly kind: "runc"; readonly options: RuncOptions }
  | { readonly kind: "legacy-runc"; readonly options: LegacyRuncOptions }
  | { readonly kind: "generic"; readonly options: GenericRuntimeOptions }
  | {
      readonly kind: "custom";
      /** The message, a protobuf-es message of type `schema`. */
      readonly options: Message;
      /** The registered message descriptor (use it with `toJson`, `equals`...). */
      readonly schema: DescMessage;
    };

/**
 * A TOML `options` section: its text, or a table already parsed (for example
 * with smol-toml, as a sub-table of a larger config).
 *
 * @public
 */
export type RuntimeOptionsSection = string | Readonly<Record<string, unknown>>;

/**
 * Decodes runtime options; holds the option types registered for custom
 * runtimes.
 *
 * @public
 */
export interface RuntimeOptionsRegistry {
  /**
   * Registers the option type of a custom runtime from `.proto` text
   * (self-contained proto3). Its type URL is the message's full name.
   *
   * @param runtimeType - The `runtime_type`, such as `io.containerd.kata.v2`.
   * @param protoText - The `.proto` source.
   * @param messageName - The message, by full name or relative to the file's package.
   * @returns The message descriptor.
   * @throws CrikitError InvalidArgument for bad `.proto` text, a missing
   * message, or a runtime type or message name that is built in;
   * AlreadyExists when the runtime type or type URL is already registered.
   */
  registerRuntimeOptionType(runtimeType: string, protoText: string, messageName: string): DescMessage;
  /**
   * Decodes a TOML `options` section for `runtimeType`.
   *
   * @throws CrikitError InvalidArgument for TOML that does not parse, an
   * unknown key, or a value of the wrong type, naming the key.
   */
  decodeToml(runtimeType: string, section: RuntimeOptionsSection): DecodedRuntimeOptions;
  /** Packs decoded options into an `Any` with containerd's type URL. */
  toAny(options: DecodedRuntimeOptions): Any;
  /**
   * Unpacks an `Any` whose type URL is a built-in or registered option type.
   * A `type.googleapis.com/`-style prefix is ignored.
   *
   * @throws CrikitError InvalidArgument for an unknown type URL or bytes that
   * do not decode.
   */
  fromAny(any: Any): DecodedRuntimeOptions;
}

interface CustomType {
  readonly runtimeType: string;
  readonly schema: DescMessage;
}

const builtinByTypeUrl: ReadonlyMap<string, DescMessage> = new Map<string, DescMessage>([
  [RuntimeOptionsTypeUrl.Runc, RuncOptionsSchema],
  [RuntimeOptionsTypeUrl.LegacyRunc, LegacyRuncOptionsSchema],
  [RuntimeOptionsTypeUrl.Generic, GenericRuntimeOptionsSchema],
]);
const builtinRuntimeTypes: ReadonlySet<string> = new Set(Object.values(RuntimeType));

function sectionTable(runtimeType: string, section: RuntimeOptionsSection): Readonly<Record<string, unknown>> {
  if (typeof section !== "string") return section;
  try {
    return smolToml().parse(section, { integersAsBigInt: "asNeeded" });
  } catch (e) {
    throw new CrikitError(
      "InvalidArgument",
      `options of runtime type "${runtimeType}" are not valid TOML: ${(e as Error).message.split("\n")[0] ?? ""}`,
      { cause: e, details: { field: "options" } },
    );
  }
}

function wrap(schema: DescMessage, message: Message, custom: boolean): DecodedRuntimeOptions {
  if (custom) return { kind: "custom", options: message, schema };
  switch (schema.typeName) {
    case RuntimeOptionsTypeUrl.Runc:
      return { kind: "runc", options: message as RuncOptions };
    case RuntimeOptionsTypeUrl.LegacyRunc:
      return { kind: "legacy-runc", options: message as LegacyRuncOptions };
    default:
      return { kind: "generic", options: message as GenericRuntimeOptions };
  }
}

function decodeGeneric(runtimeType: string, table: Readonly<Record<string, unknown>>): GenericRuntimeOptions {
  const options = messageFromToml(GenericRuntimeOptionsSchema, table, { runtimeType, path: [] }, {
    allowUnknownKeys: true,
  }) as GenericRuntimeOptions;
  if (options.configPath === "") {
    options.configBody = new TextEncoder().encode(smolToml().stringify(table));
  }
  return options;
}

/**
 * A new registry that knows the built-in option types and no custom ones.
 *
 * @example
 * ```ts
 * const registry = createRuntimeOptionsRegistry();
 * const decoded = registry.decodeToml("io.containerd.runc.v2", 'BinaryName = "/usr/bin/crun"\nSystemdCgroup = true');
 * const any = registry.toAny(decoded); // typeUrl "containerd.runc.v1.Options"
 * ```
 *
 * @public
 */
export function createRuntimeOptionsRegistry(): RuntimeOptionsRegistry {
  const customByRuntime = new Map<string, CustomType>();
  const customByTypeUrl = new Map<string, CustomType>();
  return {
    registerRuntimeOptionType(runtimeType, protoText, messageName) {
      if (runtimeType === "") throw invalidArgument("runtime type must not be empty", "runtimeType");
      if (builtinRuntimeTypes.has(runtimeType)) {
        throw invalidArgument(`runtime type "${runtimeType}" has a built-in option type`, "runtimeType");
      }
      const existing = customByRuntime.get(runtimeType);
      if (existing !== undefined) {
        throw alreadyExists(`runtime type "${runtimeType}" already has option type "${existing.schema.typeName}"`, {
          runtimeType,
        });
      }
      const schema = messageDescFromProtoText(protoText, messageName, `crikit/runtime-options/custom/${runtimeType}.proto`);
      if (builtinByTypeUrl.has(schema.typeName)) {
        throw invalidArgument(`option type "${schema.typeName}" is a built-in type URL`, "messageName");
      }
      const other = customByTypeUrl.get(schema.typeName);
      if (other !== undefined) {
        throw alreadyExists(
          `option type "${schema.typeName}" is already registered for runtime type "${other.runtimeType}"`,
          { runtimeType: other.runtimeType },
        );
      }
      const entry = { runtimeType, schema };
      customByRuntime.set(runtimeType, entry);
      customByTypeUrl.set(schema.typeName, entry);
      return schema;
    },

    decodeToml(runtimeType, section) {
      const table = sectionTable(runtimeType, section);
      const ctx = { runtimeType, path: [] };
      switch (runtimeType) {
        case RuntimeType.RuncV1:
        case RuntimeType.RuncV2:
          return { kind: "runc", options: messageFromToml(RuncOptionsSchema, table, ctx) as RuncOptions };
        case RuntimeType.LinuxV1:
          return {
            kind: "legacy-runc",
            options: messageFromToml(LegacyRuncOptionsSchema, table, ctx) as LegacyRuncOptions,
          };
      }
      const custom = customByRuntime.get(runtimeType);
      if (custom !== undefined) {
        return { kind: "custom", options: messageFromToml(custom.schema, table, ctx), schema: custom.schema };
      }
      return { kind: "generic", options: decodeGeneric(runtimeType, table) };
    },

    toAny(decoded) {
      const schema = decoded.kind === "custom" ? decoded.schema : builtinByTypeUrl.get(decoded.options.$typeName);
      if (schema === undefined) {
        throw invalidArgument(`unknown runtime option type "${decoded.options.$typeName}"`, "options");
      }
      return create(AnySchema, { typeUrl: schema.typeName, value: toBinary(schema, decoded.options) });
    },

    fromAny(any) {
      const typeName = any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
      const custom = customByTypeUrl.get(typeName);
      const schema = custom?.schema ?? builtinByTypeUrl.get(typeName);
      if (schema === undefined) {
        throw invalidArgument(
          `unknown runtime option type URL "${any.typeUrl}": not built in and not registered`,
          "options.typeUrl",
        );
      }
      let message: Message;
      try {
        message = fromBinary(schema, any.value);
      } catch (e) {
        throw new CrikitError("InvalidArgument", `runtime options of type "${typeName}" do not decode`, {
          cause: e,
          details: { field: "options.value" },
        });
      }
      return wrap(schema, message, custom !== undefined);
    },
  };
}

const builtinOnly = createRuntimeOptionsRegistry();

/**
 * Decodes a TOML `options` section with the built-in option types only (see
 * {@link RuntimeOptionsRegistry.decodeToml}).
 *
 * @public
 */
export function decodeRuntimeOptions(runtimeType: string, section: RuntimeOptionsSection): DecodedRuntimeOptions {
  return builtinOnly.decodeToml(runtimeType, section);
}

/**
 * Packs built-in runtime options into an `Any` (see
 * {@link RuntimeOptionsRegistry.toAny}).
 *
 * @public
 */
export function runtimeOptionsToAny(options: DecodedRuntimeOptions): Any {
  return builtinOnly.toAny(options);
}

/**
 * Unpacks an `Any` holding built-in runtime options (see
 * {@link RuntimeOptionsRegistry.fromAny}).
 *
 * @public
 */
export function runtimeOptionsFromAny(any: Any): DecodedRuntimeOptions {
  return builtinOnly.fromAny(any);
}
