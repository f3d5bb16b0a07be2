/**
 * HPACK (RFC 7541), as much of it as the authority fix needs: a decoder that
 * follows a client's encoder (static and dynamic table, Huffman strings,
 * table size updates), and an encoder that writes a header list with literal
 * fields only, so that the decoder on the other side never has to share a
 * dynamic table with it.
 *
 * The Huffman code (RFC 7541 Appendix B) is canonical: codes of one length
 * are consecutive in symbol order, and each length starts where the previous
 * one ended, shifted left. So the table is kept as the 257 code lengths
 * alone, and the codes are rebuilt from them once.
 *
 * @packageDocumentation
 */

/** An HPACK decoding error: the header block is malformed (a connection error, COMPRESSION_ERROR). */
export class HpackError extends Error {
  override readonly name = "HpackError";
}

/** A decoded header field. */
export type HeaderField = readonly [name: string, value: string];

/** RFC 7541 Appendix A. */
const STATIC_TABLE: readonly HeaderField[] = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/** The first static index of each name, for the encoder. */
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
});

/** Code length of each symbol 0..256 (256 is EOS), as `48 + length` character codes (RFC 7541 Appendix B). */
const HUFFMAN_LENGTHS =
  "=GLLLLLLLHNLLNLLLLLLLLNLLLLLLLLL6::<=68;::8;8666555666666678?6<:=67777777777777777777777878=C=>6?56565666577666567655677777?;>=LDFDDFFFGFGGGGGHGHHFGHGGGGEFGFGGHFEDFFGGEGFFHEFGGEEFEGFGGDFFFGFFGJJDCFGFIJJJKKJHICEJKKJKHEEJJLKKKDHDEFEEGFFIIHHJGJKJJKKKKKLKKKKKJN";

/**
 * Canonical decoding tables: for each code length, the first code, how many
 * codes have it, and where its symbols start in `symbols`.
 */
const huffman = (() => {
  const lengths = Array.from(HUFFMAN_LENGTHS, (c) => c.charCodeAt(0) - 48);
  const symbols = lengths.map((_, s) => s).sort((a, b) => (lengths[a] ?? 0) - (lengths[b] ?? 0) || a - b);
  const maxLen = 30;
  const first = new Array<number>(maxLen + 1).fill(0);
  const count = new Array<number>(maxLen + 1).fill(0);
  const offset = new Array<number>(maxLen + 1).fill(0);
  for (const l of lengths) count[l] = (count[l] ?? 0) + 1;
  let code = 0;
  let at = 0;
  for (let len = 1; len <= maxLen; len++) {
    first[len] = code;
    offset[len] = at;
    at += count[len] ?? 0;
    code = (code + (count[len] ?? 0)) * 2;
  }
  return { symbols, first, count, offset, maxLen };
})();

/** Decode a Huffman-coded string (RFC 7541 section 5.2). */
export function huffmanDecode(data: Uint8Array): string {
  const out: number[] = [];
  let code = 0;
  let len = 0;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i] ?? 0;
    for (let b = 7; b >= 0; b--) {
      code = code * 2 + ((byte >> b) & 1);
      len++;
      const c = huffman.count[len] ?? 0;
      const rel = code - (huffman.first[len] ?? 0);
      if (rel >= 0 && rel < c) {
        const sym = huffman.symbols[(huffman.offset[len] ?? 0) + rel] ?? 256;
        if (sym === 256) throw new HpackError("Huffman string contains EOS");
        out.push(sym);
        code = 0;
        len = 0;
      } else if (len >= huffman.maxLen) {
        throw new HpackError("invalid Huffman code");
      }
    }
  }
  // Padding: fewer than 8 bits, all ones (the most significant bits of EOS).
  if (len > 7 || code !== 2 ** len - 1) throw new HpackError("invalid Huffman padding");
  return Buffer.from(out).toString("latin1");
}

/**
 * Follows one peer's HPACK encoder: one instance per connection and
 * direction, fed every header block in order.
 */
export class HpackDecoder {
  readonly #table: HeaderField[] = [];
  #size = 0;
  #maxSize: number;
  readonly #limit: number;

  /** @param maxTableSize - the SETTINGS_HEADER_TABLE_SIZE this side advertised (4096 unless changed). */
  constructor(maxTableSize = 4096) {
    this.#maxSize = maxTableSize;
    this.#limit = maxTableSize;
  }

  /** Decode one complete header block (all fragments joined). */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    const r = { pos: 0 };
    while (r.pos < block.length) {
      const b = block[r.pos] ?? 0;
      if (b & 0x80) {
        fields.push(this.#get(readInt(block, r, 7)));
      } else if (b & 0x40) {
        const f = this.#literal(block, r, 6);
        this.#add(f);
        fields.push(f);
      } else if (b & 0x20) {
        if (fields.length > 0) throw new HpackError("dynamic table size update after a header field");
        const size = readInt(block, r, 5);
        if (size > this.#limit) throw new HpackError(`dynamic table size update ${size} over the limit ${this.#limit}`);
        this.#maxSize = size;
        this.#evict(0);
      } else {
        // Literal without indexing (0000) or never indexed (0001).
        fields.push(this.#literal(block, r, 4));
      }
    }
    return fields;
  }

  #literal(block: Uint8Array, r: { pos: number }, prefix: number): HeaderField {
    const index = readInt(block, r, prefix);
    const name = index === 0 ? readString(block, r) : this.#get(index)[0];
    return [name, readString(block, r)];
  }

  #get(index: number): HeaderField {
    if (index === 0) throw new HpackError("header index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1] as HeaderField;
    const f = this.#table[index - STATIC_TABLE.length - 1];
    if (f === undefined) throw new HpackError(`header index ${index} is past the dynamic table`);
    return f;
  }

  #add(f: HeaderField): void {
    const size = entrySize(f);
    this.#evict(size);
    if (size > this.#maxSize) return; // an entry larger than the table empties it and is not added
    this.#table.unshift(f);
    this.#size += size;
  }

  #evict(room: number): void {
    while (this.#table.length > 0 && this.#size + room > this.#maxSize) {
      const f = this.#table.pop() as HeaderField;
      this.#size -= entrySize(f);
    }
  }
}

function entrySize([name, value]: HeaderField): number {
  return Buffer.byteLength(name, "latin1") + Buffer.byteLength(value, "latin1") + 32;
}

/** RFC 7541 section 5.1. */
function readInt(block: Uint8Array, r: { pos: number }, prefix: number): number {
  const max = (1 << prefix) - 1;
  let value = (block[r.pos++] ?? 0) & max;
  if (value < max) return value;
  let shift = 0;
  for (;;) {
    if (r.pos >= block.length) throw new HpackError("truncated integer");
    const b = block[r.pos++] ?? 0;
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (value > 0xffffffff) throw new HpackError("integer too large");
    if ((b & 0x80) === 0) return value;
  }
}

function readString(block: Uint8Array, r: { pos: number }): string {
  if (r.pos >= block.length) throw new HpackError("truncated string");
  const huff = ((block[r.pos] ?? 0) & 0x80) !== 0;
  const len = readInt(block, r, 7);
  if (r.pos + len > block.length) throw new HpackError("truncated string");
  const bytes = block.subarray(r.pos, r.pos + len);
  r.pos += len;
  return huff ? huffmanDecode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

function writeInt(out: number[], first: number, prefix: number, value: number): void {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/**
 * Encode `fields` as literal header fields without indexing (RFC 7541
 * section 6.2.2), with the name from the static table where it is there and
 * no Huffman coding: the receiver's dynamic table is never touched.
 */
export function encodeLiteralHeaderBlock(fields: readonly HeaderField[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const index = STATIC_NAME_INDEX.get(name);
    if (index !== undefined) {
      writeInt(out, 0x00, 4, index);
    } else {
      writeInt(out, 0x00, 4, 0);
      pushString(out, name);
    }
    pushString(out, value);
  }
  return Buffer.from(out);
}

function pushString(out: number[], s: string): void {
  const bytes = Buffer.from(s, "latin1");
  writeInt(out, 0x00, 7, bytes.length);
  for (const b of bytes) out.push(b);
}
