import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { goPathMatch, passthroughAnnotations } from "../../src/spec/index.js";

// Go's own path.Match test vectors (src/path/match_test.go, matchTests):
// [pattern, name, match, ErrBadPattern].
const goMatchTests: ReadonlyArray<readonly [string, string, boolean, boolean]> = [
  ["abc", "abc", true, false],
  ["*", "abc", true, false],
  ["*c", "abc", true, false],
  ["a*", "a", true, false],
  ["a*", "abc", true, false],
  ["a*", "ab/c", false, false],
  ["a*/b", "abc/b", true, false],
  ["a*/b", "a/c/b", false, false],
  ["a*b*c*d*e*/f", "axbxcxdxe/f", true, false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false],
  ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false],
  ["a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false],
  ["a*b?c*x", "abxbbxdbxebxczzx", true, false],
  ["a*b?c*x", "abxbbxdbxebxczzy", false, false],
  ["ab[c]", "abc", true, false],
  ["ab[b-d]", "abc", true, false],
  ["ab[e-g]", "abc", false, false],
  ["ab[^c]", "abc", false, false],
  ["ab[^b-d]", "abc", false, false],
  ["ab[^e-g]", "abc", true, false],
  ["a\\*b", "a*b", true, false],
  ["a\\*b", "ab", false, false],
  ["a?b", "a☺b", true, false],
  ["a[^a]b", "a☺b", true, false],
  ["a???b", "a☺b", false, false],
  ["a[^a][^a][^a]b", "a☺b", false, false],
  ["[a-ζ]*", "α", true, false],
  ["*[a-ζ]", "A", false, false],
  ["a?b", "a/b", false, false],
  ["a*b", "a/b", false, false],
  ["[\\]a]", "]", true, false],
  ["[\\-]", "-", true, false],
  ["[x\\-]", "x", true, false],
  ["[x\\-]", "-", true, false],
  ["[x\\-]", "z", false, false],
  ["[\\-x]", "x", true, false],
  ["[\\-x]", "-", true, false],
  ["[\\-x]", "a", false, false],
  ["[]a]", "]", false, true],
  ["[-]", "-", false, true],
  ["[x-]", "x", false, true],
  ["[x-]", "-", false, true],
  ["[x-]", "z", false, true],
  ["[-x]", "x", false, true],
  ["[-x]", "-", false, true],
  ["[-x]", "a", false, true],
  ["\\", "a", false, true],
  ["[a-b-c]", "a", false, true],
  ["[", "a", false, true],
  ["[^", "a", false, true],
  ["[^bc", "a", false, true],
  ["a[", "a", false, true],
  ["a[", "ab", false, true],
  ["a[", "x", false, true],
  ["a/b[", "x", false, true],
  ["*x", "xxx", true, false],
];

describe("goPathMatch", () => {
  it("agrees with every case of Go's path.Match test table", () => {
    for (const [pattern, name, match, bad] of goMatchTests) {
      assert.deepEqual(goPathMatch(pattern, name), { matched: match, badPattern: bad }, `Match(${JSON.stringify(pattern)}, ${JSON.stringify(name)})`);
    }
  });

  const extra = [
    { desc: "an empty pattern matches only the empty name", pattern: "", name: "", matched: true, bad: false },
    { desc: "an empty pattern does not match a name", pattern: "", name: "a", matched: false, bad: false },
    { desc: "a star skips bytes inside a multi-byte character as Go does", pattern: "*??", name: "☺", matched: true, bad: false },
    { desc: "a class can match a slash", pattern: "a[/]b", name: "a/b", matched: true, bad: false },
    { desc: "a malformed tail after a mismatch is still reported", pattern: "x*[", name: "abc", matched: false, bad: true },
    { desc: "an escaped closing bracket outside a class is a literal", pattern: "a\\]", name: "a]", matched: true, bad: false },
    { desc: "a dotted annotation glob matches", pattern: "io.kubernetes.cri-o.*", name: "io.kubernetes.cri-o.Devices", matched: true, bad: false },
  ];
  for (const c of extra) {
    it(`handles the case where ${c.desc}`, () => {
      assert.deepEqual(goPathMatch(c.pattern, c.name), { matched: c.matched, badPattern: c.bad });
    });
  }
});

describe("passthroughAnnotations", () => {
  const pod = { "io.katacontainers.config.hypervisor": "qemu", "example.com/a": "1", "example.com/b/c": "2", other: "3" };
  const cases = [
    { desc: "no patterns pass nothing", patterns: [], want: {} },
    { desc: "a glob passes the keys it matches", patterns: ["io.katacontainers.*"], want: { "io.katacontainers.config.hypervisor": "qemu" } },
    { desc: "a star does not cross a slash", patterns: ["example.com/*"], want: { "example.com/a": "1" } },
    { desc: "several patterns are ORed", patterns: ["other", "example.com/*/*"], want: { other: "3", "example.com/b/c": "2" } },
    { desc: "a malformed pattern matches nothing and the others still apply", patterns: ["[", "other"], want: { other: "3" } },
    { desc: "a catch-all pattern passes keys without slashes", patterns: ["*"], want: { "io.katacontainers.config.hypervisor": "qemu", other: "3" } },
  ];
  for (const c of cases) {
    it(`behaves so that ${c.desc}`, () => {
      assert.deepEqual(passthroughAnnotations(pod, c.patterns), c.want);
    });
  }
});
