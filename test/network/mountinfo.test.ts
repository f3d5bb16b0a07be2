import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseMountInfo } from "../../src/network/index.js";

describe("parseMountInfo", () => {
  it("reads mount points, filesystem types and shared propagation, unescaping paths", () => {
    const text = [
      "22 27 0:21 / /proc rw,relatime - proc proc rw",
      "100 27 254:1 /tmp/x/netns /tmp/x/netns rw,relatime shared:40 - ext4 /dev/vda rw",
      "101 100 0:4 net:[4026532] /tmp/x/netns/pod\\040a rw shared:40 - nsfs nsfs rw",
      "102 27 0:5 / /mnt/slave rw master:3 - tmpfs tmpfs rw",
      "garbage",
      "",
    ].join("\n");
    assert.deepEqual(parseMountInfo(text), [
      { mountPoint: "/proc", fsType: "proc", shared: false },
      { mountPoint: "/tmp/x/netns", fsType: "ext4", shared: true },
      { mountPoint: "/tmp/x/netns/pod a", fsType: "nsfs", shared: true },
      { mountPoint: "/mnt/slave", fsType: "tmpfs", shared: false },
    ]);
  });
});
