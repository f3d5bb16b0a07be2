/**
 * `.proto` text to a protobuf-es file descriptor, with protobufjs.
 *
 * This is protobufjs' only job in crikit: a custom runtime's option type
 * arrives as `.proto` text at run time, and protobufjs parses it. Its
 * reflection objects are then converted into a
 * `google.protobuf.FileDescriptorProto` that protobuf-es loads with
 * `createFileRegistry`, so encoding, decoding and TOML mapping use the same
 * protobuf-es code as the built-in option types, and no protobufjs type
 * reaches the public API.
 *
 * Supported: one self-contained proto3 file (messages, nested messages,
 * enums, repeated fields, maps, oneofs, proto3 `optional`). Rejected with
 * InvalidArgument: other syntaxes and editions, imports, and text protobufjs
 * cannot parse or resolve. Services and options are ignored.
 *
 * @packageDocumentation
 */
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";
import {
  DescriptorProtoSchema,
  EnumDescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import type * as protobuf from "protobufjs";
import { CrikitError, invalidArgument } from "../errors.js";
import { lazyRequire } from "../lazy.js";

/** protobufjs, loaded by the first `.proto` text parsed. */
const pb = lazyRequire<typeof protobuf>("protobufjs");

const scalarTypes: Readonly<Record<string, FieldDescriptorProto_Type>> = {
  double: FieldDescriptorProto_Type.DOUBLE,
  float: FieldDescriptorProto_Type.FLOAT,
  int64: FieldDescriptorProto_Type.INT64,
  uint64: FieldDescriptorProto_Type.UINT64,
  int32: FieldDescriptorProto_Type.INT32,
  fixed64: FieldDescriptorProto_Type.FIXED64,
  fixed32: FieldDescriptorProto_Type.FIXED32,
  bool: FieldDescriptorProto_Type.BOOL,
  string: FieldDescriptorProto_Type.STRING,
  bytes: FieldDescriptorProto_Type.BYTES,
  uint32: FieldDescriptorProto_Type.UINT32,
  sfixed32: FieldDescriptorProto_Type.SFIXED32,
  sfixed64: FieldDescriptorProto_Type.SFIXED64,
  sint32: FieldDescriptorProto_Type.SINT32,
  sint64: FieldDescriptorProto_Type.SINT64,
};

type DescriptorInit = MessageInitShape<typeof DescriptorProtoSchema>;
type FieldInit = NonNullable<DescriptorInit["field"]>[number];
type EnumInit = MessageInitShape<typeof EnumDescriptorProtoSchema>;

function bad(what: string, problem: string, cause?: unknown): CrikitError {
  return new CrikitError("InvalidArgument", `invalid option type ${what}: ${problem}`, {
    cause,
    details: { field: "protoText" },
  });
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
}

/** `my_field` gives `MyFieldEntry`, as protoc names map entry messages. */
function mapEntryName(fieldName: string): string {
  const camel = protoCamelCase(fieldName);
  return camel.charAt(0).toUpperCase() + camel.slice(1) + "Entry";
}

function typeRef(field: protobuf.Field, what: string): Pick<FieldInit, "type" | "typeName"> {
  const scalar = scalarTypes[field.type];
  if (scalar !== undefined) return { type: scalar };
  const resolved = field.resolvedType;
  if (resolved instanceof pb().Enum) return { type: FieldDescriptorProto_Type.ENUM, typeName: resolved.fullName };
  if (resolved instanceof pb().Type) return { type: FieldDescriptorProto_Type.MESSAGE, typeName: resolved.fullName };
  throw bad(what, `field "${field.name}" has unresolved type "${field.type}"`);
}

function convertEnum(e: protobuf.Enum): EnumInit {
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

function convertType(t: protobuf.Type, what: string): DescriptorInit {
  const oneofs = t.oneofsArray;
  const nestedType: DescriptorInit[] = [];
  const field: FieldInit[] = t.fieldsArray.map((f) => {
    const base: FieldInit = { name: f.name, number: f.id, jsonName: protoCamelCase(f.name) };
    if (f instanceof pb().MapField) {
      const entry = mapEntryName(f.name);
      const keyType = scalarTypes[f.keyType];
      if (keyType === undefined) throw bad(what, `map field "${f.name}" has an invalid key type "${f.keyType}"`);
      nestedType.push({
        name: entry,
        field: [
          { name: "key", number: 1, jsonName: "key", label: FieldDescriptorProto_Label.OPTIONAL, type: keyType },
          { name: "value", number: 2, jsonName: "value", label: FieldDescriptorProto_Label.OPTIONAL, ...typeRef(f, what) },
        ],
        options: { mapEntry: true },
      });
      return {
        ...base,
        label: FieldDescriptorProto_Label.REPEATED,
        type: FieldDescriptorProto_Type.MESSAGE,
        typeName: `${t.fullName}.${entry}`,
      };
    }
    const out: FieldInit = {
      ...base,
      ...typeRef(f, what),
      label: f.repeated ? FieldDescriptorProto_Label.REPEATED : FieldDescriptorProto_Label.OPTIONAL,
    };
    if (f.partOf !== null) out.oneofIndex = oneofs.indexOf(f.partOf);
    const opts = f.options as Record<string, unknown> | undefined;
    if (opts?.["proto3_optional"] === true) out.proto3Optional = true;
    return out;
  });
  for (const n of t.nestedArray) {
    if (n instanceof pb().Type) nestedType.push(convertType(n, what));
  }
  return {
    name: t.name,
    field,
    nestedType,
    enumType: t.nestedArray.filter((n): n is protobuf.Enum => n instanceof pb().Enum).map(convertEnum),
    oneofDecl: oneofs.map((o) => ({ name: o.name })),
  };
}

/**
 * @internal Parses proto3 text and returns the descriptor of `messageName`
 * (a full name, or a name relative to the file's package).
 */
export function messageDescFromProtoText(protoText: string, messageName: string, fileName: string): DescMessage {
  const what = `"${messageName}"`;
  const syntax = /^\s*(syntax|edition)\s*=\s*"([^"]*)"\s*;/m.exec(stripComments(protoText));
  if (syntax === null || syntax[1] !== "syntax" || syntax[2] !== "proto3") {
    throw bad(what, 'the .proto text must declare syntax = "proto3"');
  }
  let parsed: protobuf.IParserResult;
  try {
    parsed = pb().parse(protoText, { keepCase: true });
    parsed.root.resolveAll();
  } catch (e) {
    throw bad(what, `cannot parse the .proto text: ${(e as Error).message}`, e);
  }
  if ((parsed.imports?.length ?? 0) > 0 || (parsed.weakImports?.length ?? 0) > 0) {
    throw bad(what, `imports are not supported (${[...(parsed.imports ?? []), ...(parsed.weakImports ?? [])].join(", ")})`);
  }
  const pkg = parsed.package ?? "";
  const ns = pkg === "" ? parsed.root : parsed.root.lookup(pkg);
  if (!(ns instanceof pb().Namespace)) throw bad(what, `package "${pkg}" not found`);
  const file = create(FileDescriptorProtoSchema, {
    name: fileName,
    package: pkg,
    syntax: "proto3",
    messageType: ns.nestedArray.filter((n): n is protobuf.Type => n instanceof pb().Type).map((t) => convertType(t, what)),
    enumType: ns.nestedArray.filter((n): n is protobuf.Enum => n instanceof pb().Enum).map(convertEnum),
  });
  let desc: DescMessage | undefined;
  try {
    const registry = createFileRegistry(file, () => undefined);
    desc = registry.getMessage(messageName) ?? (pkg === "" ? undefined : registry.getMessage(`${pkg}.${messageName}`));
  } catch (e) {
    throw bad(what, `the .proto text does not describe valid messages: ${(e as Error).message}`, e);
  }
  if (desc === undefined) throw invalidArgument(`option type "${messageName}" is not a message in the .proto text`, "messageName");
  return desc;
}
