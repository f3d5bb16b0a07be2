import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { LateResults } from "../../src/server/late-results.js";

describe("LateResults", () => {
  it("hands a parked result to a retry with the same fingerprint, without cleanup", async () => {
    const cleaned: string[] = [];
    const lr = new LateResults<string>();
    await lr.park("pod_ns_uid_0", "fp1", "id-1", async () => void cleaned.push("id-1"));
    assert.equal(await lr.claim("pod_ns_uid_0", "fp1"), "id-1");
    assert.equal(lr.size, 0);
    assert.deepEqual(cleaned, []);
    assert.equal(await lr.claim("pod_ns_uid_0", "fp1"), undefined);
  });

  it("cleans up the parked object when a changed request for the name comes", async () => {
    const cleaned: string[] = [];
    const lr = new LateResults<string>();
    await lr.park("n", "fp1", "id-1", async () => void cleaned.push("id-1"));
    assert.equal(await lr.claim("n", "fp2"), undefined);
    assert.deepEqual(cleaned, ["id-1"]);
    assert.equal(lr.has("n"), false);
  });

  it("cleans up a result nobody claims within the time to live", async () => {
    const cleaned: string[] = [];
    const lr = new LateResults<string>({ ttlMs: 20 });
    await lr.park("n", "fp", "id-1", async () => void cleaned.push("id-1"));
    await sleep(60);
    assert.deepEqual(cleaned, ["id-1"]);
    assert.equal(lr.size, 0);
  });

  it("reports a failed cleanup and still forgets the result", async () => {
    const errors: unknown[] = [];
    const lr = new LateResults<string>({ onCleanupError: (_n, e) => errors.push(e) });
    await lr.park("n", "fp1", "id-1", async () => {
      throw new Error("busy");
    });
    assert.equal(await lr.claim("n", "other"), undefined);
    assert.equal(errors.length, 1);
    assert.equal(lr.size, 0);
  });

  it("replaces a result parked twice under one name, cleaning the first", async () => {
    const cleaned: string[] = [];
    const lr = new LateResults<string>();
    await lr.park("n", "fp1", "id-1", async () => void cleaned.push("id-1"));
    await lr.park("n", "fp2", "id-2", async () => void cleaned.push("id-2"));
    assert.deepEqual(cleaned, ["id-1"]);
    assert.equal(await lr.claim("n", "fp2"), "id-2");
    lr.close();
  });
});
