import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RuntimeCommandError, classifyRuntimeError, runtimeErrorMessage, isRuntimeCommandError } from "../../src/oci/index.js";
import { CrikitError, isCrikitError, errorCodeOf } from "../../src/errors.js";

describe("runtime error classification", () => {
  // Strings as runc 1.1.5 and crun 1.8.1 print them (collected by running both).
  const cases = [
    { desc: "runc: missing container", stderr: 'time="2026-11-23T17:30:13Z" level=error msg="container does not exist"\n', kind: "NotFound", message: "container does not exist" },
    { desc: "crun: missing container (state, kill)", stderr: "error opening file `/run/crun/x/status`: No such file or directory\n", kind: "NotFound", message: "error opening file `/run/crun/x/status`: No such file or directory" },
    { desc: "crun: missing container (delete)", stderr: "cannot open directory '/run/crun/x': No such file or directory\n", kind: "NotFound", message: "cannot open directory '/run/crun/x': No such file or directory" },
    { desc: "runc: duplicate id", stderr: 'time="2026-11-23T17:30:14Z" level=error msg="runc create failed: container with given ID already exists"\n', kind: "AlreadyExists", message: "runc create failed: container with given ID already exists" },
    { desc: "crun: duplicate id", stderr: "container `c1` already exists\n", kind: "AlreadyExists", message: "container `c1` already exists" },
    { desc: "runc: kill of a stopped container", stderr: 'time="x" level=error msg="container not running"\n', kind: "NotRunning", message: "container not running" },
    { desc: "runc: exec in a stopped container", stderr: 'time="x" level=error msg="exec failed: cannot exec in a stopped container"\n', kind: "NotRunning", message: "exec failed: cannot exec in a stopped container" },
    { desc: "runc: start of a paused container", stderr: 'time="x" level=error msg="cannot start a container in the paused state"\n', kind: "NotRunning", message: "cannot start a container in the paused state" },
    { desc: "crun: start of a started container", stderr: "cannot open `/run/crun/c1/exec.fifo`: No such file or directory\n", kind: "NotRunning", message: "cannot open `/run/crun/c1/exec.fifo`: No such file or directory" },
    { desc: "crun: delete of a running container", stderr: "the container `c1` is not in `created` or `stopped` state\n", kind: "NotRunning", message: "the container `c1` is not in `created` or `stopped` state" },
    { desc: "runc: exec of a missing binary", stderr: 'time="x" level=error msg="exec failed: unable to start container process: exec: \\"true\\": executable file not found in $PATH"\n', kind: "Other", message: 'exec failed: unable to start container process: exec: "true": executable file not found in $PATH' },
    { desc: "crun: hybrid cgroups", stderr: "cgroups in hybrid mode not supported, drop all controllers from cgroupv2\n", kind: "Other", message: "cgroups in hybrid mode not supported, drop all controllers from cgroupv2" },
  ];
  for (const c of cases) {
    it(`classifies ${c.desc}`, () => {
      assert.equal(classifyRuntimeError(c.stderr), c.kind);
      assert.equal(runtimeErrorMessage(c.stderr), c.message);
    });
  }

  const codes = [
    { kind: "NotFound", code: "NotFound" },
    { kind: "AlreadyExists", code: "AlreadyExists" },
    { kind: "NotRunning", code: "FailedPrecondition" },
    { kind: "Other", code: "Unavailable" },
  ] as const;
  for (const c of codes) {
    it(`maps kind ${c.kind} to code ${c.code}`, () => {
      const e = new RuntimeCommandError({ argv: ["/usr/bin/runc", "--root", "/r", "kill", "x", "KILL"], exitCode: 1, stderr: "boom", kind: c.kind });
      assert.equal(e.code, c.code);
      assert.equal(errorCodeOf(e), c.code);
      assert.ok(isCrikitError(e));
      assert.ok(e instanceof CrikitError);
      assert.ok(e instanceof RuntimeCommandError);
      assert.equal(e.name, "RuntimeCommandError");
    });
  }

  it("carries argv, exit code, the stderr tail and a message naming the command", () => {
    const e = new RuntimeCommandError({ argv: ["/usr/bin/runc", "--root", "/r", "state", "x"], exitCode: 1, stderr: "y".repeat(10_000) + '\ntime="x" level=error msg="container does not exist"\n' });
    assert.equal(e.message, "runc state failed (exit code 1): container does not exist");
    assert.equal(e.kind, "NotFound");
    assert.equal(e.exitCode, 1);
    assert.deepEqual(e.argv, ["/usr/bin/runc", "--root", "/r", "state", "x"]);
    assert.equal(e.stderrTail.length, 4096);
    assert.ok(e.stderrTail.endsWith('msg="container does not exist"\n'));
  });

  it("makes a timed-out command DeadlineExceeded", () => {
    const e = new RuntimeCommandError({ argv: ["crun", "kill", "x", "KILL"], stderr: "", timedOut: true });
    assert.equal(e.code, "DeadlineExceeded");
    assert.equal(e.message, "crun kill timed out");
  });

  it("does not take a plain CrikitError for a RuntimeCommandError", () => {
    const plain = new CrikitError("NotFound", "x");
    assert.equal(isRuntimeCommandError(plain), false);
    assert.equal(plain instanceof RuntimeCommandError, false);
  });
});
