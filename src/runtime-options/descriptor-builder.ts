/**
 * Builds protobuf-es descriptors for small proto3 messages from a field table.
 *
 * The built-in runtime option types are three flat proto3 messages of
 * strings, bools and uint32s. Describing them as a field table, turning the
 * table into a `google.protobuf.FileDescriptorProto` and handing that to
 * protobuf-es's `createFileRegistry` gives real message descriptors: the
 * regular `create`, `toBinary`, `fromBinary` and `equals` then work on them,
 * and TOML decoding walks the same descriptors as for custom types. This
 * keeps the wire format in protobuf-es instead of hand-written
 * `BinaryWriter` code, and needs no generation step or checked-in
 * generated files.
 *
 * @packageDocumentation
 */
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";

/** @internal One field of a flat proto3 message. */
export interface FlatField {
  readonly name: string;
  readonly number: number;
  readonly type: "string" | "bool" | "uint32" | "bytes";
}

const typeOf: Readonly<Record<FlatField["type"], FieldDescriptorProto_Type>> = {
  string: FieldDescriptorProto_Type.STRING,
  bool: FieldDescriptorProto_Type.BOOL,
  uint32: FieldDescriptorProto_Type.UINT32,
  bytes: FieldDescriptorProto_Type.BYTES,
};

/**
 * @internal The descriptor of a flat proto3 message `pkg.name` with `fields`.
 */
export function flatMessageDesc(pkg: string, name: string, fields: readonly FlatField[]): DescMessage {
  const file = create(FileDescriptorProtoSchema, {
    name: `crikit/runtime-options/${pkg.replaceAll(".", "/")}/${name}.proto`,
    package: pkg,
    syntax: "proto3",
    messageType: [
      {
        name,
        field: fields.map((f) => ({
          name: f.name,
          number: f.number,
          label: FieldDescriptorProto_Label.OPTIONAL,
          type: typeOf[f.type],
          jsonName: protoCamelCase(f.name),
        })),
      },
    ],
  });
  const desc = createFileRegistry(file, () => undefined).getMessage(`${pkg}.${name}`);
  if (desc === undefined) throw new Error(`descriptor for ${pkg}.${name} was not built`);
  return desc;
}
