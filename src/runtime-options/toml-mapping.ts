/**
 * TOML table to protobuf message, by descriptor.
 *
 * Key matching: containerd decodes a runtime's `options` table with go-toml
 * into the Go struct generated from the option proto; go-toml matches keys
 * to Go field names ignoring case, so containerd's configs write
 * `BinaryName`, `SystemdCgroup`, `IoUid`. Here a key names a field when it
 * equals the field's proto name after ignoring case and underscores, which
 * accepts those Go names and also the proto names (`binary_name`) and JSON
 * names (`binaryName`). If two fields of one message collide under that rule,
 * only their exact proto or JSON names are accepted.
 *
 * Unknown keys are an error (InvalidArgument naming the key and listing the
 * known ones), where containerd ignores them: a misspelt `SystemdCgroup`
 * silently leaves the cgroup driver wrong, and these sections are read once
 * at start-up, where failing is cheap. A key given twice under two spellings
 * is also an error.
 *
 * Values: TOML strings, booleans, integers, floats, arrays and tables map to
 * the matching proto kinds; integers are range-checked for 32- and 64-bit
 * fields; enums take a value name or number; bytes take a string (UTF-8);
 * maps take a table and need string keys. A member of a oneof sets that
 * oneof; setting two members of one oneof is an error.
 *
 * @packageDocumentation
 */
import { ScalarType, create } from "@bufbuild/protobuf";
import type { DescEnum, DescField, DescMessage, Message } from "@bufbuild/protobuf";
import { invalidArgument } from "../errors.js";

/** @internal Where a TOML value sits, for error messages. */
export interface TomlContext {
  /** The runtime type whose options are decoded. */
  readonly runtimeType: string;
  /** Key path inside the options table, such as `["Inner", "Level"]`. */
  readonly path: readonly string[];
}

/** @internal The Go field name protoc-gen-go gives a proto field: `io_uid` is `IoUid`. */
export function goFieldName(protoName: string): string {
  return protoName
    .split("_")
    .filter((p) => p !== "")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

function loose(key: string): string {
  return key.replaceAll("_", "").toLowerCase();
}

/** @internal Whether `v` is a TOML table (a plain object, not an array or date). */
export function isTomlTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function where(ctx: TomlContext): string {
  return ctx.path.length === 0 ? "the options table" : `"${ctx.path.join(".")}"`;
}

function fail(ctx: TomlContext, problem: string): never {
  throw invalidArgument(
    `options of runtime type "${ctx.runtimeType}": ${where(ctx)} ${problem}`,
    ["options", ...ctx.path].join("."),
  );
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}`;
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  if (isTomlTable(v)) return "a table";
  return String(v);
}

/** @internal Finds the field a TOML key names, or undefined. */
export function fieldIndex(desc: DescMessage): (key: string) => DescField | undefined {
  const exact = new Map<string, DescField>();
  const byLoose = new Map<string, DescField | null>();
  for (const f of desc.fields) {
    exact.set(f.name, f);
    exact.set(f.jsonName, f);
    const k = loose(f.name);
    byLoose.set(k, byLoose.has(k) ? null : f);
  }
  return (key) => exact.get(key) ?? byLoose.get(loose(key)) ?? undefined;
}

const int32Range: Readonly<Partial<Record<ScalarType, readonly [bigint, bigint]>>> = {
  [ScalarType.INT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SINT32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.SFIXED32]: [-(2n ** 31n), 2n ** 31n - 1n],
  [ScalarType.UINT32]: [0n, 2n ** 32n - 1n],
  [ScalarType.FIXED32]: [0n, 2n ** 32n - 1n],
};
const int64Range: Readonly<Partial<Record<ScalarType, readonly [bigint, bigint]>>> = {
  [ScalarType.INT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SINT64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.SFIXED64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [ScalarType.UINT64]: [0n, 2n ** 64n - 1n],
  [ScalarType.FIXED64]: [0n, 2n ** 64n - 1n],
};

function asInteger(v: unknown): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  return undefined;
}

function scalarFromToml(type: ScalarType, longAsString: boolean, v: unknown, ctx: TomlContext): unknown {
  switch (type) {
    case ScalarType.STRING:
      if (typeof v !== "string") fail(ctx, `must be a string, got ${show(v)}`);
      return v;
    case ScalarType.BOOL:
      if (typeof v !== "boolean") fail(ctx, `must be true or false, got ${show(v)}`);
      return v;
    case ScalarType.BYTES:
      if (typeof v !== "string") fail(ctx, `must be a string, got ${show(v)}`);
      return new TextEncoder().encode(v);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof v === "number") return v;
      if (typeof v === "bigint") return Number(v);
      return fail(ctx, `must be a number, got ${show(v)}`);
  }
  const r32 = int32Range[type];
  const r64 = int64Range[type];
  const range = r32 ?? r64;
  if (range === undefined) return fail(ctx, "has an unsupported field type");
  const n = asInteger(v);
  if (n === undefined || n < range[0] || n > range[1]) {
    fail(ctx, `must be an integer from ${range[0]} to ${range[1]}, got ${show(v)}`);
  }
  if (r32 !== undefined) return Number(n);
  return longAsString ? n.toString() : n;
}

function enumFromToml(e: DescEnum, v: unknown, ctx: TomlContext): number {
  if (typeof v === "string") {
    const value = e.values.find((x) => x.name === v);
    if (value === undefined) fail(ctx, `must be one of ${e.values.map((x) => x.name).join(", ")}, got ${show(v)}`);
    return value.number;
  }
  const n = asInteger(v);
  if (n !== undefined && n >= -(2n ** 31n) && n < 2n ** 31n) return Number(n);
  return fail(ctx, `must be an enum value name or number, got ${show(v)}`);
}

function valueFromToml(
  kind: "scalar" | "enum" | "message",
  field: DescField,
  v: unknown,
  ctx: TomlContext,
): unknown {
  if (kind === "message") {
    if (field.message === undefined) return fail(ctx, "has no message type");
    if (!isTomlTable(v)) fail(ctx, `must be a table, got ${show(v)}`);
    return messageFromToml(field.message, v, ctx);
  }
  if (kind === "enum") {
    if (field.enum === undefined) return fail(ctx, "has no enum type");
    return enumFromToml(field.enum, v, ctx);
  }
  if (field.scalar === undefined) return fail(ctx, "has no scalar type");
  const longAsString = "longAsString" in field && field.longAsString === true;
  return scalarFromToml(field.scalar, longAsString, v, ctx);
}

function fieldFromToml(field: DescField, v: unknown, ctx: TomlContext): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return scalarFromToml(field.scalar, field.longAsString, v, ctx);
    case "enum":
      return enumFromToml(field.enum, v, ctx);
    case "message":
      if (!isTomlTable(v)) fail(ctx, `must be a table, got ${show(v)}`);
      return messageFromToml(field.message, v, ctx);
    case "list": {
      if (!Array.isArray(v)) fail(ctx, `must be an array, got ${show(v)}`);
      return v.map((item: unknown, i) =>
        valueFromToml(field.listKind, field, item, { ...ctx, path: [...ctx.path.slice(0, -1), `${ctx.path.at(-1) ?? ""}[${i}]`] }),
      );
    }
    case "map": {
      if (!isTomlTable(v)) fail(ctx, `must be a table, got ${show(v)}`);
      if (field.mapKey !== ScalarType.STRING) fail(ctx, "is a map with non-string keys, which TOML cannot express");
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        out[k] = valueFromToml(field.mapKind, field, item, { ...ctx, path: [...ctx.path, k] });
      }
      return out;
    }
  }
}

/** @internal Options for {@link messageFromToml}. */
export interface MessageFromTomlOptions {
  /** Skip keys that name no field instead of failing. @defaultValue false */
  readonly allowUnknownKeys?: boolean;
}

/**
 * @internal Builds a message of type `desc` from a TOML table.
 */
export function messageFromToml(
  desc: DescMessage,
  table: Readonly<Record<string, unknown>>,
  ctx: TomlContext,
  options: MessageFromTomlOptions = {},
): Message {
  const find = fieldIndex(desc);
  const init: Record<string, unknown> = {};
  const seen = new Map<DescField, string>();
  const oneofSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(table)) {
    const field = find(key);
    const here: TomlContext = { ...ctx, path: [...ctx.path, key] };
    if (field === undefined) {
      if (options.allowUnknownKeys === true) continue;
      fail(
        here,
        `is not a field of ${desc.typeName}; known keys: ${desc.fields.map((f) => goFieldName(f.name)).join(", ")}`,
      );
    }
    const before = seen.get(field);
    if (before !== undefined) fail(here, `sets the same field as "${before}"`);
    seen.set(field, key);
    const converted = fieldFromToml(field, value, here);
    if (field.oneof === undefined) {
      init[field.localName] = converted;
      continue;
    }
    const other = oneofSeen.get(field.oneof.localName);
    if (other !== undefined) fail(here, `and "${other}" are both members of oneof "${field.oneof.name}"; set one`);
    oneofSeen.set(field.oneof.localName, key);
    init[field.oneof.localName] = { case: field.localName, value: converted };
  }
  return create(desc, init as never);
}
