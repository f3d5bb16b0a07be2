import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CGROUP_V1_UNLIMITED_FLOOR, keyedValue, parseCgroupLimit, parseCgroupValue, parseKeyedValues, parseProcCgroup } from "../../src/stats/index.js";
import { HYBRID_PROC_CGROUP, V1_MEMORY_STAT } from "./fixtures.js";

describe("cgroup file parsers", () => {
  const values = [
    { desc: "a number with a newline", text: "123456\n", want: 123456n },
    { desc: "a number above 2^53 keeps every digit", text: "9007199254740993\n", want: 9007199254740993n },
    { desc: "max is no value", text: "max\n", want: undefined },
    { desc: "an empty file is no value", text: "", want: undefined },
    { desc: "an absent file is no value", text: undefined, want: undefined },
    { desc: "garbage is no value", text: "12 34\n", want: undefined },
  ];
  for (const c of values) {
    it(`reads a single value: ${c.desc}`, () => assert.equal(parseCgroupValue(c.text), c.want));
  }

  const limits = [
    { desc: "a real v1 limit", text: "268435456\n", want: 268435456n },
    { desc: "v1 unlimited (LLONG_MAX rounded to 4 KiB pages)", text: "9223372036854771712\n", want: undefined },
    { desc: "v1 unlimited with 64 KiB pages", text: "9223372036854710272\n", want: undefined },
    { desc: "v2 max", text: "max\n", want: undefined },
    { desc: "an absent limit file", text: undefined, want: undefined },
  ];
  for (const c of limits) {
    it(`reads a limit: ${c.desc}`, () => assert.equal(parseCgroupLimit(c.text), c.want));
  }

  it("treats no real limit as unlimited: the floor is far above any memory size", () => {
    assert.ok(CGROUP_V1_UNLIMITED_FLOOR > 1n << 60n);
    assert.ok(CGROUP_V1_UNLIMITED_FLOOR < 9223372036854710272n);
  });

  it("reads a flat keyed file and skips lines without a number", () => {
    const m = parseKeyedValues(`${V1_MEMORY_STAT}bogus line\nnovalue\n`);
    assert.equal(m.get("total_inactive_file"), 13129344n);
    assert.equal(m.get("hierarchical_memory_limit"), 9223372036854771712n);
    assert.equal(m.has("bogus"), false);
    assert.equal(m.has("novalue"), false);
    assert.equal(parseKeyedValues(undefined).size, 0);
  });

  const keyed = [
    { desc: "the first line", key: "cache", want: 8228864n },
    { desc: "a later line", key: "total_pgmajfault", want: 411n },
    { desc: "a key that is also the end of another key", key: "rss", want: 1789952n },
    { desc: "a key that is also the start of another key", key: "total_rss", want: 41789952n },
    { desc: "the last line", key: "total_unevictable", want: 0n },
    { desc: "an absent key", key: "nope", want: undefined },
  ];
  for (const c of keyed) {
    it(`picks one keyed value: ${c.desc}`, () => {
      assert.equal(keyedValue(V1_MEMORY_STAT, c.key), c.want);
      assert.equal(keyedValue(V1_MEMORY_STAT, c.key), parseKeyedValues(V1_MEMORY_STAT).get(c.key), "the same as parsing the whole file");
    });
  }

  it("picks nothing from an absent file or a value that is not a number", () => {
    assert.equal(keyedValue(undefined, "a"), undefined);
    assert.equal(keyedValue("a max\n", "a"), undefined);
    assert.equal(keyedValue("a 5", "a"), 5n, "no trailing newline");
  });

  it("parses /proc/<pid>/cgroup with v1 controllers, a named hierarchy and the v2 line", () => {
    const e = parseProcCgroup(HYBRID_PROC_CGROUP);
    assert.equal(e.length, 6);
    assert.deepEqual(e[0], { hierarchy: 9, controllers: ["name=systemd"], path: "/kubepods/pod1/ctr" });
    assert.deepEqual(e[3], { hierarchy: 2, controllers: ["cpuacct"], path: "/kubepods/pod1/ctr" });
    assert.deepEqual(e[5], { hierarchy: 0, controllers: [], path: "/kubepods/pod1/ctr" });
    assert.deepEqual(parseProcCgroup("4:cpu,cpuacct:/a:b\n"), [{ hierarchy: 4, controllers: ["cpu", "cpuacct"], path: "/a:b" }], "a colon in the path stays in the path");
  });
});
