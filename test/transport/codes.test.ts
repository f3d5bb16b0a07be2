import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { CrikitError } from "../../src/errors.js";
import { grpcCodeOf, toConnectError } from "../../src/transport/index.js";

const enoent = await readFile("/nonexistent-crikit/secret.json").catch((e: unknown) => e);
const aborted = (() => {
  const ac = new AbortController();
  ac.abort();
  return ac.signal.reason as unknown;
})();

describe("toConnectError", () => {
  const cases: Array<{ desc: string; err: unknown; code: Code; message: string | RegExp; signal?: AbortSignal }> = [
    { desc: "a ConnectError passes through", err: new ConnectError("x is not implemented", Code.Unimplemented), code: Code.Unimplemented, message: "x is not implemented" },
    { desc: "a CrikitError keeps code and message", err: new CrikitError("AlreadyExists", 'name "a" is reserved for "b"'), code: Code.AlreadyExists, message: 'name "a" is reserved for "b"' },
    { desc: "a real ENOENT is NotFound with the errno text and no path", err: enoent, code: Code.NotFound, message: "RemoveContainer failed: no such file or directory (ENOENT)" },
    {
      desc: "an errno deeper in the cause chain counts",
      err: new Error("wrapped", { cause: Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: "EACCES", errno: -13 }) }),
      code: Code.PermissionDenied,
      message: "RemoveContainer failed: permission denied (EACCES)",
    },
    { desc: "an abort is Canceled", err: aborted, code: Code.Canceled, message: "RemoveContainer failed: canceled" },
    { desc: "a TimeoutError is DeadlineExceeded", err: new DOMException("t", "TimeoutError"), code: Code.DeadlineExceeded, message: "RemoveContainer failed: deadline exceeded" },
    { desc: "a plain Error is Unknown with a generic message", err: new Error("secret"), code: Code.Unknown, message: /^RemoveContainer failed: internal error \(request id r1\); the runtime's log has the details$/ },
    { desc: "a thrown string is Unknown", err: "secret", code: Code.Unknown, message: /internal error/ },
    {
      desc: "an abort caused by the client's deadline takes the signal's reason",
      err: new DOMException("The operation was aborted", "AbortError"),
      signal: AbortSignal.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)),
      code: Code.DeadlineExceeded,
      message: "the operation timed out",
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const ce = toConnectError(c.err, { rpc: "RemoveContainer", requestId: "r1", ...(c.signal ? { signal: c.signal } : {}) });
      assert.equal(ce.code, c.code);
      if (typeof c.message === "string") assert.equal(ce.rawMessage, c.message);
      else assert.match(ce.rawMessage, c.message);
      assert.doesNotMatch(ce.rawMessage, /secret|\n\s+at /);
      if (!(c.err instanceof ConnectError)) assert.equal(ce.cause, c.err);
    });
  }

  it("keeps grpcCodeOf as the code lookup", () => {
    assert.equal(grpcCodeOf(new CrikitError("FailedPrecondition", "x")), Code.FailedPrecondition);
    assert.equal(grpcCodeOf(new Error("x")), Code.Unknown);
  });
});
