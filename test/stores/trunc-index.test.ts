import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CrikitError } from "../../src/errors.js";
import { TruncIndex, isAmbiguousPrefixError } from "../../src/stores/index.js";

const A = "3f2a" + "0".repeat(60);
const B = "3f2b" + "1".repeat(60);
const C = "9c00" + "2".repeat(60);

function errorOf(fn: () => unknown): CrikitError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CrikitError, `expected a CrikitError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an error");
}

describe("TruncIndex.get", () => {
  const index = new TruncIndex({ noun: "container" });
  for (const id of [A, B, C]) index.add(id);

  const cases: Array<{ desc: string; prefix: string; want: string }> = [
    { desc: "a full ID resolves to itself", prefix: A, want: A },
    { desc: "a unique prefix resolves to its ID", prefix: "3f2a", want: A },
    { desc: "a one-digit unique prefix resolves", prefix: "9", want: C },
    { desc: "a prefix longer than the branch point resolves", prefix: "3f2b111", want: B },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      assert.equal(index.get(c.prefix), c.want);
    });
  }

  const bad: Array<{ desc: string; prefix: string; code: string; message: RegExp }> = [
    { desc: "an ambiguous prefix", prefix: "3f2", code: "InvalidArgument", message: /^container ID prefix "3f2" is ambiguous: it matches 2 IDs; give more digits$/ },
    { desc: "an unknown prefix", prefix: "3f2c", code: "NotFound", message: /^container "3f2c" not found$/ },
    { desc: "a prefix that diverges inside a leaf", prefix: "9c01", code: "NotFound", message: /not found/ },
    { desc: "a prefix longer than any ID", prefix: A + "0", code: "NotFound", message: /not found/ },
    { desc: "a prefix with uppercase digits", prefix: "3F2A", code: "NotFound", message: /not found/ },
    { desc: "a prefix with non-hex characters", prefix: "zz", code: "NotFound", message: /not found/ },
    { desc: "an empty prefix", prefix: "", code: "InvalidArgument", message: /^container ID prefix is empty$/ },
  ];
  for (const c of bad) {
    it(`throws ${c.code} for ${c.desc}`, () => {
      const err = errorOf(() => index.get(c.prefix));
      assert.equal(err.code, c.code);
      assert.match(err.message, c.message);
    });
  }

  it("marks the ambiguous-prefix error so callers can tell it apart", () => {
    const err = errorOf(() => index.get("3f"));
    assert.ok(isAmbiguousPrefixError(err));
    assert.equal(err.details["matches"], 2);
    assert.ok(!isAmbiguousPrefixError(errorOf(() => index.get("ab"))));
    assert.ok(!isAmbiguousPrefixError(new Error("ambiguous")));
  });
});

describe("TruncIndex.add and delete", () => {
  it("refuses IDs that are not 1 to 128 lowercase hex digits", () => {
    const index = new TruncIndex();
    for (const id of ["", "ABC", "ab cd", "sha256:ab", "a/b", "g", "a".repeat(129)]) {
      const err = errorOf(() => index.add(id));
      assert.equal(err.code, "InvalidArgument", `id ${JSON.stringify(id)}`);
      assert.equal(err.details["field"], "id");
    }
    assert.equal(index.size, 0);
    index.add("a".repeat(128));
    assert.equal(index.size, 1);
  });

  it("refuses an ID it holds already", () => {
    const index = new TruncIndex({ noun: "sandbox" });
    index.add(A);
    const err = errorOf(() => index.add(A));
    assert.equal(err.code, "AlreadyExists");
    assert.match(err.message, /^sandbox ID "3f2a0+" already exists$/);
  });

  it("resolves a prefix uniquely again after the other match is deleted", () => {
    const index = new TruncIndex();
    index.add(A);
    index.add(B);
    assert.ok(isAmbiguousPrefixError(errorOf(() => index.get("3f"))));
    assert.equal(index.delete(B), true);
    assert.equal(index.delete(B), false);
    assert.equal(index.get("3f"), A);
    assert.equal(errorOf(() => index.get("3f2b")).code, "NotFound");
    assert.equal(index.delete(A), true);
    assert.equal(index.size, 0);
    assert.equal(errorOf(() => index.get("3")).code, "NotFound");
  });

  it("lets an exact ID win over longer IDs that start with it", () => {
    const index = new TruncIndex();
    for (const id of ["ab", "abc", "abd"]) index.add(id);
    assert.equal(index.get("ab"), "ab");
    assert.equal(index.get("abc"), "abc");
    assert.ok(isAmbiguousPrefixError(errorOf(() => index.get("a"))));
    index.delete("abc");
    index.delete("abd");
    assert.equal(index.get("a"), "ab");
    index.add("abcdef");
    index.delete("ab");
    assert.equal(index.get("a"), "abcdef");
  });

  it("reports membership and lists IDs", () => {
    const index = new TruncIndex();
    index.add(A);
    index.add(C);
    assert.ok(index.has(A));
    assert.ok(!index.has("3f2a"));
    assert.deepEqual([...index.ids()], [A, C]);
  });
});

describe("TruncIndex against a linear scan", () => {
  // IDs drawn from few digits and short lengths share prefixes often.
  const hex = (alphabet: string[], min: number, max: number) =>
    fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(""));
  const id = fc.oneof(hex(["0", "1", "f"], 1, 8), hex([..."0123456789abcdef"], 64, 64));

  function scan(ids: Set<string>, prefix: string): string {
    if (ids.has(prefix)) return prefix;
    const matches = [...ids].filter((i) => i.startsWith(prefix));
    if (matches.length === 1) return matches[0] as string;
    return matches.length === 0 ? "NotFound" : "Ambiguous";
  }
  function lookup(index: TruncIndex, prefix: string): string {
    try {
      return index.get(prefix);
    } catch (err) {
      if (isAmbiguousPrefixError(err)) return "Ambiguous";
      if (err instanceof CrikitError && err.code === "NotFound") return "NotFound";
      throw err;
    }
  }

  it("resolves every prefix as a scan over the IDs does, through adds and deletes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ del: fc.boolean(), id }), { maxLength: 60 }),
        fc.array(hex(["0", "1", "f", "a"], 1, 10), { maxLength: 30 }),
        (ops, extraPrefixes) => {
          const index = new TruncIndex();
          const model = new Set<string>();
          for (const op of ops) {
            if (op.del) {
              assert.equal(index.delete(op.id), model.delete(op.id));
            } else if (model.has(op.id)) {
              assert.equal(errorOf(() => index.add(op.id)).code, "AlreadyExists");
            } else {
              index.add(op.id);
              model.add(op.id);
            }
            assert.equal(index.size, model.size);
          }
          const prefixes = new Set(extraPrefixes);
          for (const i of model) for (let n = 1; n <= Math.min(i.length, 12); n++) prefixes.add(i.slice(0, n));
          for (const p of prefixes) assert.equal(lookup(index, p), scan(model, p), `prefix ${p}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
