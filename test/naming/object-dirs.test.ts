import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CrikitError } from "../../src/errors.js";
import { createObjectDirs } from "../../src/naming/index.js";

const id = "3f2a".padEnd(64, "0");

describe("createObjectDirs", () => {
  it("puts each object's directories under the root and state directories", () => {
    const dirs = createObjectDirs({ rootDir: "/var/lib/crikit", stateDir: "/run/crikit" });
    assert.equal(dirs.sandboxRootDir(id), `/var/lib/crikit/sandboxes/${id}`);
    assert.equal(dirs.sandboxStateDir(id), `/run/crikit/sandboxes/${id}`);
    assert.equal(dirs.containerRootDir(id), `/var/lib/crikit/containers/${id}`);
    assert.equal(dirs.containerStateDir(id), `/run/crikit/containers/${id}`);
  });

  it("normalizes the base directories", () => {
    const dirs = createObjectDirs({ rootDir: "/var/lib//crikit/", stateDir: "/run/x/../crikit" });
    assert.equal(dirs.rootDir, "/var/lib/crikit");
    assert.equal(dirs.stateDir, "/run/crikit");
    assert.equal(dirs.containerStateDir("ab"), "/run/crikit/containers/ab");
  });

  it("allows the file-system root as a base", () => {
    assert.equal(createObjectDirs({ rootDir: "/", stateDir: "/run" }).sandboxRootDir("ab"), "/sandboxes/ab");
  });

  const bad: Array<{ desc: string; rootDir: unknown; stateDir: unknown; field: string; message: RegExp }> = [
    { desc: "an empty rootDir", rootDir: "", stateDir: "/run/c", field: "rootDir", message: /^rootDir is empty$/ },
    { desc: "a missing rootDir", rootDir: undefined, stateDir: "/run/c", field: "rootDir", message: /^rootDir is empty$/ },
    { desc: "an empty stateDir", rootDir: "/var/lib/c", stateDir: "", field: "stateDir", message: /^stateDir is empty$/ },
    { desc: "a relative rootDir", rootDir: "var/lib/c", stateDir: "/run/c", field: "rootDir", message: /^rootDir "var\/lib\/c" is not an absolute path$/ },
    { desc: "a relative stateDir", rootDir: "/var/lib/c", stateDir: "./run", field: "stateDir", message: /is not an absolute path/ },
    { desc: "a NUL byte", rootDir: "/var/\0", stateDir: "/run/c", field: "rootDir", message: /NUL/ },
    { desc: "the same directory twice", rootDir: "/srv/c", stateDir: "/srv/c/", field: "stateDir", message: /rootDir and stateDir are the same directory "\/srv\/c"/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.desc}`, () => {
      assert.throws(
        () => createObjectDirs({ rootDir: c.rootDir as string, stateDir: c.stateDir as string }),
        (err: unknown) => err instanceof CrikitError && err.code === "InvalidArgument" && err.details["field"] === c.field && c.message.test(err.message),
      );
    });
  }

  const badIds = ["", ".", "..", "a/b", "../etc", "a\0b"];
  for (const badId of badIds) {
    it(`refuses the ID ${JSON.stringify(badId)}, which could leave the object's directory`, () => {
      const dirs = createObjectDirs({ rootDir: "/var/lib/c", stateDir: "/run/c" });
      for (const f of [dirs.sandboxRootDir, dirs.sandboxStateDir, dirs.containerRootDir, dirs.containerStateDir]) {
        assert.throws(() => f(badId), (err: unknown) => err instanceof CrikitError && err.code === "InvalidArgument" && err.details["field"] === "id");
      }
    });
  }
});
