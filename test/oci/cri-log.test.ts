import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseCriLogLine, parseCriLog, joinCriLogLines, formatCriLog, criLogTime } from "../../src/oci/index.js";

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

  it("writes timestamps as conmon does: UTC, nine fractional digits, +00:00", () => {
    assert.equal(criLogTime(1_795_887_043_700_825_880n), "2026-11-28T17:30:43.700825880+00:00");
    assert.equal(criLogTime(1_000_000_000n), "1970-01-01T00:00:01.000000000+00:00");
  });

  const t = "2026-01-01T00:00:00.000000001+00:00";
  const formatCases = [
    { desc: "one whole line is one F record", chunk: "hello\n", want: `${t} stdout F hello\n` },
    { desc: "lines are records each", chunk: "a\nb\n", want: `${t} stdout F a\n${t} stdout F b\n` },
    { desc: "a piece without its newline is a P record", chunk: "a\npart", want: `${t} stdout F a\n${t} stdout P part\n` },
    { desc: "an empty line is an F record with no content", chunk: "\n", want: `${t} stdout F \n` },
    { desc: "an empty chunk is nothing", chunk: "", want: "" },
  ];
  for (const c of formatCases) {
    it(`formats output: ${c.desc}`, () => {
      assert.equal(new TextDecoder().decode(formatCriLog("stdout", new TextEncoder().encode(c.chunk), t)), c.want);
    });
  }

  it("round-trips through the parser, with a UTF-8 character split across chunks", () => {
    const bytes = new TextEncoder().encode("héllo wörld\n");
    const split = bytes.indexOf(0xc3) + 1; // inside "é"
    const text = [formatCriLog("stderr", bytes.subarray(0, split), t), formatCriLog("stderr", bytes.subarray(split), t)].map((b) => Buffer.from(b).toString("latin1")).join("");
    const lines = joinCriLogLines(parseCriLog(text));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.stream, "stderr");
    assert.equal(Buffer.from(lines[0]?.line ?? "", "latin1").toString("utf8"), "héllo wörld");
  });
});
