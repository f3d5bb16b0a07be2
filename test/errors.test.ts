import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CrikitError, ErrorCode, errorCodeOf, hasErrorCode, isCrikitError, notFound } from "../src/index.js";

describe("CrikitError", () => {
  it("carries a gRPC code name and its number", () => {
    const e = notFound('container "abc" not found');
    assert.equal(e.code, "NotFound");
    assert.equal(e.grpcCode, 5);
    assert.equal(e.name, "CrikitError");
    assert.ok(e instanceof CrikitError);
    assert.ok(e instanceof Error);
    assert.ok(hasErrorCode(e, "NotFound"));
    assert.ok(!hasErrorCode(e, "AlreadyExists"));
  });

  it("is recognised across copies through its brand", () => {
    const foreign = new CrikitError("Internal", "x");
    const copy = Object.create(Object.getPrototypeOf({}), { [Symbol.for("crikit.CrikitError")]: { value: true } });
    assert.ok(isCrikitError(foreign));
    assert.ok(isCrikitError(copy));
    assert.ok(!isCrikitError(new Error("plain")));
    assert.ok(!isCrikitError(null));
  });

  it("uses the gRPC numbers for every code", () => {
    assert.equal(ErrorCode.Canceled, 1);
    assert.equal(ErrorCode.Unauthenticated, 16);
    assert.equal(Object.keys(ErrorCode).length, 16);
  });
});

describe("errorCodeOf", () => {
  const cases: Array<{ desc: string; err: unknown; want: string }> = [
    { desc: "a crikit error keeps its code", err: new CrikitError("FailedPrecondition", "x"), want: "FailedPrecondition" },
    { desc: "ENOENT is NotFound", err: Object.assign(new Error("x"), { code: "ENOENT" }), want: "NotFound" },
    { desc: "EEXIST is AlreadyExists", err: Object.assign(new Error("x"), { code: "EEXIST" }), want: "AlreadyExists" },
    { desc: "EPERM is PermissionDenied", err: Object.assign(new Error("x"), { code: "EPERM" }), want: "PermissionDenied" },
    { desc: "ENOSPC is ResourceExhausted", err: Object.assign(new Error("x"), { code: "ENOSPC" }), want: "ResourceExhausted" },
    { desc: "an abort is Canceled", err: new DOMException("aborted", "AbortError"), want: "Canceled" },
    { desc: "a timeout is DeadlineExceeded", err: new DOMException("late", "TimeoutError"), want: "DeadlineExceeded" },
    { desc: "an errno deep in the cause chain is found", err: new Error("outer", { cause: new Error("mid", { cause: Object.assign(new Error("in"), { code: "ENOENT" }) }) }), want: "NotFound" },
    { desc: "anything else is Unknown", err: new Error("boom"), want: "Unknown" },
    { desc: "a string is Unknown", err: "boom", want: "Unknown" },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(errorCodeOf(c.err), c.want));
});
