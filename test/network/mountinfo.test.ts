import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseMountInfo } from "../../src/network/index.js";

describe("parseMountInfo", () => {
  it("reads mount points, roots, filesystem types, super options and shared propagation, unescaping paths", () => {
    const text = [
      "22 27 0:21 / /proc rw,relatime - proc proc rw",
      "100 27 254:1 /tmp/x/netns /tmp/x/netns rw,relatime shared:40 - ext4 /dev/vda rw",
      "101 100 0:4 net:[4026532] /tmp/x/netns/pod\\040a rw shared:40 - nsfs nsfs rw",
      "102 27 0:5 / /mnt/slave rw master:3 - tmpfs tmpfs rw",
      "garbage",
      "",
    ].join("\n");
    assert.deepEqual(parseMountInfo(text), [
      { mountPoint: "/proc", root: "/", superOptions: "rw", fsType: "proc", shared: false },
      { mountPoint: "/tmp/x/netns", root: "/tmp/x/netns", superOptions: "rw", fsType: "ext4", shared: true },
      { mountPoint: "/tmp/x/netns/pod a", root: "net:[4026532]", superOptions: "rw", fsType: "nsfs", shared: true },
      { mountPoint: "/mnt/slave", root: "/", superOptions: "rw", fsType: "tmpfs", shared: false },
    ]);
  });
});
