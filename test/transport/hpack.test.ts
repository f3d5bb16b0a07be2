import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HpackDecoder, HpackError, encodeLiteralHeaderBlock, huffmanDecode } from "../../src/transport/hpack.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("HpackDecoder: the examples of RFC 7541 Appendix C", () => {
  it("C.3: requests without Huffman coding, one decoder across three blocks", () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d")), [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ]);
    assert.deepEqual(d.decode(hex("8286 84be 5808 6e6f 2d63 6163 6865")), [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ]);
    assert.deepEqual(d.decode(hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65")), [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ]);
  });

  it("C.4: the same requests with Huffman coding", () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")).at(-1), [":authority", "www.example.com"]);
    assert.deepEqual(d.decode(hex("8286 84be 5886 a8eb 1064 9cbf")).at(-1), ["cache-control", "no-cache"]);
    assert.deepEqual(d.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")).slice(3), [
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ]);
  });

  it("C.6: responses with Huffman coding and evictions from a 256-byte table", () => {
    const d = new HpackDecoder(256);
    assert.deepEqual(d.decode(hex("4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3")), [
      [":status", "302"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ]);
    // ":status: 307" evicts ":status: 302"; the other three stay reachable by index.
    assert.deepEqual(d.decode(hex("4883 640e ffc1 c0bf")), [
      [":status", "307"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ]);
    const third = d.decode(
      hex(
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
      ),
    );
    assert.deepEqual(third.at(-1), ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"]);
    assert.deepEqual(third[2], ["date", "Mon, 21 Oct 2013 20:13:22 GMT"]);
  });

  it("follows a grpc-go style request: the socket path indexed once, then referenced", () => {
    // Encoded by an independent HPACK encoder (Huffman, incremental indexing):
    // the second, identical request is all dynamic-table references.
    const d = new HpackDecoder();
    const first = d.decode(
      hex(
        "8386449962cb6a49a92afdc2bedb6a49a92ee2d9dcc42b1c4b620c7abf419162cb6a60961ba992c12c375325741c9d7f5f8b1d75d0620d263d4c4d65647a8a9acac8b4c7602bb615c14082497f864d833505b11f",
      ),
    );
    const expected = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/runtime.v1.RuntimeService/Version"],
      [":authority", "/run/crikit/crikit.sock"],
      ["content-type", "application/grpc"],
      ["user-agent", "grpc-go/1.51.0"],
      ["te", "trailers"],
    ];
    assert.deepEqual(first, expected);
    assert.deepEqual(d.decode(hex("8386c2c1c0bfbe")), expected);
  });

  it("applies a dynamic table size update and refuses one over the advertised limit", () => {
    const d = new HpackDecoder();
    d.decode(hex("4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")); // custom-key: custom-value, indexed as 62
    assert.deepEqual(d.decode(hex("be")), [["custom-key", "custom-value"]]);
    assert.throws(() => d.decode(hex("20 be")), HpackError, "a size update to 0 empties the table");
    assert.throws(() => new HpackDecoder().decode(hex("3fe21f")), /over the limit/); // 4097
  });

  it("rejects malformed blocks with HpackError", () => {
    const d = new HpackDecoder();
    assert.throws(() => d.decode(hex("80")), /index 0/);
    assert.throws(() => d.decode(hex("be")), /past the dynamic table/);
    assert.throws(() => d.decode(hex("4105 6162")), /truncated string/);
    assert.throws(() => d.decode(hex("ff")), /truncated integer/);
    assert.throws(() => d.decode(hex("82 20")), /size update after a header field/);
  });
});

describe("huffmanDecode", () => {
  it("decodes RFC 7541's Huffman strings", () => {
    assert.equal(huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff")), "www.example.com");
    assert.equal(huffmanDecode(hex("a8eb 1064 9cbf")), "no-cache");
    assert.equal(huffmanDecode(hex("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3")), "https://www.example.com");
    assert.equal(huffmanDecode(new Uint8Array(0)), "");
  });

  it("rejects padding that is not EOS's prefix or is longer than 7 bits, and EOS itself", () => {
    assert.throws(() => huffmanDecode(hex("00")), /padding/); // "0" then three zero bits of padding
    assert.throws(() => huffmanDecode(hex("ffff")), /padding/); // 16 bits of ones
    assert.throws(() => huffmanDecode(hex("ffff fffc")), /EOS/); // the 30-bit EOS code, then ones
  });
});

describe("encodeLiteralHeaderBlock", () => {
  it("writes literal fields that any decoder reads back, leaving its dynamic table empty", () => {
    const fields = [
      [":method", "POST"],
      [":authority", "localhost"],
      [":path", "/runtime.v1.RuntimeService/Version"],
      ["x-long", "v".repeat(300)],
      ["grpc-timeout", "1999m"],
    ] as const;
    const d = new HpackDecoder();
    const block = encodeLiteralHeaderBlock(fields);
    assert.deepEqual(d.decode(block), fields);
    // Nothing was indexed: index 62 does not exist.
    assert.throws(() => d.decode(hex("be")), /past the dynamic table/);
    // Names from the static table are written by index: ":method" is 2, as 0000 0010.
    assert.equal(block[0], 0x02);
  });
});
