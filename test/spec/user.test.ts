import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasErrorCode } from "../../src/errors.js";
import { parseGroup, parsePasswd, resolveUser, type RootfsReader, type UserRequest } from "../../src/spec/index.js";
import { TEST_GROUP, TEST_PASSWD } from "../helpers/rootfs.js";

const enc = new TextEncoder();
const rootfs: RootfsReader = { readFile: (p) => (p === "/etc/passwd" ? enc.encode(TEST_PASSWD) : p === "/etc/group" ? enc.encode(TEST_GROUP) : undefined) };

describe("parsePasswd and parseGroup", () => {
  it("skip comments, blank and malformed lines", () => {
    assert.deepEqual(parsePasswd("# c\n\nbad\nx:x:notanumber:0::/:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n"), [
      { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/sh" },
    ]);
    assert.deepEqual(parseGroup("# c\nstaff:x:50:alice, bob\nempty:x:7:\nbad:x:y:\n"), [
      { name: "staff", gid: 50, members: ["alice", "bob"] },
      { name: "empty", gid: 7, members: [] },
    ]);
  });
});

describe("resolveUser", () => {
  const cases: Array<{ desc: string; req: UserRequest; want: { uid: number; gid: number; additionalGids: number[] } }> = [
    { desc: "no user at all runs as root with root's groups", req: {}, want: { uid: 0, gid: 0, additionalGids: [0] } },
    { desc: "run_as_username resolves uid, gid and Merge groups", req: { runAsUsername: "alice" }, want: { uid: 1000, gid: 1000, additionalGids: [1000, 29, 50] } },
    { desc: "run_as_user finds the passwd entry's gid and groups", req: { runAsUser: 1001n }, want: { uid: 1001, gid: 1001, additionalGids: [1001, 29] } },
    { desc: "an unknown numeric uid runs with gid 0", req: { runAsUser: 4242n }, want: { uid: 4242, gid: 0, additionalGids: [0] } },
    { desc: "run_as_group overrides the passwd gid", req: { runAsUser: 1000n, runAsGroup: 7n }, want: { uid: 1000, gid: 7, additionalGids: [7, 29, 50] } },
    {
      desc: "Merge adds the request's supplemental groups after the image's",
      req: { runAsUsername: "alice", supplementalGroups: [4242n, 50n], policy: "Merge" },
      want: { uid: 1000, gid: 1000, additionalGids: [1000, 29, 50, 4242] },
    },
    {
      desc: "Strict uses only the primary and requested groups",
      req: { runAsUsername: "alice", supplementalGroups: [4242n], policy: "Strict" },
      want: { uid: 1000, gid: 1000, additionalGids: [1000, 4242] },
    },
    { desc: "the image user by name is used when the request has none", req: { imageUser: "bob" }, want: { uid: 1001, gid: 1001, additionalGids: [1001, 29] } },
    { desc: "the image user as uid:gid is used", req: { imageUser: "1000:50" }, want: { uid: 1000, gid: 50, additionalGids: [50, 29] } },
    { desc: "the image user as name:group is used", req: { imageUser: "alice:audio" }, want: { uid: 1000, gid: 29, additionalGids: [29, 50] } },
    { desc: "the request's user wins over the image's", req: { runAsUser: 1001n, imageUser: "alice" }, want: { uid: 1001, gid: 1001, additionalGids: [1001, 29] } },
  ];
  for (const c of cases) it(`resolves so that ${c.desc}`, () => assert.deepEqual(resolveUser(c.req, rootfs), c.want));

  const bad: Array<{ desc: string; req: UserRequest; field: string }> = [
    { desc: "run_as_group without a user", req: { runAsGroup: 5n }, field: "linux.security_context.run_as_group" },
    { desc: "a run_as_username absent from the image", req: { runAsUsername: "mallory" }, field: "linux.security_context.run_as_username" },
    { desc: "an image user name absent from the image", req: { imageUser: "mallory" }, field: "image.config.User" },
    { desc: "an image group name absent from the image", req: { imageUser: "alice:wheel" }, field: "image.config.User" },
  ];
  for (const c of bad) {
    it(`refuses ${c.desc} with InvalidArgument naming ${c.field}`, () => {
      assert.throws(() => resolveUser(c.req, rootfs), (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details.field === c.field);
    });
  }

  it("treats a rootfs without /etc/passwd as having no users", () => {
    assert.deepEqual(resolveUser({ runAsUser: 5n }, { readFile: () => undefined }), { uid: 5, gid: 0, additionalGids: [0] });
    assert.throws(() => resolveUser({ runAsUsername: "root" }, undefined), (e: unknown) => hasErrorCode(e, "InvalidArgument"));
  });
});
