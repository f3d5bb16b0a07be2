import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildConmonArgs, parseConmonSyncMessage } from "../../src/oci/index.js";

describe("conmon arguments and sync messages", () => {
  it("builds the argument list with runtime args and options in conmon 2.1.6's spelling", () => {
    const args = buildConmonArgs({
      id: "c1",
      runtimePath: "/usr/bin/runc",
      runtimeArgs: ["--root", "/run/x"],
      bundle: "/b",
      containerPidFile: "/s/pid",
      conmonPidFile: "/s/conmon.pid",
      logPath: "/l/c1.log",
      exitDir: "/s/exits",
      socketDir: "/s/sockets",
      persistDir: "/s",
      terminal: true,
      stdin: true,
      logSizeMax: 1024,
    });
    assert.deepEqual(args, [
      "--api-version", "1", "-c", "c1", "-u", "c1", "-n", "c1", "-r", "/usr/bin/runc", "-b", "/b", "-p", "/s/pid", "-P", "/s/conmon.pid",
      "-l", "k8s-file:/l/c1.log", "--exit-dir", "/s/exits", "--socket-dir-path", "/s/sockets", "-0", "/s",
      "--runtime-arg", "--root", "--runtime-arg", "/run/x", "-t", "-i", "--log-size-max", "1024",
    ]);
  });

  it("passes --no-pivot and --no-new-keyring for the runtime's create", () => {
    const base = { id: "c1", runtimePath: "/usr/bin/runc", bundle: "/b", containerPidFile: "/p", conmonPidFile: "/P", logPath: "/l", exitDir: "/e", socketDir: "/s", persistDir: "/d" };
    const args = buildConmonArgs({ ...base, noPivot: true, noNewKeyring: true });
    assert.deepEqual(args.slice(-2), ["--no-pivot", "--no-new-keyring"]);
    assert.ok(!buildConmonArgs(base).some((a) => a.startsWith("--no-")), "neither by default");
  });

  const messages = [
    { desc: "a pid", line: '{"data": 8835}', want: { data: 8835 } },
    { desc: "an error with its message", line: '{"data": -1, "message": "time=\\"x\\" level=error msg=\\"exec failed: container does not exist\\"\\n"}', want: { data: -1, message: 'time="x" level=error msg="exec failed: container does not exist"\n' } },
    { desc: "an unescaped message from an older conmon", line: '{"data": -1, "message": "bad "quote""}', want: { data: -1, message: 'bad "quote"' } },
    { desc: "the api-version 0 pid key", line: '{"pid": 12}', want: { data: 12 } },
    { desc: "garbage", line: "hello", want: undefined },
  ];
  for (const c of messages) {
    it(`parses ${c.desc}`, () => {
      assert.deepEqual(parseConmonSyncMessage(c.line), c.want);
    });
  }
});
