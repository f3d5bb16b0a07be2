/**
 * Encoding of list answers (ListContainers, ListPodSandbox, ListImages and
 * their Stream* forms) with each element's wire bytes kept while the element
 * object stays the same.
 *
 * A repeated message field is, on the wire, one `tag, length, bytes` record
 * per element, so the bytes of an element do not depend on its neighbours.
 * When a handler returns elements that are frozen objects, this encodes
 * each one once, remembers its bytes in a `WeakMap` keyed by the object, and
 * builds the answer from those records (as unknown fields of a message whose
 * repeated field is left empty; protobuf-es writes them verbatim). The bytes
 * on the wire are those a full encoding gives. An element that is not frozen
 * is encoded anew on every call.
 *
 * The contract for a handler that wants the saving: a frozen element is
 * taken as immutable together with everything it references (freeze it
 * deeply), and a changed element is a new object. crikit's CriService
 * returns such elements, one per store record, built once per record
 * version.
 *
 * Why: with 1,000 containers, encoding ListContainersResponse with protobuf-es
 * took 6 ms (most of it in the label and annotation maps), a call's main
 * cost on the server; with the bytes kept, an unchanged list costs a copy.
 *
 * @packageDocumentation
 */
import { create, toBinary, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";

const encoded = new WeakMap<object, Uint8Array>();

function varint(n: number, into: Uint8Array, at: number): number {
  let p = at;
  let v = n;
  while (v > 0x7f) {
    into[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  into[p++] = v;
  return p;
}

function varintSize(n: number): number {
  let s = 1;
  for (let v = n; v > 0x7f; v >>>= 7) s++;
  return s;
}

/** Length prefix and bytes of one element. */
function elementRecord(schema: DescMessage, el: object): Uint8Array {
  const hit = encoded.get(el);
  if (hit !== undefined) return hit;
  const body = toBinary(schema, create(schema, el as never));
  const out = new Uint8Array(varintSize(body.length) + body.length);
  out.set(body, varint(body.length, out, 0));
  if (Object.isFrozen(el)) encoded.set(el, out);
  return out;
}

function repeatedMessageField(schema: DescMessage, localName: string): (DescField & { fieldKind: "list"; listKind: "message" }) | undefined {
  const f = schema.fields.find((x) => x.localName === localName);
  return f !== undefined && f.fieldKind === "list" && f.listKind === "message" ? (f as DescField & { fieldKind: "list"; listKind: "message" }) : undefined;
}

/**
 * The message for `init` (an answer of type `schema`) with the repeated
 * message field `field` carried as pre-encoded records (see the file
 * header). Other fields are set as usual.
 *
 * @internal
 */
export function withCachedElements<T extends object>(schema: DescMessage, field: string, init: T): T {
  const f = repeatedMessageField(schema, field);
  const elements = (init as Record<string, unknown>)[field];
  if (f === undefined || !Array.isArray(elements) || elements.length === 0) return init;
  const msg = create(schema, { ...init, [field]: [] } as never) as unknown as { $unknown?: { no: number; wireType: WireType; data: Uint8Array }[] };
  const unknown = msg.$unknown ? [...msg.$unknown] : [];
  for (const el of elements as object[]) unknown.push({ no: f.number, wireType: WireType.LengthDelimited, data: elementRecord(f.message, el) });
  msg.$unknown = unknown;
  return msg as unknown as T;
}
