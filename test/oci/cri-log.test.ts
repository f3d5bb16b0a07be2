import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCriLogLine, parseCriLog, joinCriLogLines } from "../../src/oci/index.js";

describe("CRI log format", () => {
  const lineCases = [
    { desc: "a full stdout record", line: "2026-11-23T17:30:43.700825880+00:00 stdout F hello", want: { time: "2026-11-23T17:30:43.700825880+00:00", stream: "stdout", partial: false, content: "hello" } },
    { desc: "a partial stderr record", line: "2026-11-23T17:30:43.700825880Z stderr P part", want: { time: "2026-11-23T17:30:43.700825880Z", stream: "stderr", partial: true, content: "part" } },
    { desc: "an empty line record keeps empty content", line: "2026-11-23T17:30:43.700825880Z stdout F ", want: { time: "2026-11-23T17:30:43.700825880Z", stream: "stdout", partial: false, content: "" } },
    { desc: "content with spaces is kept whole", line: "2026-11-23T17:30:43Z stdout F a b  c", want: { time: "2026-11-23T17:30:43Z", stream: "stdout", partial: false, content: "a b  c" } },
    { desc: "an unknown stream is not a record", line: "2026-11-23T17:30:43Z stdin F x", want: undefined },
    { desc: "an unknown tag is not a record", line: "2026-11-23T17:30:43Z stdout X x", want: undefined },
    { desc: "a bad time is not a record", line: "yesterday stdout F x", want: undefined },
  ];
  for (const c of lineCases) {
    it(`parses ${c.desc}`, () => {
      assert.deepEqual(parseCriLogLine(c.line), c.want);
    });
  }

  it("joins P records with the next record of the same stream, streams apart", () => {
    const text = [
      "2026-01-01T00:00:00.000000001Z stdout P ab",
      "2026-01-01T00:00:00.000000002Z stderr F err",
      "2026-01-01T00:00:00.000000003Z stdout P cd",
      "2026-01-01T00:00:00.000000004Z stdout F ef",
      "2026-01-01T00:00:00.000000005Z stdout P tail",
      "",
    ].join("\n");
    assert.deepEqual(joinCriLogLines(parseCriLog(text)), [
      { stream: "stderr", time: "2026-01-01T00:00:00.000000002Z", line: "err" },
      { stream: "stdout", time: "2026-01-01T00:00:00.000000001Z", line: "abcdef" },
      { stream: "stdout", time: "2026-01-01T00:00:00.000000005Z", line: "tail" },
    ]);
  });
});
