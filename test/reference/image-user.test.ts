import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hasErrorCode } from "../../src/errors.js";
import { parseImageUser } from "../../src/reference/index.js";
import type { ImageUser } from "../../src/reference/index.js";

describe("parseImageUser", () => {
  it("tells numeric IDs from names in both parts", () => {
    const cases: Array<{ desc: string; value: string; want: ImageUser | undefined }> = [
      { desc: "no user", value: "", want: undefined },
      { desc: "uid", value: "1000", want: { user: { uid: 1000 } } },
      { desc: "root uid", value: "0", want: { user: { uid: 0 } } },
      { desc: "uid:gid", value: "1000:1000", want: { user: { uid: 1000 }, group: { gid: 1000 } } },
      { desc: "name", value: "www-data", want: { user: { name: "www-data" } } },
      { desc: "name:group", value: "www-data:staff", want: { user: { name: "www-data" }, group: { name: "staff" } } },
      { desc: "uid:group", value: "1000:staff", want: { user: { uid: 1000 }, group: { name: "staff" } } },
      { desc: "name:gid", value: "nobody:65534", want: { user: { name: "nobody" }, group: { gid: 65534 } } },
      { desc: "name with digits", value: "user1", want: { user: { name: "user1" } } },
      { desc: "largest uid", value: "4294967295", want: { user: { uid: 4294967295 } } },
      { desc: "leading zeros", value: "007", want: { user: { uid: 7 } } },
    ];
    for (const c of cases) assert.deepEqual(parseImageUser(c.value), c.want, c.desc);
  });

  it("rejects malformed values with InvalidArgument naming the problem", () => {
    const cases = [
      { desc: "empty user", value: ":1000", mention: "user part is empty" },
      { desc: "empty group", value: "1000:", mention: "group part is empty" },
      { desc: "two colons", value: "a:b:c", mention: "user[:group]" },
      { desc: "negative uid", value: "-1", mention: "negative" },
      { desc: "uid too large", value: "4294967296", mention: "above" },
      { desc: "space in name", value: "john doe", mention: "whitespace" },
      { desc: "slash in group", value: "a:b/c", mention: "slash" },
    ];
    for (const c of cases) {
      assert.throws(
        () => parseImageUser(c.value),
        (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.message.includes(c.mention) && e.message.includes(c.value),
        c.desc,
      );
    }
  });
});
