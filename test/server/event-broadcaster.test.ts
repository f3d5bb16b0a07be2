import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventBroadcaster } from "../../src/server/event-broadcaster.js";
import { hasErrorCode } from "../../src/errors.js";

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe("EventBroadcaster", () => {
  it("delivers every event to every subscriber in publish order", async () => {
    const b = new EventBroadcaster<number>();
    const a = b.subscribe();
    const c = b.subscribe();
    // generators start lazily: prime both so they are registered
    const pa = take(a, 3);
    const pc = take(c, 3);
    await new Promise((r) => setImmediate(r));
    assert.equal(b.subscribers, 2);
    b.publish(1);
    b.publish(2);
    b.publish(3);
    assert.deepEqual(await pa, [1, 2, 3]);
    assert.deepEqual(await pc, [1, 2, 3]);
  });

  it("does not replay events published before the subscription", async () => {
    const b = new EventBroadcaster<string>();
    b.publish("early");
    const s = b.subscribe();
    const p = take(s, 1);
    await new Promise((r) => setImmediate(r));
    b.publish("late");
    assert.deepEqual(await p, ["late"]);
  });

  it("ends a subscription when its signal aborts and forgets the subscriber", async () => {
    const b = new EventBroadcaster<number>();
    const ac = new AbortController();
    const s = b.subscribe(ac.signal);
    const p = s.next();
    await new Promise((r) => setImmediate(r));
    assert.equal(b.subscribers, 1);
    ac.abort();
    assert.deepEqual(await p, { value: undefined, done: true });
    assert.equal(b.subscribers, 0);
  });

  it("cuts off a subscriber that falls behind with ResourceExhausted", async () => {
    const b = new EventBroadcaster<number>({ maxQueue: 2 });
    const s = b.subscribe();
    const first = s.next();
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) b.publish(i);
    assert.deepEqual(await first, { value: 0, done: false });
    // 1 was queued before the overflow; then the stream fails
    assert.deepEqual(await s.next(), { value: 1, done: false });
    await assert.rejects(s.next(), (e) => hasErrorCode(e, "ResourceExhausted"));
    assert.equal(b.subscribers, 0);
  });

  it("ends all subscriptions on close, and later ones at once", async () => {
    const b = new EventBroadcaster<number>();
    const s = b.subscribe();
    const p = s.next();
    await new Promise((r) => setImmediate(r));
    b.close();
    assert.deepEqual(await p, { value: undefined, done: true });
    assert.deepEqual(await b.subscribe().next(), { value: undefined, done: true });
  });
});
