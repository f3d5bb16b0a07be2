import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { CrikitError } from "../../src/errors.js";
import { Store, isAmbiguousPrefixError } from "../../src/stores/index.js";

interface Meta {
  name: string;
  group: string;
  created: bigint;
}
interface Status {
  count: number;
  log: readonly string[];
}

const id = (n: number, head = ""): string => (head + n.toString(16)).padEnd(64, "0");

function newStore(): Store<Meta, Status> {
  return new Store<Meta, Status>({ noun: "widget", createdAt: (r) => r.metadata.created, groupKey: (m) => m.group });
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    if (typeof p === "function") p();
    else await p;
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CrikitError, `expected a CrikitError, got ${String(err)}`);
    return err.code;
  }
}

describe("Store.add, get and delete", () => {
  it("stores a frozen record and finds it by full ID and by unique prefix", () => {
    const s = newStore();
    const meta = { name: "a", group: "g", created: 1n };
    const rec = s.add(id(1, "ab"), meta, { count: 0, log: [] });
    assert.equal(s.get(id(1, "ab")), rec);
    assert.equal(s.get("ab1"), rec);
    assert.ok(Object.isFrozen(rec) && Object.isFrozen(rec.metadata) && Object.isFrozen(rec.status) && Object.isFrozen(rec.status.log));
    assert.ok(s.has(id(1, "ab")));
    assert.ok(!s.has("ab1"));
    assert.equal(s.size, 1);
  });

  const bad: Array<{ desc: string; run: (s: Store<Meta, Status>) => unknown; code: string; message: RegExp }> = [
    { desc: "an ID that exists", run: (s) => s.add(id(1), { name: "b", group: "g", created: 2n }, { count: 0, log: [] }), code: "AlreadyExists", message: /^widget "10+" already exists$/ },
    { desc: "an ID that is not hex", run: (s) => s.add("xyz", { name: "b", group: "g", created: 2n }, { count: 0, log: [] }), code: "InvalidArgument", message: /not 1 to 128 lowercase hex/ },
    { desc: "an unknown ID", run: (s) => s.get("77"), code: "NotFound", message: /^widget "77" not found$/ },
    { desc: "an empty ID", run: (s) => s.get(""), code: "InvalidArgument", message: /prefix is empty/ },
    { desc: "an ambiguous prefix", run: (s) => s.get("1"), code: "InvalidArgument", message: /ambiguous/ },
    { desc: "an update of an unknown ID", run: (s) => s.update("77", (x) => x), code: "NotFound", message: /^widget "77" not found$/ },
    { desc: "an update by prefix", run: (s) => s.update("1", (x) => x), code: "NotFound", message: /not found/ },
  ];
  for (const c of bad) {
    it(`throws ${c.code} for ${c.desc}`, () => {
      const s = newStore();
      s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
      s.add(id(1, "1"), { name: "c", group: "g", created: 1n }, { count: 0, log: [] });
      assert.throws(() => c.run(s), (err: unknown) => err instanceof CrikitError && err.code === c.code && c.message.test(err.message));
      assert.equal(s.size, 2);
    });
  }

  it("finds nothing without throwing where get throws NotFound, but still refuses an ambiguous prefix", () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    s.add(id(1, "1"), { name: "c", group: "g", created: 1n }, { count: 0, log: [] });
    assert.equal(s.find("77"), undefined);
    assert.equal(s.find(id(1))?.metadata.name, "a");
    assert.throws(() => s.find("1"), (err: unknown) => isAmbiguousPrefixError(err));
  });

  it("deletes by full ID, idempotently, and frees the prefix", () => {
    const s = newStore();
    const a = s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    s.add(id(1, "1"), { name: "c", group: "g", created: 1n }, { count: 0, log: [] });
    assert.equal(s.delete("1"), undefined, "a prefix deletes nothing");
    assert.equal(s.delete(id(1, "1"))?.metadata.name, "c");
    assert.equal(s.delete(id(1, "1")), undefined);
    assert.equal(s.get("1"), a);
    assert.deepEqual(s.listByGroup("g"), [a]);
    assert.equal(s.size, 1);
  });

  it("runs the validate option before adding", () => {
    const s = new Store<Meta, Status>({
      validate: (r) => {
        if (r.metadata.name === "") throw new CrikitError("InvalidArgument", "name is empty");
      },
    });
    assert.throws(() => s.add(id(1), { name: "", group: "", created: 0n }, { count: 0, log: [] }), /name is empty/);
    assert.equal(s.size, 0);
    assert.equal(s.find(id(1)), undefined);
  });
});

describe("Store.update", () => {
  it("replaces the status atomically and leaves old snapshots untouched", () => {
    const s = newStore();
    const before = s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    const after = s.update(id(1), (st) => ({ count: st.count + 1, log: [...st.log, "x"] }));
    assert.equal(before.status.count, 0);
    assert.equal(after.status.count, 1);
    assert.equal(after.metadata, before.metadata);
    assert.equal(s.get(id(1)), after);
    assert.ok(Object.isFrozen(after.status.log));
  });

  it("changes nothing when the function throws", () => {
    const s = newStore();
    const before = s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    assert.throws(() => s.update(id(1), () => { throw new Error("boom"); }), /boom/);
    assert.equal(s.get(id(1)), before);
  });

  it("changes nothing when the transition check refuses", () => {
    const s = new Store<Meta, Status>({
      checkTransition: (prev, next) => {
        if (next.count < prev.status.count) throw new CrikitError("FailedPrecondition", "count cannot go down");
      },
    });
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 5, log: [] });
    assert.throws(() => s.update(id(1), () => ({ count: 4, log: [] })), (err: unknown) => err instanceof CrikitError && err.code === "FailedPrecondition");
    assert.equal(s.get(id(1)).status.count, 5);
  });

  it("gives the function a frozen status that cannot be changed in place", () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    assert.throws(() =>
      s.update(id(1), (st) => {
        (st as { count: number }).count = 9;
        return st;
      }),
    TypeError);
    assert.equal(s.get(id(1)).status.count, 0);
  });
});

describe("Store.updateAsync", () => {
  it("runs async updates of one object one at a time, in call order", async () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    let running = 0;
    let maxRunning = 0;
    await Promise.all(
      ["a", "b", "c", "d"].map((tag, i) =>
        s.updateAsync(id(1), async (st) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await sleep(4 - i);
          running--;
          return { count: st.count + 1, log: [...st.log, tag] };
        }),
      ),
    );
    assert.equal(maxRunning, 1);
    assert.deepEqual(s.get(id(1)).status, { count: 4, log: ["a", "b", "c", "d"] });
  });

  it("never loses a write among concurrent async updates of random objects", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ target: fc.nat({ max: 2 }), delay: fc.nat({ max: 3 }), fail: fc.boolean() }), { minLength: 1, maxLength: 25 }),
        async (ops) => {
          const s = newStore();
          for (let t = 0; t < 3; t++) s.add(id(t + 1), { name: `o${t}`, group: "g", created: BigInt(t) }, { count: 0, log: [] });
          const results = await Promise.allSettled(
            ops.map((op, i) =>
              s.updateAsync(id(op.target + 1), async (st) => {
                await sleep(op.delay);
                if (op.fail) throw new Error(`op ${i} fails`);
                return { count: st.count + 1, log: [...st.log, String(i)] };
              }),
            ),
          );
          for (let t = 0; t < 3; t++) {
            const want = ops.flatMap((op, i) => (op.target === t && !op.fail ? [String(i)] : []));
            assert.deepEqual(s.get(id(t + 1)).status, { count: want.length, log: want });
          }
          assert.equal(results.filter((r) => r.status === "rejected").length, ops.filter((o) => o.fail).length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("accepts a synchronous function", async () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    const rec = await s.updateAsync(id(1), (st) => ({ ...st, count: 7 }));
    assert.equal(rec.status.count, 7);
  });

  it("fails with Aborted, keeping the synchronous write, when a synchronous update lands while the async one awaits", async () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    const slow = s.updateAsync(id(1), async (st) => {
      await sleep(5);
      return { ...st, log: ["async"] };
    });
    await sleep(1);
    s.update(id(1), (st) => ({ ...st, log: ["sync"] }));
    assert.equal(await codeOf(slow), "Aborted");
    assert.deepEqual(s.get(id(1)).status.log, ["sync"]);
    // The queue moves on after a conflict.
    await s.updateAsync(id(1), (st) => ({ ...st, log: [...st.log, "next"] }));
    assert.deepEqual(s.get(id(1)).status.log, ["sync", "next"]);
  });

  it("fails with NotFound when the object is deleted while the function awaits", async () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    const slow = s.updateAsync(id(1), async (st) => {
      await sleep(5);
      return st;
    });
    const queued = s.updateAsync(id(1), (st) => st);
    await sleep(1);
    s.delete(id(1));
    assert.equal(await codeOf(slow), "NotFound");
    assert.equal(await codeOf(queued), "NotFound");
    assert.equal(await codeOf(s.updateAsync(id(1), (st) => st)), "NotFound");
  });

  it("stops waiting when its signal aborts, without letting later updates overtake the running one", async () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    const order: string[] = [];
    const first = s.updateAsync(id(1), async (st) => {
      await sleep(10);
      order.push("first");
      return { ...st, log: [...st.log, "first"] };
    });
    const ac = new AbortController();
    const second = s.updateAsync(
      id(1),
      (st) => {
        order.push("second");
        return st;
      },
      { signal: ac.signal },
    );
    const third = s.updateAsync(id(1), (st) => {
      order.push("third");
      return { ...st, log: [...st.log, "third"] };
    });
    ac.abort(new Error("gave up"));
    await assert.rejects(second, /gave up/);
    await Promise.all([first, third]);
    assert.deepEqual(order, ["first", "third"]);
    assert.deepEqual(s.get(id(1)).status.log, ["first", "third"]);
  });

  it("rejects at once with an already aborted signal", async () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    await assert.rejects(s.updateAsync(id(1), (st) => st, { signal: AbortSignal.abort() }), { name: "AbortError" });
  });
});

describe("Store.list", () => {
  it("orders by creation time, then by the order added", () => {
    const s = newStore();
    s.add(id(1), { name: "late", group: "g", created: 30n }, { count: 0, log: [] });
    s.add(id(2), { name: "early", group: "g", created: 10n }, { count: 0, log: [] });
    s.add(id(3), { name: "tie-first", group: "h", created: 20n }, { count: 0, log: [] });
    s.add(id(4), { name: "tie-second", group: "g", created: 20n }, { count: 0, log: [] });
    assert.deepEqual(s.list().map((r) => r.metadata.name), ["early", "tie-first", "tie-second", "late"]);
    assert.deepEqual(s.listByGroup("g").map((r) => r.metadata.name), ["early", "tie-second", "late"]);
    assert.deepEqual(s.listByGroup("none"), []);
    assert.deepEqual(s.list((r) => r.metadata.group === "h").map((r) => r.metadata.name), ["tie-first"]);
  });

  it("shows the current statuses and reuses the result while nothing changes", () => {
    const s = newStore();
    s.add(id(1), { name: "a", group: "g", created: 1n }, { count: 0, log: [] });
    const first = s.list();
    assert.equal(s.list(), first);
    s.update(id(1), (st) => ({ ...st, count: 1 }));
    assert.equal(s.list()[0]?.status.count, 1);
    assert.equal(first[0]?.status.count, 0);
    assert.ok(Object.isFrozen(s.list()));
  });

  it("lists in creation order whatever the order of adds and deletes", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ created: fc.bigInt({ min: 0n, max: 5n }), del: fc.nat({ max: 4 }) }), { maxLength: 40 }), (ops) => {
        const s = newStore();
        const model: Array<{ id: string; created: bigint; seq: number }> = [];
        ops.forEach((op, i) => {
          s.add(id(i + 1), { name: String(i), group: "g", created: op.created }, { count: 0, log: [] });
          model.push({ id: id(i + 1), created: op.created, seq: i });
          if (op.del === 0 && model.length > 0) {
            const victim = model.splice(i % model.length, 1)[0];
            if (victim !== undefined) s.delete(victim.id);
          }
          const want = [...model].sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.seq - b.seq)).map((m) => m.id);
          assert.deepEqual(s.list().map((r) => r.id), want);
          assert.deepEqual(s.listByGroup("g").map((r) => r.id), want);
        });
      }),
    );
  });
});
