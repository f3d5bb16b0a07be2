/**
 * Field-by-field checks driven by the message descriptors, the same for
 * every request: each enum field holds a value its enum defines, and no
 * string or bytes field holds a NUL byte (the kernel cuts argv, environment
 * strings, paths, hostnames and label values at the first NUL; runc and CNI
 * would act on a different value than the one recorded).
 *
 * Field paths use the proto names as the CRI documents them:
 * `config.linux.security_context.namespace_options.network`,
 * `config.mounts[2].propagation`, `config.labels["app"]`.
 *
 * @packageDocumentation
 */
import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { invalidArgument } from "../errors.js";

/** How deep the walk goes; CRI messages nest far less, so deeper input is refused. */
const MAX_DEPTH = 32;

function join(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

function enumNames(e: DescEnum): string {
  return e.values.map((v) => `${v.name} (${v.number})`).join(", ");
}

function checkEnum(e: DescEnum, v: unknown, path: string): void {
  if (typeof v !== "number" || !e.values.some((x) => x.number === v)) {
    throw invalidArgument(`${path} is ${String(v)}, which ${e.name} does not define; accepted: ${enumNames(e)}`, path);
  }
}

function describeNul(path: string, what: string): never {
  throw invalidArgument(`${path} contains a NUL byte; ${what} cannot hold one (the kernel would cut it there)`, path);
}

function checkScalar(t: ScalarType, v: unknown, path: string): void {
  if (t === ScalarType.STRING) {
    if (typeof v === "string" && v.includes("\0")) describeNul(path, "a string");
  } else if (t === ScalarType.BYTES) {
    if (v instanceof Uint8Array && v.includes(0)) describeNul(path, "a value");
  }
}

function fieldValue(msg: Record<string, unknown>, f: DescField): unknown {
  if (f.oneof !== undefined) {
    const o = msg[f.oneof.localName] as { case?: string; value?: unknown } | undefined;
    return o?.case === f.localName ? o.value : undefined;
  }
  return msg[f.localName];
}

function walk(schema: DescMessage, msg: unknown, path: string, depth: number): void {
  if (msg === undefined || msg === null || typeof msg !== "object") return;
  if (depth > MAX_DEPTH) throw invalidArgument(`${path || "request"} nests deeper than ${MAX_DEPTH} levels`, path);
  const m = msg as Record<string, unknown>;
  for (const f of schema.fields) {
    const v = fieldValue(m, f);
    if (v === undefined || v === null) continue;
    const p = join(path, f.name);
    switch (f.fieldKind) {
      case "scalar":
        checkScalar(f.scalar, v, p);
        break;
      case "enum":
        checkEnum(f.enum, v, p);
        break;
      case "message":
        walk(f.message, v, p, depth + 1);
        break;
      case "list": {
        const list = v as readonly unknown[];
        list.forEach((item, i) => {
          const pi = `${p}[${i}]`;
          if (f.listKind === "scalar") checkScalar(f.scalar, item, pi);
          else if (f.listKind === "enum") checkEnum(f.enum, item, pi);
          else walk(f.message, item, pi, depth + 1);
        });
        break;
      }
      case "map": {
        for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
          const pk = `${p}[${JSON.stringify(k)}]`;
          if (k.includes("\0")) describeNul(`${p} key ${JSON.stringify(k)}`, "a key");
          if (f.mapKind === "scalar") checkScalar(f.scalar, item, pk);
          else if (f.mapKind === "enum") checkEnum(f.enum, item, pk);
          else walk(f.message, item, pk, depth + 1);
        }
        break;
      }
    }
  }
}

/**
 * Checks every field of `message` (of type `schema`) that the descriptors
 * can judge alone: enum values must be defined by their enum (an unknown
 * number is refused, never taken as the zero value), and strings, bytes,
 * map keys and list items must not contain a NUL byte.
 *
 * @param prefix - the field path of `message` inside the request, for messages.
 * @throws `InvalidArgument` naming the field and what is accepted, for
 *   instance `config.mounts[0].propagation is 99, which MountPropagation does
 *   not define; accepted: PROPAGATION_PRIVATE (0), ...`.
 *
 * @public
 */
export function validateMessageFields(schema: DescMessage, message: unknown, prefix = ""): void {
  walk(schema, message, prefix, 0);
}
