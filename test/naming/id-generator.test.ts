import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ID_LENGTH, createRandomIdGenerator, generateId, isFullId } from "../../src/naming/index.js";
import type { IdGenerator } from "../../src/naming/index.js";

describe("generateId", () => {
  it("returns 64 lowercase hex digits", () => {
    const id = generateId();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(id.length, ID_LENGTH);
    assert.ok(isFullId(id));
  });

  it("returns a different ID on each call", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => generateId()));
    assert.equal(ids.size, 1000);
  });
});

describe("createRandomIdGenerator", () => {
  it("hex-encodes the 32 bytes its source gives", () => {
    const sizes: number[] = [];
    const gen: IdGenerator = createRandomIdGenerator({
      randomBytes: (n) => {
        sizes.push(n);
        return Uint8Array.from({ length: n }, (_, i) => i);
      },
    });
    assert.equal(gen.newId(), "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    assert.deepEqual(sizes, [32]);
  });

  it("hex-encodes only the view it is given, not the whole buffer", () => {
    const backing = new Uint8Array(64).fill(0xff);
    const gen = createRandomIdGenerator({ randomBytes: () => backing.subarray(16, 48).fill(0xab) });
    assert.equal(gen.newId(), "ab".repeat(32));
  });

  it("refuses a source that returns the wrong number of bytes", () => {
    const gen = createRandomIdGenerator({ randomBytes: () => new Uint8Array(8) });
    assert.throws(() => gen.newId(), /returned 8 bytes, want 32/);
  });
});

describe("isFullId", () => {
  const cases: Array<{ desc: string; s: string; want: boolean }> = [
    { desc: "64 lowercase hex digits are a full ID", s: "a".repeat(64), want: true },
    { desc: "63 digits are not", s: "a".repeat(63), want: false },
    { desc: "65 digits are not", s: "a".repeat(65), want: false },
    { desc: "uppercase hex is not", s: "A".repeat(64), want: false },
    { desc: "a digest with its algorithm is not", s: `sha256:${"a".repeat(64)}`, want: false },
    { desc: "the empty string is not", s: "", want: false },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      assert.equal(isFullId(c.s), c.want);
    });
  }
});
