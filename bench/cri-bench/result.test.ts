/**
 * The comparison tables: ratios to containerd and to the floor, and how a
 * series without samples (unimplemented, unavailable) is shown.
 *
 * Run: node --import tsx --test bench/cri-bench/result.test.ts
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ratioToContainerd, renderTable, stats, toRows, type Measure, type WorkloadResult } from "./result.js";

const measure: Measure = {
  name: "Create+Start",
  unit: "ms",
  series: [
    { label: "crikitd infra-less", kind: "crikitd", samples: [10, 20, 30] },
    { label: "containerd 1.6", kind: "containerd", samples: [40, 40, 40] },
    { label: "crikitd other", kind: "crikitd", samples: [], status: "unimplemented" },
  ],
  floor: { label: "runc run -d by hand", p50: 10 },
};
const w: WorkloadResult = { id: "container", title: "(2) Container lifecycle", measures: [measure], notes: ["a note"] };

describe("comparison tables", () => {
  const cases = [
    { desc: "a crikitd series is divided by containerd's p50", series: 0, want: 0.5 },
    { desc: "containerd against itself is 1", series: 1, want: 1 },
    { desc: "a series without samples has no ratio", series: 2, want: Number.NaN },
  ];
  for (const c of cases) {
    it(`computes the ratio: ${c.desc}`, () => {
      const s = measure.series[c.series];
      assert.ok(s);
      assert.deepEqual(ratioToContainerd(measure, s), c.want);
    });
  }

  it("gives p50, p90 and p99 by nearest rank", () => {
    assert.deepEqual(stats([5, 1, 4, 2, 3]), { p50: 3, p90: 5, p99: 5, n: 5 });
  });

  it("renders a row per runtime with both ratios, the status of a missing series, and the floor", () => {
    const t = renderTable(w);
    assert.match(t, /^### \(2\) Container lifecycle/);
    assert.match(t, /\| Create\+Start \| crikitd infra-less \| ms \| 20.0 \| 30.0 \| 30.0 \| 3 \| 0.50 \| 2.00 \|/);
    assert.match(t, /\| Create\+Start \| containerd 1.6 \| ms \| 40.0 \| 40.0 \| 40.0 \| 3 \|  \| 4.00 \|/);
    assert.match(t, /\| Create\+Start \| crikitd other \| ms \| unimplemented \|/);
    assert.match(t, /\| Create\+Start \| floor: runc run -d by hand \| ms \| 10.0 \|/);
    assert.match(t, /- a note$/);
  });

  it("turns results into harness rows with the ratios in the note", () => {
    const rows = toRows(w);
    assert.equal(rows.length, 3);
    assert.equal(rows[0]?.name, "container: Create+Start, crikitd infra-less");
    assert.equal(rows[0]?.note, "÷ containerd 0.50, ÷ floor 2.00");
    assert.equal(rows[2]?.note, "unimplemented");
    assert.ok(Number.isNaN(rows[2]?.p50));
  });
});
