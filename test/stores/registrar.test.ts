import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CrikitError } from "../../src/errors.js";
import { Registrar } from "../../src/stores/index.js";

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CrikitError, `expected a CrikitError, got ${String(err)}`);
    return err.code;
  }
}

describe("Registrar", () => {
  it("reserves a name for a key and reports the holder", () => {
    const r = new Registrar();
    r.reserve("web_default_u_0", "k1");
    assert.equal(r.get("web_default_u_0"), "k1");
    assert.equal(r.getName("k1"), "web_default_u_0");
    assert.equal(r.size, 1);
    assert.equal(r.get("other"), undefined);
    assert.equal(r.getName("k2"), undefined);
  });

  it("treats reserving the same name for the same key again as a no-op", () => {
    const r = new Registrar();
    r.reserve("x", "k1");
    r.reserve("x", "k1");
    assert.equal(r.size, 1);
    assert.equal(r.get("x"), "k1");
  });

  it("refuses a name held by another key, naming the holder", () => {
    const r = new Registrar();
    r.reserve("x", "id1");
    assert.throws(
      () => r.reserve("x", "id2"),
      (err: unknown) => {
        assert.ok(err instanceof CrikitError);
        assert.equal(err.code, "AlreadyExists");
        assert.equal(err.message, 'name "x" is reserved for "id1"');
        assert.deepEqual({ ...err.details }, { name: "x", holder: "id1" });
        return true;
      },
    );
    assert.equal(r.get("x"), "id1");
  });

  it("refuses a second name for a key that holds one", () => {
    const r = new Registrar();
    r.reserve("x", "id1");
    assert.throws(
      () => r.reserve("y", "id1"),
      (err: unknown) => {
        assert.ok(err instanceof CrikitError);
        assert.equal(err.code, "AlreadyExists");
        assert.equal(err.message, 'key "id1" already holds name "x"');
        assert.deepEqual({ ...err.details }, { key: "id1", name: "y", holder: "x" });
        return true;
      },
    );
    assert.equal(r.get("y"), undefined);
    assert.equal(r.getName("id1"), "x");
  });

  const bad: Array<{ desc: string; name: string; key: string; field: string }> = [
    { desc: "an empty name", name: "", key: "k", field: "name" },
    { desc: "an empty key", name: "n", key: "", field: "key" },
  ];
  for (const c of bad) {
    it(`refuses ${c.desc}`, () => {
      const r = new Registrar();
      assert.throws(() => r.reserve(c.name, c.key), (err: unknown) => err instanceof CrikitError && err.code === "InvalidArgument" && err.details["field"] === c.field);
      assert.equal(r.size, 0);
    });
  }

  it("releases by name, idempotently, freeing both the name and the key", () => {
    const r = new Registrar();
    r.reserve("x", "k1");
    assert.equal(r.release("x"), true);
    assert.equal(r.release("x"), false);
    assert.equal(r.get("x"), undefined);
    assert.equal(r.getName("k1"), undefined);
    r.reserve("x", "k2");
    r.reserve("y", "k1");
    assert.equal(r.get("x"), "k2");
    assert.equal(r.get("y"), "k1");
  });

  it("releases by key, idempotently, freeing both the name and the key", () => {
    const r = new Registrar();
    r.reserve("x", "k1");
    assert.equal(r.releaseByKey("k1"), true);
    assert.equal(r.releaseByKey("k1"), false);
    assert.equal(r.get("x"), undefined);
    assert.equal(r.size, 0);
    r.reserve("x", "k3");
    assert.equal(r.get("x"), "k3");
  });
});

describe("Registrar against a model", () => {
  type Model = { byName: Map<string, string> };
  type Real = Registrar;
  const names = fc.constantFrom("a", "b", "c", "d");
  const keys = fc.constantFrom("k1", "k2", "k3");

  function checkInvariants(m: Model, r: Real): void {
    assert.equal(r.size, m.byName.size);
    const seenKeys = new Set<string>();
    for (const [name, key] of m.byName) {
      assert.equal(r.get(name), key);
      assert.equal(r.getName(key), name);
      assert.ok(!seenKeys.has(key), `key ${key} maps from two live names`);
      seenKeys.add(key);
    }
  }

  class Reserve implements fc.Command<Model, Real> {
    readonly name: string;
    readonly key: string;
    constructor(name: string, key: string) {
      this.name = name;
      this.key = key;
    }
    check(): boolean {
      return true;
    }
    run(m: Model, r: Real): void {
      const holder = m.byName.get(this.name);
      const keyHolds = [...m.byName].find(([, k]) => k === this.key)?.[0];
      const want = holder === this.key ? undefined : holder !== undefined || keyHolds !== undefined ? "AlreadyExists" : undefined;
      assert.equal(code(() => r.reserve(this.name, this.key)), want);
      if (want === undefined) m.byName.set(this.name, this.key);
      checkInvariants(m, r);
    }
    toString(): string {
      return `reserve(${this.name}, ${this.key})`;
    }
  }

  class Release implements fc.Command<Model, Real> {
    readonly name: string;
    constructor(name: string) {
      this.name = name;
    }
    check(): boolean {
      return true;
    }
    run(m: Model, r: Real): void {
      assert.equal(r.release(this.name), m.byName.delete(this.name));
      checkInvariants(m, r);
    }
    toString(): string {
      return `release(${this.name})`;
    }
  }

  class ReleaseByKey implements fc.Command<Model, Real> {
    readonly key: string;
    constructor(key: string) {
      this.key = key;
    }
    check(): boolean {
      return true;
    }
    run(m: Model, r: Real): void {
      const name = [...m.byName].find(([, k]) => k === this.key)?.[0];
      if (name !== undefined) m.byName.delete(name);
      assert.equal(r.releaseByKey(this.key), name !== undefined);
      checkInvariants(m, r);
    }
    toString(): string {
      return `releaseByKey(${this.key})`;
    }
  }

  it("agrees with a model over random reserve and release sequences, and no two live names share a key", () => {
    const commands = [
      fc.tuple(names, keys).map(([n, k]) => new Reserve(n, k)),
      names.map((n) => new Release(n)),
      keys.map((k) => new ReleaseByKey(k)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
        fc.modelRun(() => ({ model: { byName: new Map() }, real: new Registrar() }), cmds);
      }),
      { numRuns: 300 },
    );
  });
});
